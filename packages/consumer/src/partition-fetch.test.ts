import {
  CorruptRecordError,
  encodeEndTransactionMarker,
  encodeRecordBatch,
  type RecordInput,
} from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import { type FetchedPartitionData, PartitionFetchCursor, processPartitionFetch } from './partition-fetch.js';
import { concatBytes } from './test-support/bytes.js';

const text = new TextEncoder();
const str = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

function records(prefix: string, n: number): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    key: text.encode(`${prefix}-k${i}`),
    value: text.encode(`${prefix}-v${i}`),
    headers: [{ key: 'h', value: text.encode(`${i}`) }],
    timestamp: 1_700_000_000_000 + i,
  }));
}

const concat = concatBytes;

function data(bytes: Uint8Array | null, overrides: Partial<FetchedPartitionData> = {}): FetchedPartitionData {
  return {
    topic: 't',
    partition: 3,
    fetchOffset: 0,
    records: bytes,
    highWatermark: 100,
    lastStableOffset: 100,
    abortedTransactions: null,
    ...overrides,
  };
}

const plain = { readCommitted: false, checkCrcs: true };
const committed = { readCommitted: true, checkCrcs: true };

describe('processPartitionFetch', () => {
  it.each([
    ['none', 0],
    ['gzip', 1],
    ['snappy', 2],
    ['lz4', 3],
    ['zstd', 4],
  ])(
    'hands out every record of %s-compressed batches with key, value, headers and timestamp',
    (_name, compression) => {
      const bytes = concat(
        encodeRecordBatch({ baseOffset: 0, partitionLeaderEpoch: 4, compression, records: records('a', 3) }),
        encodeRecordBatch({ baseOffset: 3, partitionLeaderEpoch: 5, compression, records: records('b', 2) }),
      );
      const { batch, nextPosition } = processPartitionFetch(data(bytes), plain);
      expect(batch).not.toBeNull();
      expect(batch!.records.map((r) => [r.offset, str(r.key), str(r.value), r.leaderEpoch])).toEqual([
        [0, 'a-k0', 'a-v0', 4],
        [1, 'a-k1', 'a-v1', 4],
        [2, 'a-k2', 'a-v2', 4],
        [3, 'b-k0', 'b-v0', 5],
        [4, 'b-k1', 'b-v1', 5],
      ]);
      expect(batch!.records[1]!.headers.map((h) => [h.key, str(h.value)])).toEqual([['h', '1']]);
      expect(batch!.records[2]!.timestamp).toBe(1_700_000_000_002);
      expect([
        batch!.topic,
        batch!.partition,
        batch!.firstOffset,
        batch!.lastOffset,
        batch!.nextOffset,
      ]).toEqual(['t', 3, 0, 4, 5]);
      expect(batch!.lag).toBe(95);
      expect(nextPosition).toEqual({ offset: 5, leaderEpoch: 5 });
    },
  );

  it('drops records before the fetch offset inside the first batch', () => {
    const bytes = encodeRecordBatch({ baseOffset: 10, records: records('a', 5) });
    const { batch } = processPartitionFetch(data(bytes, { fetchOffset: 13 }), plain);
    expect(batch!.records.map((r) => r.offset)).toEqual([13, 14]);
  });

  it('leaves out a partial batch at the end and continues after the last complete one', () => {
    const first = encodeRecordBatch({ baseOffset: 0, records: records('a', 2) });
    const second = encodeRecordBatch({ baseOffset: 2, records: records('b', 2) });
    const { batch, nextPosition } = processPartitionFetch(data(concat(first, second.subarray(0, 30))), plain);
    expect(batch!.records.map((r) => r.offset)).toEqual([0, 1]);
    expect(nextPosition!.offset).toBe(2);
  });

  it('reports nothing and keeps the position when no complete batch arrived', () => {
    const only = encodeRecordBatch({ baseOffset: 0, records: records('a', 2) });
    expect(processPartitionFetch(data(only.subarray(0, only.length - 1)), plain)).toEqual({
      batch: null,
      nextPosition: null,
      sizeInBytes: only.length - 1,
    });
    expect(processPartitionFetch(data(null), plain).nextPosition).toBeNull();
  });

  it('throws CorruptRecordError on a CRC mismatch unless CRC checks are off', () => {
    const bytes = encodeRecordBatch({ baseOffset: 7, records: records('a', 1) });
    bytes[bytes.length - 1]! ^= 0xff;
    expect(() => processPartitionFetch(data(bytes), plain)).toThrow(CorruptRecordError);
    const { batch } = processPartitionFetch(data(bytes), { readCommitted: false, checkCrcs: false });
    expect(batch!.records.map((r) => r.offset)).toEqual([7]);
  });

  describe('base offsets, which the CRC does not cover', () => {
    const unlimited = {
      maxBytes: Number.POSITIVE_INFINITY,
      mayDecompress: () => true,
      maxRecords: Number.POSITIVE_INFINITY,
    };

    it('stops with CorruptRecordError at a batch that starts past the high watermark, after handing out the batches before it', () => {
      const second = encodeRecordBatch({ baseOffset: 3, records: records('b', 2) });
      second[2]! ^= 0x5a; // the base offset becomes 0x5a0000000003; the CRC still holds
      const bytes = concat(encodeRecordBatch({ baseOffset: 0, records: records('a', 3) }), second);
      const cursor = new PartitionFetchCursor(data(bytes, { highWatermark: 5 }), plain);
      const chunk = cursor.next(unlimited)!;
      expect(chunk.batch!.records.map((r) => r.offset)).toEqual([0, 1, 2]);
      expect(chunk.nextPosition!.offset).toBe(3);
      expect(chunk.error).toBeInstanceOf(CorruptRecordError);
      expect((chunk.error as CorruptRecordError).baseOffset).toBe(0x5a0000000003n);
      expect(chunk.error!.message).toMatch(/past the high watermark 5/);
      expect(cursor.done).toBe(true);
    });

    it('stops with CorruptRecordError at a batch that starts before the end of the batch before it', () => {
      const bytes = concat(
        encodeRecordBatch({ baseOffset: 0, records: records('a', 3) }),
        encodeRecordBatch({ baseOffset: 2, records: records('b', 2) }),
      );
      expect(() => processPartitionFetch(data(bytes), plain)).toThrow(
        /starts before the end of the batch before it \(2\)/,
      );
    });

    it('stops with CorruptRecordError at a first batch past both the fetch offset and the high watermark', () => {
      const bytes = encodeRecordBatch({ baseOffset: 50, records: records('a', 1) });
      expect(() => processPartitionFetch(data(bytes, { fetchOffset: 20, highWatermark: 20 }), plain)).toThrow(
        CorruptRecordError,
      );
    });

    it('accepts a compaction gap below the high watermark and batches appended after the answer read it', () => {
      // The high watermark the broker read before the log: batches from 12 on were appended meanwhile.
      const bytes = concat(
        encodeRecordBatch({ baseOffset: 0, records: records('a', 2) }),
        encodeRecordBatch({ baseOffset: 10, records: records('b', 2) }),
        encodeRecordBatch({ baseOffset: 12, records: records('c', 3) }),
        encodeRecordBatch({ baseOffset: 15, records: records('d', 1) }),
      );
      const { batch } = processPartitionFetch(data(bytes, { highWatermark: 12 }), plain);
      expect(batch!.records.map((r) => r.offset)).toEqual([0, 1, 10, 11, 12, 13, 14, 15]);
      const tailing = encodeRecordBatch({ baseOffset: 20, records: records('e', 2) });
      const tail = processPartitionFetch(data(tailing, { fetchOffset: 20, highWatermark: 20 }), plain);
      expect(tail.batch!.records.map((r) => r.offset)).toEqual([20, 21]);
      // A broker that reports no high watermark (-1) still gets the order rule only.
      const unknown = processPartitionFetch(data(bytes, { highWatermark: -1 }), plain);
      expect(unknown.batch!.records).toHaveLength(8);
    });
  });

  describe('with transactions', () => {
    // Producer 1 commits offsets 0-1 (marker at 2); producer 2 aborts offsets 3-4 (marker at 5);
    // a non-transactional record sits at 6.
    const log = concat(
      encodeRecordBatch({
        baseOffset: 0,
        isTransactional: true,
        producerId: 1,
        producerEpoch: 0,
        records: records('c', 2),
      }),
      encodeEndTransactionMarker({
        baseOffset: 2,
        producerId: 1,
        producerEpoch: 0,
        commit: true,
        coordinatorEpoch: 0,
        timestamp: 1,
      }),
      encodeRecordBatch({
        baseOffset: 3,
        isTransactional: true,
        producerId: 2,
        producerEpoch: 0,
        records: records('x', 2),
      }),
      encodeEndTransactionMarker({
        baseOffset: 5,
        producerId: 2,
        producerEpoch: 0,
        commit: false,
        coordinatorEpoch: 0,
        timestamp: 1,
      }),
      encodeRecordBatch({ baseOffset: 6, records: records('p', 1) }),
    );
    const aborted = [{ producerId: 2n, firstOffset: 3n }];

    it('returns only committed and non-transactional records under read_committed, never control records', () => {
      const { batch, nextPosition } = processPartitionFetch(
        data(log, { abortedTransactions: aborted }),
        committed,
      );
      expect(batch!.records.map((r) => [r.offset, str(r.value)])).toEqual([
        [0, 'c-v0'],
        [1, 'c-v1'],
        [6, 'p-v0'],
      ]);
      expect(nextPosition!.offset).toBe(7);
    });

    it('returns aborted records too under read_uncommitted, still without control records', () => {
      const { batch } = processPartitionFetch(data(log, { abortedTransactions: aborted }), plain);
      expect(batch!.records.map((r) => r.offset)).toEqual([0, 1, 3, 4, 6]);
    });

    it('moves past a fetch that holds only an aborted transaction without handing out a batch', () => {
      const onlyAborted = concat(
        encodeRecordBatch({
          baseOffset: 3,
          isTransactional: true,
          producerId: 2,
          producerEpoch: 0,
          records: records('x', 2),
        }),
        encodeEndTransactionMarker({
          baseOffset: 5,
          producerId: 2,
          producerEpoch: 0,
          commit: false,
          coordinatorEpoch: 0,
          timestamp: 1,
        }),
      );
      const result = processPartitionFetch(
        data(onlyAborted, { fetchOffset: 3, abortedTransactions: aborted }),
        committed,
      );
      expect(result.batch).toBeNull();
      expect(result.nextPosition!.offset).toBe(6);
    });
  });
});
