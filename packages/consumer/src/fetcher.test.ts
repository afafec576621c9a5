import { encodeEndTransactionMarker } from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import { OffsetOutOfRangeError } from './errors.js';
import { offsetsIn, records, response, setup, tick } from './test-support/fetcher-fake.js';

describe('Fetcher', () => {
  it('hands out a fetched batch and already fetches the next offsets while the batch is being processed', async () => {
    const { cluster, fetcher } = await setup();
    await tick();
    expect(cluster.fetches).toHaveLength(1);
    expect(offsetsIn(cluster.fetches[0]!.request)).toEqual([[0, 0n]]);
    expect(cluster.fetches[0]!.request.topics[0]!.partitions[0]!.currentLeaderEpoch).toBe(7);
    cluster.fetches[0]!.respond(response([{ partitionIndex: 0, records: records(0, 3) }]));
    await tick();

    const taken = fetcher.take();
    expect(taken && 'delivery' in taken).toBe(true);
    const delivery = (taken as { delivery: import('./fetcher.js').Delivery }).delivery;
    expect(delivery.batch.records.map((r) => r.offset)).toEqual([0, 1, 2]);
    await tick();
    // The next Fetch is out before `finish`, in the session the broker opened (id 5, epoch 1).
    expect(cluster.fetches).toHaveLength(2);
    const second = cluster.fetches[1]!.request;
    expect([second.sessionId, second.sessionEpoch]).toEqual([5, 1]);
    expect(offsetsIn(second)).toEqual([[0, 3n]]);
    expect(second.topics[0]!.partitions[0]!.lastFetchedEpoch).toBe(7);
    expect(delivery.partition.consumed).toEqual({ offset: 0, leaderEpoch: -1 });
    fetcher.finish(delivery);
    expect(delivery.partition.consumed).toEqual({ offset: 3, leaderEpoch: 7 });
    fetcher.close();
  });

  it('never hands out data fetched before a seek, whether buffered or still in flight', async () => {
    const { cluster, fetcher, p0 } = await setup();
    await tick();
    cluster.fetches[0]!.respond(response([{ partitionIndex: 0, records: records(0, 3) }]));
    await tick();
    // The next answer is already asked for, from where the buffered one ends.
    expect(offsetsIn(cluster.fetches[1]!.request)).toEqual([[0, 3n]]);
    p0.seek({ offset: 50, leaderEpoch: -1 });
    fetcher.purge(p0);
    expect(fetcher.bufferedBytes).toBe(0);
    expect(fetcher.take()).toBeNull();
    cluster.fetches[1]!.respond(response([{ partitionIndex: 0, records: records(3, 2) }]));
    await tick();
    expect(fetcher.take()).toBeNull();
    expect(fetcher.bufferedBytes).toBe(0);
    expect(offsetsIn(cluster.fetches[2]!.request)).toEqual([[0, 50n]]);
    p0.seek({ offset: 80, leaderEpoch: -1 });
    cluster.fetches[2]!.respond(response([{ partitionIndex: 0, records: records(50, 2) }]));
    await tick();
    expect(fetcher.take()).toBeNull();
    expect(offsetsIn(cluster.fetches[3]!.request)).toEqual([[0, 80n]]);
    fetcher.close();
  });

  it('reports OffsetOutOfRangeError once under reset none and keeps the position until the user seeks', async () => {
    const { cluster, fetcher, p0 } = await setup({ autoOffsetReset: 'none' }, [0], {
      start: { offset: 42, leaderEpoch: -1 },
    });
    await tick();
    cluster.fetches[0]!.respond(response([{ partitionIndex: 0, errorCode: 1 }]));
    await tick();
    const taken = fetcher.take();
    expect(taken && 'error' in taken && taken.error).toBeInstanceOf(OffsetOutOfRangeError);
    expect((taken as { error: OffsetOutOfRangeError }).error.offset).toBe(42);
    expect(fetcher.take()).toBeNull();
    expect(p0.position).toEqual({ offset: 42, leaderEpoch: -1 });
    await tick();
    expect(cluster.fetches).toHaveLength(1);
    fetcher.close();
  });

  it('moves back to where the leader log diverged instead of resetting when the broker reports a diverging epoch', async () => {
    const { cluster, fetcher, p0 } = await setup({}, [0], { start: { offset: 30, leaderEpoch: 6 } });
    await tick();
    cluster.fetches[0]!.respond(
      response([
        { partitionIndex: 0, divergingEpoch: { epoch: 6, endOffset: 25n }, records: records(30, 1) },
      ]),
    );
    await tick();
    expect(p0.position).toEqual({ offset: 25, leaderEpoch: 6 });
    expect(fetcher.take()).toBeNull();
    expect(offsetsIn(cluster.fetches[1]!.request)).toEqual([[0, 25n]]);
    fetcher.close();
  });

  it('fetches again after data that held nothing to hand out (a transaction marker), without being woken', async () => {
    const { cluster, fetcher } = await setup({ isolationLevel: 'read_committed' });
    await tick();
    // Under read_committed a Fetch may return only the marker of a transaction whose records came
    // before: nothing to hand out, but the position moves past it and the next Fetch must follow.
    const marker = encodeEndTransactionMarker({
      baseOffset: 0,
      producerId: 1,
      producerEpoch: 0,
      commit: true,
      coordinatorEpoch: 0,
      timestamp: 1,
    });
    cluster.fetches[0]!.respond(response([{ partitionIndex: 0, records: marker }]));
    await tick();
    expect(fetcher.take()).toBeNull();
    await tick();
    expect(cluster.fetches).toHaveLength(2);
    expect(offsetsIn(cluster.fetches[1]!.request)).toEqual([[0, 1n]]);
    fetcher.close();
  });

  it('stops fetching while buffered bytes are at the limit and resumes once the user is done with the data', async () => {
    const { cluster, fetcher } = await setup({ maxBufferedBytes: 10 }, [0, 1]);
    await tick();
    expect(offsetsIn(cluster.fetches[0]!.request)).toEqual([
      [0, 0n],
      [1, 0n],
    ]);
    cluster.fetches[0]!.respond(response([{ partitionIndex: 0, records: records(0, 2) }]));
    await tick();
    expect(fetcher.bufferedBytes).toBeGreaterThan(10);
    expect(cluster.fetches).toHaveLength(1);
    const taken = fetcher.take();
    expect(taken && 'delivery' in taken).toBe(true);
    await tick();
    // The batch handed out still holds its bytes (its records are views of them).
    expect(cluster.fetches).toHaveLength(1);
    fetcher.finish((taken as { delivery: import('./fetcher.js').Delivery }).delivery);
    await tick();
    expect(fetcher.bufferedBytes).toBe(0);
    expect(cluster.fetches).toHaveLength(2);
    expect(offsetsIn(cluster.fetches[1]!.request)).toEqual([[0, 2n]]);
    fetcher.close();
  });
});
