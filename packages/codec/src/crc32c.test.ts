import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { crc32, crc32c, crc32cJs, setNativeCrc32c } from './crc32c.js';

const ascii = (s: string) => new TextEncoder().encode(s);

/** Bit-at-a-time reference: slow and obviously right. */
function referenceCrc(polynomial: number, data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  afterEach(() => setNativeCrc32c(null));

  it('gives the check value of the CRC-32C catalogue for "123456789"', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('matches a bit-at-a-time reference on any input, at any alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat({ max: 20 }), (data, cut) => {
        const start = Math.min(cut, data.length);
        expect(crc32cJs(data, 0, start)).toBe(referenceCrc(0x82f63b78, data.subarray(start)));
      }),
    );
  });

  it('matches the reference on inputs long enough to be read by the word, at any byte offset of their buffer', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 100, maxLength: 700 }),
        fc.nat({ max: 7 }),
        fc.nat({ max: 9 }),
        fc.nat({ max: 9 }),
        (bytes, shift, cutStart, cutEnd) => {
          // The same bytes at `shift` into a larger buffer: the word loop must align itself.
          const backing = new Uint8Array(bytes.length + 8);
          backing.set(bytes, shift);
          const data = backing.subarray(shift, shift + bytes.length);
          const end = data.length - cutEnd;
          expect(crc32cJs(data, 0, cutStart, end)).toBe(
            referenceCrc(0x82f63b78, bytes.subarray(cutStart, end)),
          );
          const seed = crc32cJs(data.subarray(0, cutStart));
          expect(crc32cJs(data, seed, cutStart)).toBe(referenceCrc(0x82f63b78, bytes));
        },
      ),
    );
  });

  it('continues a running checksum across chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(), (data, cut) => {
        const at = data.length === 0 ? 0 : cut % data.length;
        expect(crc32c(data, crc32c(data.subarray(0, at)), at)).toBe(crc32c(data));
      }),
    );
  });

  it('agrees with the native @node-rs/crc32 when that is used for large inputs', () => {
    const data = new Uint8Array(70_000).map((_, i) => (i * 7919) & 0xff);
    const js = crc32c(data);
    setNativeCrc32c(nodeRsCrc32c, 1);
    expect(crc32c(data)).toBe(js);
    expect(crc32c(data, 0, 5, 60_000)).toBe(crc32cJs(data, 0, 5, 60_000));
  });

  it('loads the native addon only once 4 MiB of large inputs were checked in JS', async () => {
    // A fresh module instance: the automatic choice is module state that the tests above turned off.
    vi.resetModules();
    const fresh = await import('./crc32c.js');
    const chunk = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
    const expected = referenceCrc(0x82f63b78, chunk.subarray(0, 200));
    for (let k = 0; k < 4; k++) {
      expect(fresh.crc32c(chunk.subarray(0, 200))).toBe(expected);
      expect(fresh.crc32c(chunk)).toBe(crc32cJs(chunk));
      expect(fresh.nativeCrc32cState()).toBeUndefined();
    }
    expect(fresh.crc32c(chunk)).toBe(crc32cJs(chunk));
    // @node-rs/crc32 is installed here (this file imports it), so the automatic choice finds it.
    expect(fresh.nativeCrc32cState()).toBe(true);
    expect(fresh.crc32c(chunk, 0, 3, 900_000)).toBe(crc32cJs(chunk, 0, 3, 900_000));
  });
});

describe('crc32 (IEEE)', () => {
  it('gives the check value of java.util.zip.CRC32 for "123456789"', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
  });

  it('matches a bit-at-a-time reference on any input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
        expect(crc32(data)).toBe(referenceCrc(0xedb88320, data));
      }),
    );
  });
});
