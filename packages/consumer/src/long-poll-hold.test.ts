/**
 * A Fetch of partitions that are all at their log end waits while another partition of the same
 * broker holds an answer ahead with more behind it (see long-poll-hold.ts).
 */
import { describe, expect, it } from 'vitest';
import { LongPollHold } from './long-poll-hold.js';
import { offsetsIn, records, response, setup, tick } from './test-support/fetcher-fake.js';

describe('LongPollHold', () => {
  it('holds a node for at most maxHoldMs from the first ask, and starts afresh after a release', () => {
    const hold = new LongPollHold(500);
    expect(hold.hold(1, 1000)).toEqual({ leftMs: 500, started: true });
    expect(hold.hold(1, 1200)).toEqual({ leftMs: 300, started: false });
    // Another node has a hold of its own.
    expect(hold.hold(2, 1200)).toEqual({ leftMs: 500, started: true });
    expect(hold.hold(1, 1500)).toEqual({ leftMs: 0, started: false });
    // Once it ran out, the next ask starts a new hold.
    expect(hold.hold(1, 1600)).toEqual({ leftMs: 500, started: true });
    hold.release(1);
    expect(hold.hold(1, 1700)).toEqual({ leftMs: 500, started: true });
  });

  it('never holds with fetchMaxWaitMs 0 (a Fetch that waits nothing blocks nothing)', () => {
    expect(new LongPollHold(0).hold(1, 5)).toEqual({ leftMs: 0, started: false });
  });
});

describe('a Fetch that could only wait', () => {
  // Partition 0 has a backlog (high watermark 100), partition 1 is idle at its log end (0).
  async function backlogBesideIdle() {
    const set = await setup({ fetchMaxWaitMs: 500 }, [0, 1]);
    const { cluster } = set;
    await tick();
    cluster.fetches[0]!.respond(
      response([
        { partitionIndex: 0, records: records(0, 3) },
        { partitionIndex: 1, highWatermark: 0n, lastStableOffset: 0n },
      ]),
    );
    await tick();
    // Partition 0 fetches its next answer ahead; partition 1 goes with it.
    expect(offsetsIn(cluster.fetches[1]!.request)).toEqual([[0, 3n]]);
    cluster.fetches[1]!.respond(
      response([
        { partitionIndex: 0, records: records(3, 2) },
        { partitionIndex: 1, highWatermark: 0n, lastStableOffset: 0n },
      ]),
    );
    for (let i = 0; i < 5; i++) await tick();
    return set;
  }

  it('waits while a partition of the same broker holds an answer ahead, and goes with it', async () => {
    const { cluster, fetcher } = await backlogBesideIdle();
    // Partition 1 alone would be a long poll that partition 0's next Fetch must wait behind.
    expect(cluster.fetches).toHaveLength(2);
    const taken = fetcher.take();
    expect(taken !== null && 'delivery' in taken && taken.delivery.batch.records.length).toBe(3);
    for (let i = 0; i < 5; i++) await tick();
    // Partition 0 handed out its first answer: both go in one Fetch, which the broker answers at once.
    expect(cluster.fetches).toHaveLength(3);
    expect(offsetsIn(cluster.fetches[2]!.request)).toEqual([[0, 5n]]);
    const partitions = [...fetcher.partitions.values()];
    expect(partitions.map((p) => p.fetching)).toEqual([true, true]);
    fetcher.close();
  });

  it('sends the long poll after fetchMaxWaitMs when the data ahead is not handed out by then', async () => {
    const { cluster, fetcher, clock } = await backlogBesideIdle();
    clock.advance(499);
    for (let i = 0; i < 5; i++) await tick();
    expect(cluster.fetches).toHaveLength(2);
    clock.advance(1);
    for (let i = 0; i < 5; i++) await tick();
    expect(cluster.fetches).toHaveLength(3);
    const [p0, p1] = [...fetcher.partitions.values()];
    expect([p0!.fetching, p1!.fetching]).toEqual([false, true]);
    fetcher.close();
  });

  it('does not wait when every partition of the broker is at its log end', async () => {
    const { cluster } = await setup({ fetchMaxWaitMs: 500 }, [0, 1]);
    await tick();
    cluster.fetches[0]!.respond(
      response([
        { partitionIndex: 0, highWatermark: 0n, lastStableOffset: 0n },
        { partitionIndex: 1, highWatermark: 0n, lastStableOffset: 0n },
      ]),
    );
    await tick();
    expect(cluster.fetches).toHaveLength(2);
  });
});
