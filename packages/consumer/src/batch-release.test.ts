import { CompressionType, encodeRecordBatch, RecordReleasedError } from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import type { ConsumerRecord } from './batch.js';
import type { Delivery, Fetcher } from './fetcher.js';
import { concatBytes } from './test-support/bytes.js';
import { records, response, setup, tick } from './test-support/fetcher-fake.js';

/** A value of `size` bytes that compresses, filled from `seed`. */
function value(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (seed + i + (i >> 10)) & 0x3f;
  return out;
}

/** One gzip batch of three 200,000-byte records from `baseOffset`: 600 KB of its own once decompressed. */
function largeBatch(baseOffset: number): Uint8Array {
  return encodeRecordBatch({
    baseOffset,
    compression: CompressionType.gzip,
    records: [0, 1, 2].map((i) => ({ value: value(200_000, baseOffset + i) })),
  });
}

function delivered(taken: ReturnType<Fetcher['take']>): Delivery {
  expect(taken && 'delivery' in taken).toBe(true);
  return (taken as { delivery: Delivery }).delivery;
}

const same = (a: Uint8Array | null, b: Uint8Array) => a !== null && Buffer.compare(a, b) === 0;

function readFails(record: ConsumerRecord): unknown {
  try {
    return record.value;
  } catch (error) {
    return error;
  }
}

describe('releaseBatchMemory', () => {
  it('releases a record batch once every record of it is done, across user batches cut by maxPollRecords', async () => {
    const { cluster, fetcher } = await setup({ releaseBatchMemory: true, maxPollRecords: 2 }, [0]);
    await tick();
    cluster.fetches[0]!.respond(
      response([{ partitionIndex: 0, records: concatBytes(largeBatch(0), records(3, 2)) }]),
    );
    await tick();
    const first = delivered(fetcher.take());
    expect(first.batch.records.map((r) => r.offset)).toEqual([0, 1]);
    const kept = first.batch.records[0]!.value!;
    expect(same(kept, value(200_000, 0))).toBe(true);
    fetcher.finish(first);
    // The third record of the batch is still to come: nothing is released yet.
    expect(same(first.batch.records[1]!.value, value(200_000, 1))).toBe(true);

    const second = delivered(fetcher.take());
    expect(second.batch.records.map((r) => r.offset)).toEqual([2]);
    fetcher.finish(second);
    // Every record of the gzip batch is done: its decompressed bytes are freed, its records end.
    expect(kept).toHaveLength(0);
    for (const record of [...first.batch.records, second.batch.records[0]!]) {
      expect(readFails(record)).toBeInstanceOf(RecordReleasedError);
    }
    expect(second.batch.records[0]!.offset).toBe(2);

    const third = delivered(fetcher.take());
    expect(third.batch.records.map((r) => r.offset)).toEqual([3, 4]);
    expect(new TextDecoder().decode(third.batch.records[1]!.value!)).toBe('v4');
    fetcher.finish(third);
    expect(readFails(third.batch.records[0]!)).toBeInstanceOf(RecordReleasedError);
  });

  it('releases by records done, whatever order user batches are done in', async () => {
    const { cluster, fetcher } = await setup({ releaseBatchMemory: true, maxPollRecords: 1 }, [0]);
    await tick();
    cluster.fetches[0]!.respond(response([{ partitionIndex: 0, records: largeBatch(0) }]));
    await tick();
    const taken: Delivery[] = [];
    for (let i = 0; i < 3; i++) {
      const delivery = delivered(fetcher.take());
      taken.push(delivery);
      // As run's parallel orderings do: the partition is handed on before its records are done.
      delivery.partition.busy = false;
    }
    expect(taken.map((d) => d.batch.records[0]!.offset)).toEqual([0, 1, 2]);
    fetcher.releaseHeld(taken[2]!);
    fetcher.releaseHeld(taken[1]!);
    // Record 0 is not done: the batch is not released.
    expect(same(taken[1]!.batch.records[0]!.value, value(200_000, 1))).toBe(true);
    fetcher.releaseHeld(taken[0]!);
    for (const d of taken) expect(readFails(d.batch.records[0]!)).toBeInstanceOf(RecordReleasedError);
  });

  it('is off by default: records stay readable after their batch is done', async () => {
    const { cluster, fetcher } = await setup({}, [0]);
    await tick();
    cluster.fetches[0]!.respond(response([{ partitionIndex: 0, records: largeBatch(0) }]));
    await tick();
    const delivery = delivered(fetcher.take());
    const kept = delivery.batch.records[2]!.value!;
    fetcher.finish(delivery);
    expect(same(kept, value(200_000, 2))).toBe(true);
    expect(same(delivery.batch.records[0]!.value, value(200_000, 0))).toBe(true);
  });
});
