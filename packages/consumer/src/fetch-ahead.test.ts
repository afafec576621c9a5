/**
 * Fetching one answer ahead: while a partition's data is handed out, its next answer is fetched from
 * where that data ends, and waits behind it.
 */
import { CorruptRecordError } from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import type { OffsetAndEpoch } from './batch.js';
import { OffsetOutOfRangeError } from './errors.js';
import type { Delivery } from './fetch-buffer.js';
import { PartitionFetchCursor } from './partition-fetch.js';
import { concatBytes } from './test-support/bytes.js';
import { offsetsIn, records, response, setup, tick } from './test-support/fetcher-fake.js';

type Fetcher = Awaited<ReturnType<typeof setup>>['fetcher'];

function delivered(fetcher: Fetcher): Delivery {
  const taken = fetcher.take();
  if (taken === null || !('delivery' in taken)) throw new Error(`expected a delivery, got ${String(taken)}`);
  return taken.delivery;
}

function offsets(delivery: Delivery): number[] {
  return delivery.batch.records.map((r) => r.offset);
}

describe('fetching one answer ahead', () => {
  it('asks for the next answer from where the buffered one ends, and hands it out after it', async () => {
    const { cluster, fetcher } = await setup();
    await tick();
    cluster.fetches[0]!.respond(response([{ partitionIndex: 0, records: records(0, 3, 9) }]));
    await tick();
    // Nothing taken yet, and the next answer is already asked for, with the last fetched epoch.
    expect(cluster.fetches).toHaveLength(2);
    expect(offsetsIn(cluster.fetches[1]!.request)).toEqual([[0, 3n]]);
    expect(cluster.fetches[1]!.request.topics[0]!.partitions[0]!.lastFetchedEpoch).toBe(9);
    cluster.fetches[1]!.respond(response([{ partitionIndex: 0, records: records(3, 2, 9) }]));
    await tick();
    // One answer ahead at most.
    expect(cluster.fetches).toHaveLength(2);

    const first = delivered(fetcher);
    expect(offsets(first)).toEqual([0, 1, 2]);
    await tick();
    // The first answer is all handed out: the one behind it is next, and the one after it is asked for.
    expect(offsetsIn(cluster.fetches[2]!.request)).toEqual([[0, 5n]]);
    expect(fetcher.take()).toBeNull(); // the partition is busy until the user finishes
    fetcher.finish(first);
    const second = delivered(fetcher);
    expect(offsets(second)).toEqual([3, 4]);
    fetcher.finish(second);
    expect(second.partition.consumed).toEqual({ offset: 5, leaderEpoch: 9 });
    fetcher.close();
  });

  it('acts on an error fetched ahead only once the data before it is handed out', async () => {
    const { cluster, fetcher, p0 } = await setup({ autoOffsetReset: 'none' });
    await tick();
    cluster.fetches[0]!.respond(response([{ partitionIndex: 0, records: records(0, 3) }]));
    await tick();
    cluster.fetches[1]!.respond(response([{ partitionIndex: 0, errorCode: 1 }]));
    for (let i = 0; i < 5; i++) await tick();
    // The position is not reset under the data still buffered, and nothing is asked again meanwhile.
    expect(cluster.fetches).toHaveLength(2);
    expect(p0.halted).toBeNull();
    const first = delivered(fetcher);
    expect(offsets(first)).toEqual([0, 1, 2]);
    await tick();
    // Asked again from the position (3, unchanged in the broker's fetch session, so the incremental
    // request lists nothing), where the answer is acted on as usual.
    expect(cluster.fetches).toHaveLength(3);
    expect(cluster.fetches[2]!.request.sessionId).toBe(5);
    expect(offsetsIn(cluster.fetches[2]!.request)).toEqual([]);
    fetcher.finish(first);
    cluster.fetches[2]!.respond(response([{ partitionIndex: 0, errorCode: 1 }]));
    await tick();
    const taken = fetcher.take();
    expect(taken && 'error' in taken && taken.error).toBeInstanceOf(OffsetOutOfRangeError);
    expect((taken as { error: OffsetOutOfRangeError }).error.offset).toBe(3);
    fetcher.close();
  });

  it('drops the answer fetched ahead of data that fails part way, and fetches again from the failure', async () => {
    const { cluster, fetcher, p0, clock } = await setup({ retryBackoffMs: 50 });
    await tick();
    const corrupt = records(3, 2);
    const lastByte = corrupt.length - 1;
    corrupt[lastByte] = corrupt[lastByte]! ^ 0xff; // a record byte: the CRC no longer matches
    cluster.fetches[0]!.respond(
      response([{ partitionIndex: 0, records: concatBytes(records(0, 3), corrupt) }]),
    );
    await tick();
    // The headers say the data ends at 5; the answer from there comes back before anything is taken.
    expect(offsetsIn(cluster.fetches[1]!.request)).toEqual([[0, 5n]]);
    cluster.fetches[1]!.respond(response([{ partitionIndex: 0, records: records(5, 2) }]));
    await tick();

    const first = delivered(fetcher);
    expect(offsets(first)).toEqual([0, 1, 2]);
    fetcher.finish(first);
    const failed = fetcher.take();
    expect(failed && 'error' in failed && failed.error).toBeInstanceOf(CorruptRecordError);
    expect(p0.position?.offset).toBe(3);
    // Records 5 and 6 were fetched from past the failure: never handed out.
    expect(fetcher.take()).toBeNull();
    expect(fetcher.bufferedBytes).toBe(0);
    clock.advance(50);
    fetcher.wake();
    for (let i = 0; i < 5 && cluster.fetches.length < 3; i++) await tick();
    expect(offsetsIn(cluster.fetches[2]!.request)).toEqual([[0, 3n]]);
    fetcher.close();
  });
});

