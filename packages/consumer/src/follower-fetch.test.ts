import { ListOffsets, type MetadataRequest, type MetadataResponse } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import type { Delivery } from './fetcher.js';
import { lagOf } from './health.js';
import { BROKER } from './test-support/fake-kafka.js';
import { offsetsIn, records, response, type SentFetch, setup, tick } from './test-support/fetcher-fake.js';

// Follower fetching (KIP-392) through the fetcher: node 1 leads partition 0 of `t`, nodes 2 and 3
// follow; the test answers each Fetch as the broker it went to would.
const LEADER = `${BROKER.host}:${BROKER.port}`;
const FOLLOWER = 'broker2:9092';

/** A three-broker cluster whose metadata the test may change (`brokers`, `replicas`). */
function cluster3() {
  const state = { brokers: [1, 2, 3], replicas: [1, 2, 3] };
  const metadata = (request: MetadataRequest): MetadataResponse => ({
    brokers: state.brokers.map((nodeId) => ({
      nodeId,
      host: nodeId === 1 ? BROKER.host : `broker${nodeId}`,
      port: 9092,
      rack: `r${nodeId}`,
    })),
    clusterId: 'fake',
    controllerId: 1,
    topics: (request.topics ?? [{ name: 't' }]).map((t) => ({
      errorCode: 0,
      name: t.name ?? 't',
      isInternal: false,
      partitions: [0, 1].map((partitionIndex) => ({
        errorCode: 0,
        partitionIndex,
        leaderId: 1,
        leaderEpoch: 7,
        replicaNodes: state.replicas,
        isrNodes: state.replicas,
        offlineReplicas: [],
      })),
    })),
  });
  return { state, metadata };
}

async function start(config: Parameters<typeof setup>[0] = {}) {
  const { state, metadata } = cluster3();
  const fake = await setup({ rack: 'r2', metadataMaxAgeMs: 60_000, ...config }, [0], { metadata });
  const fetches = fake.cluster.fetches;
  /** @returns the `n`th Fetch (from 0) once it was sent. */
  const nth = async (n: number): Promise<SentFetch> => {
    for (let i = 0; i < 100 && fetches.length <= n; i++) await tick();
    expect(fetches.length, `fetch #${n} was not sent`).toBeGreaterThan(n);
    return fetches[n]!;
  };
  /** The leader's first answer names node 2; @returns the Fetch that then goes to node 2. */
  const toFollower = async (): Promise<SentFetch> => {
    const first = await nth(fetches.length === 0 ? 0 : fetches.length - 1);
    expect(first.broker).toBe(LEADER);
    first.respond(response([{ partitionIndex: 0, preferredReadReplica: 2 }]));
    return nth(fetches.indexOf(first) + 1);
  };
  /** @returns the next batch, once the answer carrying it was read. */
  const take = async (): Promise<Delivery> => {
    let taken = fake.fetcher.take();
    for (let i = 0; i < 20 && taken === null; i++) {
      await tick();
      taken = fake.fetcher.take();
    }
    expect(taken && 'delivery' in taken, 'a batch to take').toBe(true);
    return (taken as { delivery: Delivery }).delivery;
  };
  return { ...fake, state, fetches, nth, toFollower, take };
}

