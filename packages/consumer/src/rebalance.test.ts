import type { Logger } from '@runnel/network';
import { Fetch, OffsetCommit, OffsetFetch } from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { TopicPartition } from './batch.js';
import { Commits } from './commits.js';
import type { ConsumerConfig } from './config.js';
import { type Delivery, Fetcher } from './fetcher.js';
import { Rebalances } from './rebalance.js';
import { commitAnswer, committedAnswer, FakeKafka, sentCommits } from './test-support/fake-kafka.js';
import { records, response } from './test-support/fetcher-fake.js';

const kafkas: FakeKafka[] = [];
afterEach(async () => {
  await Promise.all(kafkas.splice(0).map((k) => k.close()));
});

const t0 = { topic: 't', partition: 0 };
const t1 = { topic: 't', partition: 1 };
const names = (ps: readonly TopicPartition[]) => ps.map((p) => `${p.topic}-${p.partition}`);

/**
 * Rebalance handling of group `g` over a fake Kafka: partitions start at committed offset 0, the first
 * Fetch hands out 3 records of `t-0`, and every event (commit, listener call) is recorded in order.
 */
function setup(config: Partial<ConsumerConfig> = {}) {
  const events: string[] = [];
  const errors: string[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (_obj, msg) => errors.push(`warn: ${msg}`),
    error: (_obj, msg) => errors.push(`error: ${msg}`),
  };
  const kafka = new FakeKafka({ groupId: 'g', logger, ...config });
  kafkas.push(kafka);
  kafka.on(OffsetFetch, (r) => committedAnswer(r, () => 0));
  kafka.on(OffsetCommit, (r) => {
    events.push(`commit ${sentCommits(r).map((c) => `t-${c.partition}@${c.offset}`)}`);
    return commitAnswer(r);
  });
  let fetches = 0;
  kafka.on(Fetch, () =>
    fetches++ === 0 ? { response: response([{ partitionIndex: 0, records: records(0, 3) }]) } : undefined,
  );
  const state = { running: true };
  const fetcher = new Fetcher(kafka.context);
  const commits = new Commits(kafka.context, {
    partitions: fetcher.partitions,
    group: () => null,
    isRunning: () => state.running,
  });
  const rebalances = new Rebalances(kafka.context, fetcher, commits, () => state.running);
  const assigned = () => names([...fetcher.partitions.values()]);
  rebalances.listener = {
    onAssigned: (ps) => void events.push(`onAssigned ${names(ps)} (assigned: ${assigned()})`),
    onRevoked: (ps) => void events.push(`onRevoked ${names(ps)} (assigned: ${assigned()})`),
    onLost: (ps) => void events.push(`onLost ${names(ps)} (assigned: ${assigned()})`),
  };
  /** @returns the batch of `t-0` the first Fetch holds, once handed out. */
  const takeBatch = async (): Promise<Delivery> => {
    for (let i = 0; i < 20; i++) {
      await kafka.pass(100);
      const taken = fetcher.take();
      if (taken && 'delivery' in taken) return taken.delivery;
    }
    throw new Error('no batch was handed out');
  };
  const close = () => {
    fetcher.close();
  };
  return { kafka, fetcher, rebalances, events, errors, state, takeBatch, close };
}