describe('PartitionFetchCursor.endPosition', () => {
  const cursor = (bytes: Uint8Array, fetchOffset = 0) =>
    new PartitionFetchCursor(
      {
        topic: 't',
        partition: 0,
        fetchOffset,
        records: bytes,
        highWatermark: -1,
        lastStableOffset: -1,
        abortedTransactions: null,
      },
      { readCommitted: false, checkCrcs: true },
    );

  it('is the offset after the last complete batch, with that batch leader epoch', () => {
    const bytes = concatBytes(records(10, 3, 4), records(13, 5, 6));
    expect(cursor(bytes).endPosition()).toEqual({ offset: 18, leaderEpoch: 6 });
    // A partial batch at the end (a size limit cut it) does not count.
    expect(cursor(bytes.subarray(0, bytes.length - 1)).endPosition()).toEqual({
      offset: 13,
      leaderEpoch: 4,
    });
  });

  it('never goes before the fetch offset, and is null without a complete batch or for a malformed header', () => {
    expect(cursor(records(10, 3), 20).endPosition()).toEqual({ offset: 20, leaderEpoch: 7 });
    expect(cursor(records(10, 3).subarray(0, 40)).endPosition()).toBeNull();
    expect(cursor(new Uint8Array(0)).endPosition()).toBeNull();
    const bad = records(10, 3);
    new DataView(bad.buffer, bad.byteOffset).setInt32(8, 3); // a batch size too small for its header
    expect(cursor(bad).endPosition()).toBeNull();
  });

  it('agrees with where reading every batch leaves the position', () => {
    const bytes = concatBytes(records(0, 2), records(2, 7, 8), records(9, 1, 8));
    const c = cursor(bytes);
    const end = c.endPosition();
    let last: OffsetAndEpoch | null = null;
    while (!c.done)
      last = c.next({ maxBytes: 1, maxRecords: Infinity, mayDecompress: () => true })!.nextPosition;
    expect(end).toEqual(last);
  });
});
