/**
 * `appendRecords` is the consumer's fast path over a batch's records; iterating the batch is the
 * reference. On random batches, random start offsets and mutated bytes, both must give the same
 * records (every field) and fail the same way at the same record.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRecordBatch, type RecordInput } from './encode.js';
import { DefaultRecord, DefaultRecordBatch, type RecordFraming } from './record-batch.js';
import type { KafkaRecord } from './types.js';

/** A record class of the kind a consumer builds: the codec's record plus a context of its own. */
class TaggedRecord extends DefaultRecord {
  declare readonly context: string;

  constructor(context: string, batch: DefaultRecordBatch, ...framing: RecordFraming) {
    super(batch, ...framing);
    this.context = context;
  }
}

const recordArbitrary: fc.Arbitrary<RecordInput> = fc.record({
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  key: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
  headers: fc.array(
    fc.record({
      key: fc.string({ maxLength: 10 }),
      value: fc.option(fc.uint8Array({ maxLength: 10 }), { nil: null }),
    }),
    { maxLength: 2 },
  ),
});

const batchArbitrary = fc.record({
  baseOffset: fc.integer({ min: 0, max: 2 ** 40 }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 1000 }),
  compression: fc.constantFrom(0, 0, 0, 1, 3, 4),
  timestampType: fc.constantFrom<0 | 1>(0, 1),
  baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  records: fc.array(recordArbitrary, { minLength: 1, maxLength: 30 }),
});

/** Every field a consumer reads, so that two records compare by content. */
function fields(record: KafkaRecord): unknown[] {
  return [
    record.offset,
    record.offsetBig,
    record.timestamp,
    record.timestampBig,
    record.key,
    record.value,
    record.headers,
    record.sequence,
  ];
}

/** Runs `read`, returning the records it produced and what it threw (null when nothing). */
function outcome(read: (out: KafkaRecord[]) => void): { records: unknown[][]; error: unknown } {
  const out: KafkaRecord[] = [];
  let error: unknown = null;
  try {
    read(out);
  } catch (caught) {
    error = caught;
  }
  const records: unknown[][] = [];
  for (const record of out) {
    try {
      records.push(fields(record));
    } catch (caught) {
      records.push(['throws', String(caught)]);
    }
  }
  return { records, error };
}

function reference(batch: DefaultRecordBatch, fromOffset: number) {
  return outcome((out) => {
    for (const record of batch) if (record.offset >= fromOffset) out.push(record);
  });
}

function fast(batch: DefaultRecordBatch, fromOffset: number) {
  return outcome((out) => {
    const tagged: TaggedRecord[] = [];
    try {
      batch.appendRecords(tagged, TaggedRecord, 'ctx', fromOffset);
    } finally {
      for (const record of tagged) {
        expect(record.context).toBe('ctx');
        expect(record.batch).toBe(batch);
        out.push(record);
      }
    }
  });
}

describe('DefaultRecordBatch.appendRecords (fast path) against iterating the batch', () => {
  it('gives the same records, every field, from any start offset', () => {
    fc.assert(
      fc.property(batchArbitrary, fc.integer({ min: -2, max: 32 }), (input, skip) => {
        const bytes = encodeRecordBatch(input);
        const batch = new DefaultRecordBatch(bytes, 0);
        const fromOffset = input.baseOffset + skip;
        const want = reference(batch, fromOffset);
        expect(want.error).toBeNull();
        expect(want.records).toHaveLength(Math.max(0, input.records.length - Math.max(0, skip)));
        expect(fast(new DefaultRecordBatch(bytes, 0), fromOffset)).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('appends the same records before a malformed one and throws the same error', () => {
    fc.assert(
      fc.property(
        batchArbitrary.map((input) => ({ ...input, compression: 0 })),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        (input, flips) => {
          const bytes = encodeRecordBatch(input);
          // Flip bytes of the records only (after the 61-byte header), CRC unchecked.
          for (const [at, flip] of flips) bytes[61 + (at % (bytes.length - 61))]! ^= flip;
          const options = { verifyCrc: false };
          const want = reference(new DefaultRecordBatch(bytes, 0, options), 0);
          const got = fast(new DefaultRecordBatch(bytes, 0, options), 0);
          expect(got.records).toEqual(want.records);
          expect(String(got.error)).toBe(String(want.error));
          expect(got.error?.constructor).toBe(want.error?.constructor);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses offsets past 2^53, as the records would', () => {
    const batch = new DefaultRecordBatch(
      encodeRecordBatch({ baseOffset: 2n ** 60n, records: [{ value: null }] }),
      0,
    );
    expect(() => batch.appendRecords([], TaggedRecord, 'ctx', 0)).toThrow(/not a safe integer/);
  });
});