describe('Rebalances', () => {
  it('fetches assigned partitions, then calls onAssigned with the partitions added', async () => {
    const { rebalances, fetcher, events, close } = setup();
    await rebalances.assigned([t1], [t0, t1]);
    expect(events).toEqual(['onAssigned t-1 (assigned: t-0,t-1)']);
    expect([...fetcher.partitions.keys()]).toHaveLength(2);
    close();
  });

  it('on revocation waits for the partition’s handler, then commits what it processed, then calls onRevoked, then releases it', async () => {
    const { kafka, rebalances, fetcher, events, takeBatch, close } = setup();
    await rebalances.assigned([t0, t1], [t0, t1]);
    events.length = 0;
    const batch = await takeBatch();
    let revoked = false;
    const revoking = rebalances.revoked([t0]).then(() => {
      revoked = true;
    });
    // The user still holds the batch: nothing is committed and the listener waits, however long.
    await kafka.pass(5_000, 100);
    expect([events, revoked]).toEqual([[], false]);
    expect(fetcher.take()).toBeNull();
    fetcher.finish(batch);
    await revoking;
    expect(events).toEqual(['commit t-0@3', 'onRevoked t-0 (assigned: t-0,t-1)']);
    expect(names([...fetcher.partitions.values()])).toEqual(['t-1']);
    close();
  });

  it('on revocation waits for records still running under a parallel ordering, then commits their watermark', async () => {
    const { kafka, rebalances, fetcher, events, takeBatch, close } = setup();
    await rebalances.assigned([t0], [t0]);
    events.length = 0;
    const delivery = await takeBatch();
    // As run({ ordering: 'key' }) leaves it: the batch released and the partition handed on, record 0
    // done (the watermark at 1), records 1 and 2 still running.
    const p = delivery.partition;
    fetcher.releaseHeld(delivery);
    p.busy = false;
    p.consumed = { offset: 1, leaderEpoch: 7 };
    p.unfinished = 2;
    let revoked = false;
    const revoking = rebalances.revoked([t0]).then(() => {
      revoked = true;
    });
    await kafka.pass(5_000, 100);
    expect([events, revoked]).toEqual([[], false]);
    // Record 2 ends first (the watermark stays), then record 1 ends undone (dropped): nothing moves.
    p.unfinished = 0;
    fetcher.wake();
    await revoking;
    expect(events).toEqual(['commit t-0@1', 'onRevoked t-0 (assigned: t-0)']);
    close();
  });

  it('does not commit on revocation with auto-commit off, and does not wait for handlers while closing', async () => {
    const { rebalances, fetcher, events, state, takeBatch, close } = setup({ autoCommit: false });
    await rebalances.assigned([t0], [t0]);
    events.length = 0;
    await takeBatch();
    state.running = false;
    await rebalances.revoked([t0]);
    expect(events).toEqual(['onRevoked t-0 (assigned: t-0)']);
    expect(fetcher.partitions.size).toBe(0);
    close();
  });

  it('releases lost partitions before onLost and never commits them', async () => {
    const { kafka, rebalances, fetcher, events, takeBatch, close } = setup();
    await rebalances.assigned([t0, t1], [t0, t1]);
    events.length = 0;
    fetcher.finish(await takeBatch());
    await rebalances.lost([t0, t1]);
    await kafka.pass(1_000);
    expect(events).toEqual(['onLost t-0,t-1 (assigned: )']);
    expect(kafka.requests(OffsetCommit)).toEqual([]);
    close();
  });

  it('logs a listener that throws, and still releases the partitions', async () => {
    const { rebalances, fetcher, errors, close } = setup({ autoCommit: false });
    rebalances.listener = {
      onRevoked: () => {
        throw new Error('listener bug');
      },
    };
    await rebalances.assigned([t0], [t0]);
    await rebalances.revoked([t0]);
    expect(errors).toEqual(['error: rebalance listener onRevoked failed']);
    expect(fetcher.partitions.size).toBe(0);
    close();
  });

  it('logs a commit on revocation that fails, and still calls onRevoked', async () => {
    const { kafka, rebalances, events, errors, takeBatch, fetcher, close } = setup();
    kafka.on(OffsetCommit, (r) => commitAnswer(r, 22)); // ILLEGAL_GENERATION
    await rebalances.assigned([t0], [t0]);
    events.length = 0;
    fetcher.finish(await takeBatch());
    await rebalances.revoked([t0]);
    expect(errors).toEqual(['warn: commit on revocation failed']);
    expect(events).toEqual(['onRevoked t-0 (assigned: t-0)']);
    close();
  });
});
