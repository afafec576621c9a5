import type { KafkaRecord } from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import { FetchedRecord, keyBytesOf } from './batch.js';
import { recordClassFor } from './deserializers.js';

const bytes = new TextEncoder().encode('{"id":7}');
const fetched = { offset: 3, timestamp: 0, key: bytes, value: null, headers: [] } as unknown as KafkaRecord;

describe('keyBytesOf (what ordering by key compares)', () => {
  it('gives the fetched key bytes even when a key deserializer turns each read into a new object', () => {
    const Deserialized = recordClassFor((b) => JSON.parse(new TextDecoder().decode(b)) as unknown, null);
    const record = new Deserialized('t', 0, 1, 0, fetched);
    expect(record.key).toEqual({ id: 7 });
    expect(record.key).not.toBe(record.key);
    expect(keyBytesOf(record)).toBe(bytes);
  });

  it('gives the key of a record without deserializers, and of a plain record object', () => {
    expect(keyBytesOf(new FetchedRecord('t', 0, 1, 0, fetched))).toBe(bytes);
    expect(keyBytesOf({ key: null } as never)).toBeNull();
  });
});
