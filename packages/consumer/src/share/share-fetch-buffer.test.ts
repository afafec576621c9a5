import {
  CorruptRecordError,
  encodeEndTransactionMarker,
  encodeRecordBatch,
  type RecordInput,
} from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../test-support/bytes.js';
import { type AcquiredRange, ShareFetchBuffer, type SharePartitionData } from './share-fetch-buffer.js';
import { AckCode, type ShareDelivery } from './share-records.js';

const text = new TextEncoder();
const owner = {};
const LOCK = 60_000;

function values(from: number, n: number, size = 10): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({ value: text.encode(`v${from + i}`.padEnd(size, '.')) }));
}

function batch(baseOffset: number, n: number, compression = 0, size = 10): Uint8Array {
  return encodeRecordBatch({ baseOffset, compression, records: values(baseOffset, n, size) });
}

function data(records: Uint8Array | null, acquired: AcquiredRange[], key = 'jobs:0'): SharePartitionData {
  return { key, topic: 'jobs', partition: Number(key.split(':')[1]), records, acquired, lockExpiresAt: LOCK };
}

/** A buffer whose settled offsets, expired counts and read errors are recorded. */
function harness(maxBytes = 10_000_000, chunkBytes = 1_000_000) {
  const settled: [string, number[], AckCode][] = [];
  const expired: [string, number][] = [];
  const readErrors: Error[] = [];
  const buffer = new ShareFetchBuffer(
    maxBytes,
    chunkBytes,
    { checkCrcs: true, maxDecompressedSize: 64 * 1024 * 1024 },
    {
      settle: (d, offsets, code) => settled.push([d.key, [...offsets], code]),
      expired: (d, count) => expired.push([d.key, count]),
      readError: (_d, error) => readErrors.push(error),
    },
  );
  const sunk: [number, AckCode][] = [];
  const take = (now = 1_000) => buffer.take(owner, (_d, offset, code) => sunk.push([offset, code]), now);
  const takeDelivery = (now = 1_000): ShareDelivery => {
    const taken = take(now);
    if (taken === null || !('delivery' in taken)) throw new Error(`no delivery: ${JSON.stringify(taken)}`);
    return taken.delivery;
  };
  return { buffer, settled, expired, readErrors, sunk, take, takeDelivery };
}

const offsetsOf = (d: ShareDelivery) => d.batch.records.map((r) => [r.offset, r.deliveryCount]);

