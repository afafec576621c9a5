import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import { committedTotal, runJoinLeaveScenario } from './test-support/group-scenario.js';
import { javaProducer } from './test-support/java-producer.js';

describe('Consumer groups', () => {
  it('shares 6 partitions among 3 members started and stopped one by one, consuming every record exactly once', async () => {
    const cluster = testCluster();
    const run = randomUUID().slice(0, 8);
    const topic = `group-${run}`;
    const groupId = `group-${run}`;
    const TOTAL = 6000;
    await javaProducer(cluster, 'create', 6, topic);
    await javaProducer(cluster, 'produce', TOTAL, topic, 'none');

    const { seen, calls } = await runJoinLeaveScenario({
      cluster,
      topic,
      groupId,
      total: TOTAL,
      config: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 },
    });

    expect(seen.size).toBe(TOTAL);
    const twice = [...seen].filter(([, n]) => n > 1);
    expect(twice).toEqual([]);
    // Every member got partitions at some point.
    const assigned = calls.filter((call) => call.kind === 'assigned' && call.partitions.length > 0);
    expect([...new Set(assigned.map((call) => call.member))].sort()).toEqual(['a', 'b', 'c']);
    expect(await committedTotal(cluster, groupId, topic, 6)).toBe(TOTAL);
  });

  it('leaves the group when a handler stalls past maxPollIntervalMs, then rejoins and gets the unprocessed records again', async () => {
    const cluster = testCluster();
    const run = randomUUID().slice(0, 8);
    const topic = `stall-${run}`;
    await javaProducer(cluster, 'create', 1, topic);
    await javaProducer(cluster, 'produce', 50, topic, 'none');
    const events: string[] = [];
    const consumer = new Consumer({
      brokers: cluster.bootstrap,
      groupId: `stall-${run}`,
      autoOffsetReset: 'earliest',
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 500,
      maxPollIntervalMs: 2_000,
      fetchMaxWaitMs: 100,
    });
    consumer.subscribe([topic], {
      onAssigned: (ps) => void events.push(`assigned ${ps.length}`),
      onRevoked: (ps) => void events.push(`revoked ${ps.length}`),
      onLost: (ps) => void events.push(`lost ${ps.length}`),
    });
    const firstOffsets: number[] = [];
    let calls = 0;
    const done = consumer.run({
      eachBatch: async (batch) => {
        calls++;
        firstOffsets.push(batch.firstOffset);
        if (calls === 1) await sleep(5_000);
      },
    });
    const deadline = Date.now() + 60_000;
    while (firstOffsets.length < 2 && Date.now() < deadline) await sleep(100);
    await consumer.close();
    await done;
    // The stalled batch was never committed: after rejoining, the member reads it again from offset 0.
    expect(firstOffsets.slice(0, 2)).toEqual([0, 0]);
    expect(events.slice(0, 3)).toEqual(['assigned 1', 'lost 1', 'assigned 1']);
  });
});