describe('follower fetching (KIP-392)', () => {
  it('sends the rack, and fetches from the replica the leader names, at the same offset', async () => {
    const t = await start();
    const first = await t.nth(0);
    expect(first.request.rackId).toBe('r2');
    const second = await t.toFollower();
    expect(second.broker).toBe(FOLLOWER);
    expect(offsetsIn(second.request)).toEqual([[0, 0n]]);
    expect(t.fetcher.take()).toBeNull();
    expect(lagOf(t.fetcher.partitions.values(), false)[0]!.preferredReadReplica).toBe(2);

    second.respond(response([{ partitionIndex: 0, records: records(0, 3) }]));
    const delivery = await t.take();
    expect(delivery.batch.records.map((r) => r.offset)).toEqual([0, 1, 2]);
    t.fetcher.finish(delivery);
    const third = await t.nth(2);
    expect(third.broker).toBe(FOLLOWER);
    expect(offsetsIn(third.request)).toEqual([[0, 3n]]);
    await t.close();
  });

  it('goes back to the leader when the lease of metadataMaxAgeMs ends', async () => {
    const t = await start({ metadataMaxAgeMs: 10_000 });
    const atFollower = await t.toFollower();
    t.clock.advance(9_999);
    atFollower.respond(response([{ partitionIndex: 0, records: null }]));
    expect((await t.nth(2)).broker).toBe(FOLLOWER);
    t.clock.advance(1);
    t.fetches[2]!.respond(response([{ partitionIndex: 0, records: null }]));
    const back = await t.nth(3);
    expect(back.broker).toBe(LEADER);
    expect(lagOf(t.fetcher.partitions.values(), false)[0]!.preferredReadReplica).toBeNull();
    await t.close();
  });

  it('goes back to the leader at once when the replica cannot be reached, and reports the fetchError', async () => {
    const t = await start();
    const errors: number[] = [];
    t.events.on('fetchError', (e) => errors.push(e.nodeId));
    const atFollower = await t.toFollower();
    atFollower.disconnect();
    const back = await t.nth(2);
    expect(back.broker).toBe(LEADER);
    expect(t.p0.position).toEqual({ offset: 0, leaderEpoch: -1 });
    expect(errors).toEqual([2]);
    expect(t.fetcher.stats.fetchErrors).toBe(1);
    await t.close();
  });

  it('asks the leader instead of resetting when the replica answers out of range', async () => {
    const t = await start({ autoOffsetReset: 'earliest' });
    const p = t.p0;
    const atFollower = await t.toFollower();
    atFollower.respond(response([{ partitionIndex: 0, errorCode: 1 }]));
    const atLeader = await t.nth(2);
    expect(atLeader.broker).toBe(LEADER);
    expect(p.position).toEqual({ offset: 0, leaderEpoch: -1 });
    expect(p.resetFrom).toBeNull();
    expect(t.cluster.fake.requestsOf(ListOffsets.apiKey)).toHaveLength(0);
    // The leader's own out-of-range answer resets, as without a replica.
    atLeader.respond(response([{ partitionIndex: 0, errorCode: 1 }]));
    for (let i = 0; i < 20 && p.resetFrom === null; i++) await tick();
    expect(p.resetFrom).toBe(0);
    expect(p.source).toBe('earliest');
    await t.close();
  });

  it('does not halt a partition under reset none for the replica out of range, only for the leader', async () => {
    const t = await start({ autoOffsetReset: 'none' });
    const atFollower = await t.toFollower();
    atFollower.respond(response([{ partitionIndex: 0, errorCode: 1 }]));
    const atLeader = await t.nth(2);
    expect(t.p0.halted).toBeNull();
    expect(t.fetcher.take()).toBeNull();
    atLeader.respond(response([{ partitionIndex: 0, errorCode: 1 }]));
    for (let i = 0; i < 20 && t.p0.halted === null; i++) await tick();
    expect(t.p0.halted?.name).toBe('OffsetOutOfRangeError');
    await t.close();
  });

  it('goes back to the leader after a partition error from the replica (not leader or follower)', async () => {
    const t = await start({ retryBackoffMs: 50 });
    const atFollower = await t.toFollower();
    atFollower.respond(response([{ partitionIndex: 0, errorCode: 6 }]));
    for (let i = 0; i < 20; i++) await tick();
    expect(t.p0.readReplica.preferred).toBeNull();
    t.clock.advance(50);
    const back = await t.nth(2);
    expect(back.broker).toBe(LEADER);
    await t.close();
  });

  it('goes back to the leader when fresh metadata no longer lists the replica for the partition', async () => {
    const t = await start();
    const atFollower = await t.toFollower();
    atFollower.respond(response([{ partitionIndex: 0, records: records(0, 2) }]));
    for (let i = 0; i < 20 && t.fetcher.bufferedBytes === 0; i++) await tick();
    // The next answer is asked of the replica at once, from where the buffered one ends.
    const ahead = await t.nth(2);
    expect(ahead.broker).toBe(FOLLOWER);
    expect(offsetsIn(ahead.request)).toEqual([[0, 2n]]);
    // Node 2 is still a broker, but no longer a replica of the partition (reassigned).
    t.state.replicas = [1, 3];
    t.client.requestMetadataUpdate();
    await t.client.refreshMetadata();
    expect(t.client.metadata.partition('t', 0)?.replicaNodes).toEqual([1, 3]);
    t.fetcher.finish(await t.take());
    ahead.respond(response([{ partitionIndex: 0 }]));
    // The partition waits retryBackoffMs (100) while the metadata is refreshed, then asks the leader.
    for (let i = 0; i < 10; i++) await tick();
    expect(t.fetcher.fetchesInFlight).toBe(0);
    expect(t.fetches).toHaveLength(3);
    t.clock.advance(100);
    const back = await t.nth(3);
    expect(back.broker).toBe(LEADER);
    expect(offsetsIn(back.request)).toEqual([[0, 2n]]);
    // The leader names the unlisted replica again: no fetch goes there, and none at once to the leader.
    back.respond(response([{ partitionIndex: 0, preferredReadReplica: 2 }]));
    for (let i = 0; i < 10; i++) await tick();
    expect(t.fetcher.fetchesInFlight).toBe(0);
    expect(t.fetches).toHaveLength(4);
    t.clock.advance(100);
    expect((await t.nth(4)).broker).toBe(LEADER);
    await t.close();
  });
});