describe('the share fetch buffer', () => {
  it('hands out only the acquired offsets, each with the delivery count of its range', () => {
    const h = harness();
    // Offsets 0-9 came back; another member holds 3-5.
    h.buffer.add(
      data(batch(0, 10), [
        { first: 0, last: 2, deliveryCount: 1 },
        { first: 6, last: 9, deliveryCount: 3 },
      ]),
    );
    const d = h.takeDelivery();
    expect(offsetsOf(d)).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
      [6, 3],
      [7, 3],
      [8, 3],
      [9, 3],
    ]);
    expect(d.batch.lockExpiresAt).toBe(LOCK);
    expect(h.settled).toEqual([]);
    expect(h.take()).toBeNull();
  });

  it('settles acquired offsets that hold no record as GAP: control records and compacted holes', () => {
    const h = harness();
    const compacted = encodeRecordBatch({
      baseOffset: 0,
      lastOffsetDelta: 4,
      records: [
        { offsetDelta: 0, value: text.encode('a') },
        { offsetDelta: 3, value: text.encode('d') },
      ],
    });
    const marker = encodeEndTransactionMarker({
      baseOffset: 5,
      producerId: 7,
      producerEpoch: 0,
      commit: true,
      coordinatorEpoch: 0,
      timestamp: 1,
    });
    h.buffer.add(
      data(concatBytes(compacted, marker, batch(6, 2)), [{ first: 0, last: 7, deliveryCount: 1 }]),
    );
    const d = h.takeDelivery();
    expect(d.batch.records.map((r) => r.offset)).toEqual([0, 3, 6, 7]);
    expect(h.settled).toEqual([['jobs:0', [1, 2, 4, 5], AckCode.gap]]);
  });

  it('releases acquired offsets past the bytes received, so that they are delivered again', () => {
    const h = harness();
    // The answer acquired 0-5 but the last batch was cut off after offset 2.
    const full = concatBytes(batch(0, 3), batch(3, 3));
    h.buffer.add(data(full.subarray(0, full.length - 5), [{ first: 0, last: 5, deliveryCount: 2 }]));
    expect(offsetsOf(h.takeDelivery())).toEqual([
      [0, 2],
      [1, 2],
      [2, 2],
    ]);
    expect(h.settled).toEqual([['jobs:0', [3, 4, 5], AckCode.release]]);
  });

  it('hands out the records before a corrupt batch, then its error, and releases what it could not read', () => {
    const h = harness();
    const bad = batch(3, 3);
    bad[bad.length - 1]! ^= 0xff;
    h.buffer.add(data(concatBytes(batch(0, 3), bad), [{ first: 0, last: 5, deliveryCount: 1 }]));
    expect(h.takeDelivery().batch.records.map((r) => r.offset)).toEqual([0, 1, 2]);
    const next = h.take();
    expect(next !== null && 'error' in next && next.error).toBeInstanceOf(CorruptRecordError);
    expect(h.readErrors).toHaveLength(1);
    expect(h.settled).toEqual([['jobs:0', [3, 4, 5], AckCode.release]]);
    expect(h.take()).toBeNull();
  });

  it('drops data whose acquisition lock ran out before it was handed out, sending nothing for it', () => {
    const h = harness();
    h.buffer.add(data(batch(0, 4), [{ first: 0, last: 3, deliveryCount: 1 }]));
    expect(h.take(LOCK)).toBeNull();
    expect(h.expired).toEqual([['jobs:0', 4]]);
    expect(h.settled).toEqual([]);
    expect(h.buffer.bufferedBytes).toBe(0);
  });

  it('releases the buffered records of dropped partitions and keeps the others', () => {
    const h = harness();
    h.buffer.add(data(batch(0, 2), [{ first: 0, last: 1, deliveryCount: 1 }], 'jobs:0'));
    h.buffer.add(data(batch(10, 2), [{ first: 10, last: 11, deliveryCount: 1 }], 'jobs:1'));
    h.buffer.drop(new Set(['jobs:0']));
    expect(h.settled).toEqual([['jobs:0', [0, 1], AckCode.release]]);
    expect(h.takeDelivery().batch.partition).toBe(1);
    h.buffer.drop();
    expect(h.settled).toHaveLength(1);
  });

  it('counts fetched bytes until handed out, then what the batch holds until it is released', () => {
    const h = harness();
    const bytes = batch(0, 5, 0, 100);
    h.buffer.reserve(1_000);
    expect(h.buffer.room).toBe(10_000_000 - 1_000);
    h.buffer.unreserve(1_000);
    h.buffer.add(data(bytes, [{ first: 0, last: 4, deliveryCount: 1 }]));
    expect(h.buffer.bufferedBytes).toBe(bytes.length);
    const d = h.takeDelivery();
    // The last chunk's fetched bytes, the record objects and the share wrappers stay held.
    expect(h.buffer.bufferedBytes).toBe(d.heldBytes);
    expect(d.heldBytes).toBeGreaterThan(bytes.length);
    expect(h.buffer.release(d)).toBe(true);
    expect(h.buffer.release(d)).toBe(false);
    expect(h.buffer.bufferedBytes).toBe(0);
  });

  it('decompresses a batch only while the memory held is below the bound, unless the user holds nothing', () => {
    const gzip = 1;
    const first = batch(0, 50, gzip, 200);
    const second = batch(50, 50, gzip, 200);
    // The bound is below one decompressed batch: the first is read (the user holds nothing)...
    const h = harness(5_000, 1);
    h.buffer.add(data(concatBytes(first, second), [{ first: 0, last: 99, deliveryCount: 1 }]));
    const d = h.takeDelivery();
    expect(d.batch.records).toHaveLength(50);
    // ...the second waits until the user is done with the first.
    expect(h.take()).toBeNull();
    h.buffer.release(d);
    expect(h.takeDelivery().batch.firstOffset).toBe(50);
  });
});
