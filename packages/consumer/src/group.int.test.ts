import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import type { TopicPartition } from './batch.js';
import { Consumer } from './consumer.js';
import { javaProducer } from './test-support/java-producer.js';

const decode = (b: Uint8Array | null) => (b === null ? '' : new TextDecoder().decode(b));

function debugLogger(name: string) {
  const log = (level: string) => (fields: Record<string, unknown>, message: string) =>
    process.stderr.write(
      `${new Date().toISOString()} ${name} ${level} ${message} ${JSON.stringify(fields, (_k, v) => (v instanceof Error ? v.message : typeof v === 'bigint' ? String(v) : v))}\n`,
    );
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

describe('Consumer groups', () => {
  it('shares 6 partitions among 3 members started and stopped one by one, consuming every record exactly once', async () => {
    const cluster = testCluster();
    const run = randomUUID().slice(0, 8);
    const topic = `group-${run}`;
    const groupId = `group-${run}`;
    const TOTAL = 6000;
    await javaProducer(cluster, 'create', 6, topic);
    await javaProducer(cluster, 'produce', TOTAL, topic, 'none');

    const seen = new Map<string, number>();
    const assignedTo = new Map<string, TopicPartition[][]>();
    const start = (name: string) => {
      const consumer = new Consumer({
        brokers: cluster.bootstrap,
        clientId: name,
        groupId,
        autoOffsetReset: 'earliest',
        sessionTimeoutMs: 10_000,
        heartbeatIntervalMs: 500,
        maxPollIntervalMs: 30_000,
        maxPartitionFetchBytes: 8_192,
        fetchMaxWaitMs: 100,
        ...(process.env.RUNNEL_DEBUG ? { logger: debugLogger(name) } : {}),
      });
      consumer.subscribe([topic], {
        onRevoked: (partitions) => {
          if (process.env.RUNNEL_DEBUG)
            process.stderr.write(`${name} revoked ${JSON.stringify(partitions)}\n`);
        },
        onAssigned: (partitions) => {
          if (process.env.RUNNEL_DEBUG)
            process.stderr.write(`${name} assigned ${JSON.stringify(partitions)}\n`);
          assignedTo.set(name, [...(assignedTo.get(name) ?? []), [...partitions]]);
        },
      });
      const done = consumer.run({
        eachBatch: async (batch) => {
          for (const r of batch.records) {
            const key = decode(r.key);
            seen.set(key, (seen.get(key) ?? 0) + 1);
          }
          await sleep(100);
        },
      });
      return { consumer, done };
    };

    const a = start('a');
    await sleep(3_000);
    const b = start('b');
    await sleep(3_000);
    const c = start('c');
    await sleep(3_000);
    await a.consumer.close();
    await a.done;
    await sleep(3_000);
    await b.consumer.close();
    await b.done;
    const deadline = Date.now() + (process.env.RUNNEL_DEBUG ? 15_000 : 90_000);
    while (seen.size < TOTAL && Date.now() < deadline) {
      await sleep(1000);
      if (process.env.RUNNEL_DEBUG)
        process.stderr.write(`seen ${seen.size} ${JSON.stringify(c.consumer.health())}\n`);
    }
    await c.consumer.close();
    await c.done;

    expect(seen.size).toBe(TOTAL);
    const twice = [...seen].filter(([, n]) => n > 1);
    expect(twice).toEqual([]);
    // Every member got partitions at some point.
    expect([...assignedTo.keys()].sort()).toEqual(['a', 'b', 'c']);

    const check = new Consumer({ brokers: cluster.bootstrap, groupId });
    try {
      const committed = await check.committed(
        Array.from({ length: 6 }, (_, partition) => ({ topic, partition })),
      );
      expect([...committed.values()].reduce((n, o) => n + (o?.offset ?? 0), 0)).toBe(TOTAL);
    } finally {
      await check.close();
    }
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
