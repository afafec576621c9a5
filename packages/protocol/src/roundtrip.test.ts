import { Reader } from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import { schemas } from './generated/test-support/schemas.js';
import * as protocol from './index.js';
import { apis, type MessageDefinition } from './index.js';
import { SampleBuilder } from './test-support/samples.js';

const pairs = schemas.apis.flatMap((api) => {
  const out: [string, number][] = [];
  for (let v = api.minVersion; v <= api.maxVersion; v++) out.push([api.name, v]);
  return out;
});

function roundTrip(
  codec: { encode(m: never, v: number): Uint8Array; decode(r: Reader, v: number): unknown },
  struct: string,
  version: number,
): void {
  const builder = new SampleBuilder(schemas);
  const sample = builder.build(struct, version, true);
  const bytes = codec.encode(sample as never, version).slice();
  const reader = new Reader(bytes);
  const decoded = codec.decode(reader, version);
  expect(reader.remaining).toBe(0);
  expect(decoded).toEqual(builder.expected(struct, version, sample));
  expect(Buffer.from(codec.encode(decoded as never, version)).toString('hex')).toBe(
    Buffer.from(bytes).toString('hex'),
  );
}

describe('every API at every version', () => {
  it('covers every API of Kafka 4.4.0: 91 APIs, 309 (API, version) pairs', () => {
    expect(apis.size).toBe(schemas.apis.length);
    expect(apis.size).toBe(91);
    expect(pairs.length).toBe(309);
    expect(apis.get(1)?.name).toBe('Fetch');
    expect(apis.get(18)?.name).toBe('ApiVersions');
  });

  it.each(pairs)(
    '%s request v%i decodes to what was encoded and re-encodes to the same bytes',
    (name, version) => {
      const api = [...apis.values()].find((a) => a.name === name)!;
      roundTrip(api.request, `${name}Request`, version);
    },
  );

  it.each(pairs)(
    '%s response v%i decodes to what was encoded and re-encodes to the same bytes',
    (name, version) => {
      const api = [...apis.values()].find((a) => a.name === name)!;
      roundTrip(api.response, `${name}Response`, version);
    },
  );
});

describe('every data and header message at every version', () => {
  const dataPairs = schemas.data.flatMap((d) => {
    const out: [string, number][] = [];
    for (let v = d.minVersion; v <= d.maxVersion; v++) out.push([d.name, v]);
    return out;
  });
  it.each(dataPairs)('%s v%i round-trips', (name, version) => {
    const def = (protocol as unknown as Record<string, MessageDefinition<never>>)[name]!;
    roundTrip(def, name, version);
  });
});
