import { randomUUID } from 'node:crypto';
import { testCluster } from '@runnel/kafka-local/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import { IllegalStateError } from './errors.js';
import { javaProducer } from './test-support/java-producer.js';
import { until } from './test-support/until.js';

const run = randomUUID().slice(0, 8);
const topic = `gaps-${run}`;
const TOTAL = 300;

const make = (options: Partial<ConstructorParameters<typeof Consumer>[0]> = {}) =>
  new Consumer({
    brokers: testCluster().bootstrap,
    autoOffsetReset: 'earliest',
    fetchMaxWaitMs: 100,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 500,
    ...options,
  });

describe('the consumer calls Java has (issue 19), against a real broker', () => {
  beforeAll(async () => {
    await javaProducer(testCluster(), 'create', 2, topic);
    await javaProducer(testCluster(), 'produce', TOTAL, topic, 'none');
  });

  it('describes topics: partitionsFor names leader and replicas, listTopics lists it, an unknown topic is []', async () => {
    const c = make();
    const partitions = await c.partitionsFor(topic);
    expect(partitions.map((p) => p.partition)).toEqual([0, 1]);
    const nodes = testCluster().brokers.map((b) => b.nodeId);
    for (const p of partitions) {
      expect(p.topic).toBe(topic);
      expect(nodes).toContain(p.leader);
      expect(p.replicas).toContain(p.leader);
      expect(p.inSyncReplicas).toContain(p.leader);
    }
    const all = await c.listTopics();
    expect(all.get(topic)?.length).toBe(2);
    expect([...all.keys()].some((name) => name.startsWith('__'))).toBe(false);
    expect(await c.partitionsFor(`missing-${run}`)).toEqual([]);
    // It created nothing.
    expect((await c.listTopics()).has(`missing-${run}`)).toBe(false);
    await c.close();
  });

  it('answers committed(), watermarks() and offsetsForTimes() for a fresh { topic, partition }', async () => {
    const groupId = `gaps-lookup-${run}`;
    const c = make({ groupId });
    await c.commit([{ topic, partition: 1, offset: 7 }]);
    const committed = await c.committed([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    expect(committed.get({ topic, partition: 1 })?.offset).toBe(7);
    expect(committed.get({ topic, partition: 0 })).toBeNull();
    const ends = await c.watermarks(
      [
        { topic, partition: 0 },
        { topic, partition: 1 },
      ],
      'latest',
    );
    expect((ends.get({ topic, partition: 0 }) ?? 0) + (ends.get({ topic, partition: 1 }) ?? 0)).toBe(TOTAL);
    const byTime = await c.offsetsForTimes([{ topic, partition: 0, timestamp: 0 }]);
    expect(byTime.get({ topic, partition: 0 })?.offset).toBe(0);
    await c.close();
  });

  it('caps batches at maxPollRecords', async () => {
    const c = make({ maxPollRecords: 7 });
    c.assign([{ topic, partition: 0 }]);
    const sizes: number[] = [];
    let next = 0;
    const end = (await c.watermarks([{ topic, partition: 0 }], 'latest')).get({ topic, partition: 0 })!;
    for await (const batch of c.batches({ signal: AbortSignal.timeout(30_000) })) {
      sizes.push(batch.records.length);
      for (const r of batch.records) expect(r.offset).toBe(next++);
      if (next === end) break;
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(7);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(end);
    await c.close();
  });

  it('reports subscription() and groupMetadata(), rebalances on enforceRebalance(), and unsubscribes', async () => {
    const groupId = `gaps-group-${run}`;
    const c = make({ groupId });
    expect(c.subscription()).toEqual([]);
    expect(c.groupMetadata()).toMatchObject({ groupId, generationId: -1, memberId: '' });
    expect(() => c.enforceRebalance()).toThrow(IllegalStateError);
    const events: string[] = [];
    c.subscribe([topic], {
      onAssigned: (ps) => void events.push(`assigned ${ps.length}`),
      onRevoked: (ps) => void events.push(`revoked ${ps.length}`),
    });
    expect(c.subscription()).toEqual([topic]);
    let seen = 0;
    const done = c.run({
      eachBatch: (batch) => {
        seen += batch.records.length;
      },
    });
    await until('assignment and every record', () => events.includes('assigned 2') && seen === TOTAL, 30_000);
    const first = c.groupMetadata();
    expect(first.generationId).toBeGreaterThan(0);
    expect(first.memberId).not.toBe('');
    expect(c.enforceRebalance('testing enforceRebalance')).toBe(true);
    await until('new generation', () => c.groupMetadata().generationId > first.generationId, 30_000);
    expect(c.groupMetadata().memberId).toBe(first.memberId);

    await c.unsubscribe();
    expect(c.subscription()).toEqual([]);
    expect(c.assignment()).toEqual([]);
    expect(c.groupMetadata().generationId).toBe(-1);
    // The processed positions were committed on the way out, and the group is empty.
    const committed = await c.committed([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    expect([...committed.values()].reduce((sum, o) => sum + (o?.offset ?? 0), 0)).toBe(TOTAL);
    expect((await c.describeGroup()).members).toEqual([]);
    // After unsubscribe, assign is allowed.
    c.assign([{ topic, partition: 0 }]);
    expect(c.assignment()).toEqual([{ topic, partition: 0 }]);
    await c.close();
    await done;
  });
});
