import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GeneratorError } from './errors.js';
import { readZipEntries } from './zip.js';

/** Builds a minimal zip archive: one stored and one deflated entry per name as asked. */
function zip(entries: { name: string; data: string; deflate: boolean }[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const raw = Buffer.from(e.data);
    const body = e.deflate ? deflateRawSync(raw) : raw;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}

describe('the jar reader', () => {
  it('reads the stored and deflated entries it is asked for and skips the rest', () => {
    const archive = zip([
      { name: 'common/message/A.json', data: '{"a": 1}', deflate: true },
      { name: 'common/message/B.json', data: '{"b": 2}', deflate: false },
      { name: 'org/Other.class', data: 'xx', deflate: true },
    ]);
    const got = readZipEntries(archive, (n) => n.startsWith('common/message/'));
    expect([...got].map(([n, d]) => [n, Buffer.from(d).toString()])).toEqual([
      ['common/message/A.json', '{"a": 1}'],
      ['common/message/B.json', '{"b": 2}'],
    ]);
  });

  it('rejects bytes that are not a zip archive', () => {
    expect(() => readZipEntries(new Uint8Array(100), () => true)).toThrowError(GeneratorError);
  });
});
