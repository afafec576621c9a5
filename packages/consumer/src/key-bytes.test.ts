import { DefaultRecordBatch, encodeRecordBatch, type KafkaRecord } from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import { type FetchedRecord, keyBytesOf, LegacyFetchedRecord } from './batch.js';
import { recordClassesFor } from './deserializers.js';

const bytes = new TextEncoder().encode('{"id":7}');
const legacy = { offset: 3, timestamp: 0, key: bytes, value: null, headers: [] } as unknown as KafkaRecord;
const batch = new DefaultRecordBatch(
  encodeRecordBatch({ baseOffset: 3, records: [{ key: bytes, value: null }] }),
  0,
);
const source = { topic: 't', partition: 0 };

function fetched(Record: typeof FetchedRecord): FetchedRecord {
  const out: FetchedRecord[] = [];
  batch.appendRecords(out, Record, source, 0);
  return out[0]!;
}

describe('keyBytesOf (what ordering by key compares)', () => {
  const parse = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as unknown;

  it('gives the fetched key bytes even when a key deserializer turns each read into a new object', () => {
    const classes = recordClassesFor(parse, null);
    for (const record of [fetched(classes.current), new classes.legacy('t', 0, 1, 0, legacy)]) {
      expect(record.key).toEqual({ id: 7 });
      expect(record.key).not.toBe(record.key);
      expect(keyBytesOf(record)).toEqual(bytes);
    }
  });

  it('gives the key of a record without deserializers, and of a plain record object', () => {
    const classes = recordClassesFor(null, null);
    const record = fetched(classes.current);
    expect(record.offset).toBe(3);
    expect(keyBytesOf(record)).toEqual(bytes);
    expect(keyBytesOf(new LegacyFetchedRecord('t', 0, 1, 0, legacy))).toBe(bytes);
    expect(keyBytesOf({ key: null } as never)).toBeNull();
  });
});
