import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CooperativeStickyAssignor, RangeAssignor } from '@runnel/assignors';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import type { ConsumerRecord } from './batch.js';
import type { ConsumerConfig } from './config.js';
import { Consumer } from './consumer.js';
import { javaProducer } from './test-support/java-producer.js';
import { until } from './test-support/until.js';
import { startUserProgram } from './test-support/user-process.js';

const text = new TextDecoder();

async function committedOf(bootstrap: string, groupId: string, topic: string, partitions: number) {
  const check = new Consumer({ brokers: bootstrap, groupId });
  try {
    const committed = await check.committed(
      Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
    );
    return [...committed.values()].map((c) => c?.offset ?? 0);
  } finally {
    await check.close();
  }
}

describe("run with ordering 'key' on a real broker", () => {
  const TOTAL = 10_000;
  const KEYS = 100;

  it('processes 10,000 records over 100 keys once each, one at a time per key in offset order, and commits them all', async () => {
    const cluster = testCluster();
    const run = randomUUID().slice(0, 8);
    const topic = `parallel-${run}`;
    const groupId = `parallel-${run}`;
    await javaProducer(cluster, 'create', 1, topic);
    await javaProducer(cluster, 'keyed', topic, TOTAL, KEYS);
    const consumer = new Consumer({
      brokers: cluster.bootstrap,
      groupId,
      autoOffsetReset: 'earliest',
      autoCommit: { intervalMs: 500 },
      fetchMaxWaitMs: 100,
    });
    consumer.assign([{ topic, partition: 0 }]);
    const startedPerKey = new Map<string, number[]>();
    const running = new Set<string>();
    const done = new Map<number, number>();
    let overlaps = 0;
    let inFlight = 0;
    let most = 0;
    const runDone = consumer.run({
      ordering: 'key',
      maxInFlight: 100,
      eachRecord: async (record: ConsumerRecord) => {
        const key = text.decode(record.key!);
        if (running.has(key)) overlaps++;
        running.add(key);
        most = Math.max(most, ++inFlight);
        startedPerKey.set(key, [...(startedPerKey.get(key) ?? []), record.offset]);
        await sleep(Math.floor(Math.random() * 21));
        // The producer wrote value i at offset i with key key-(i % 100).
        expect(text.decode(record.value!)).toBe(String(record.offset));
        expect(key).toBe(`key-${record.offset % KEYS}`);
        inFlight--;
        running.delete(key);
        done.set(record.offset, (done.get(record.offset) ?? 0) + 1);
      },
    });
    await until('record done', () => done.size === TOTAL, 25_000);
    await consumer.close();
    await runDone;
    expect([...done.values()].every((n) => n === 1)).toBe(true);
    expect(overlaps).toBe(0);
    expect(startedPerKey.size).toBe(KEYS);
    for (const [key, offsets] of startedPerKey) {
      const k = Number(key.slice(4));
      expect(offsets).toEqual(Array.from({ length: TOTAL / KEYS }, (_, i) => k + i * KEYS));
    }
    expect(most).toBeGreaterThan(10);
    expect(most).toBeLessThanOrEqual(100);
    expect(await committedOf(cluster.bootstrap, groupId, topic, 1)).toEqual([TOTAL]);
  }, 60_000);

  it('after a SIGKILL mid-way, a restarted consumer loses nothing and redoes only records past the committed watermark', async () => {
    const cluster = testCluster();
    const run = randomUUID().slice(0, 8);
    const topic = `parallel-kill-${run}`;
    const groupId = `parallel-kill-${run}`;
    await javaProducer(cluster, 'create', 1, topic);
    await javaProducer(cluster, 'keyed', topic, TOTAL, KEYS);
    const args = {
      config: {
        brokers: cluster.bootstrap,
        groupId,
        autoOffsetReset: 'earliest',
        autoCommit: { intervalMs: 200 },
        fetchMaxWaitMs: 100,
      },
      assign: [{ topic, partition: 0 }],
      ordering: 'key',
      maxInFlight: 100,
      maxDelayMs: 20,
    };
    const doneIn = (events: { event: string; o?: unknown }[]) =>
      events.filter((e) => e.event === 'done').map((e) => e.o as number);

    const first = startUserProgram('parallel-child.mjs', args);
    let firstDone: number[];
    let committed: number;
    try {
      await first.waitFor((e) => e.event === 'done' && (e.o as number) >= 0, 20_000, 'a first record');
      await until('4,000 records done', () => first.eventsOf('done').length >= 4_000, 20_000);
      await first.stop();
      firstDone = doneIn(first.events);
      [committed] = (await committedOf(cluster.bootstrap, groupId, topic, 1)) as [number];
    } finally {
      await first.stop();
    }
    expect(firstDone.length).toBeLessThan(TOTAL);
    expect(committed).toBeGreaterThan(0);
    // Nothing committed that was not done: every offset below the committed watermark was done.
    const firstSet = new Set(firstDone);
    expect(firstSet.size).toBe(firstDone.length);
    const missingBelow = Array.from({ length: committed }, (_, o) => o).filter((o) => !firstSet.has(o));
    expect(missingBelow).toEqual([]);

    const second = startUserProgram('parallel-child.mjs', args);
    try {
      await until('rest done', () => second.eventsOf('done').length >= TOTAL - committed, 25_000);
      await sleep(300);
    } finally {
      await second.stop();
    }
    const secondDone = doneIn(second.events);
    // The restart starts at the committed watermark and does every record from there once.
    expect([...secondDone].sort((a, b) => a - b)).toEqual(
      Array.from({ length: TOTAL - committed }, (_, i) => committed + i),
    );
    // Redone: only records past the watermark (done by the first run after its last commit).
    const redone = secondDone.filter((o) => firstSet.has(o));
    expect(redone.every((o) => o >= committed)).toBe(true);
    expect(new Set([...firstDone, ...secondDone]).size).toBe(TOTAL);
    console.log(`SIGKILL after ${firstDone.length} done; committed ${committed}; redone ${redone.length}`);
  }, 90_000);
});

type Protocol = 'classic eager' | 'classic cooperative' | 'consumer';

const PROTOCOLS: Record<Protocol, Partial<ConsumerConfig>> = {
  'classic eager': { assignors: [new RangeAssignor()], sessionTimeoutMs: 10_000, heartbeatIntervalMs: 300 },
  'classic cooperative': {
    assignors: [new CooperativeStickyAssignor()],
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 300,
  },
  consumer: { groupProtocol: 'consumer' },
};

describe.each(Object.keys(PROTOCOLS) as Protocol[])(
  'a rebalance with 500 records in flight (%s)',
  (protocol) => {
    it('loses nothing and never commits a record that was not done', async () => {
      const cluster = testCluster();
      const run = randomUUID().slice(0, 8);
      const topic = `parallel-rebalance-${run}`;
      const groupId = `parallel-rebalance-${run}`;
      const PER_PARTITION = 1_500;
      await javaProducer(cluster, 'create', 2, topic);
      // Unique keys (k-i): under ordering 'key' up to maxInFlight of them run at once.
      const produced = await javaProducer(cluster, 'produce', 2 * PER_PARTITION, topic, 'none');
      const counts = [0, 1].map((p) => produced.acked.get(topic)?.get(p) ?? 0);
      const config: ConsumerConfig = {
        brokers: cluster.bootstrap,
        groupId,
        autoOffsetReset: 'earliest',
        autoCommit: { intervalMs: 300 },
        fetchMaxWaitMs: 100,
        ...PROTOCOLS[protocol],
      };
      const done = [new Set<number>(), new Set<number>()];
      const doneTwice: string[] = [];
      let inFlightA = 0;
      let inFlightAtJoin = 0;
      const handler = (onStart: () => void, onEnd: () => void) => async (record: ConsumerRecord) => {
        onStart();
        await sleep(500 + Math.floor(Math.random() * 1_000));
        onEnd();
        const set = done[record.partition]!;
        if (set.has(record.offset)) doneTwice.push(`${record.partition}:${record.offset}`);
        set.add(record.offset);
      };
      // Every committed offset seen while it runs must have every record below it done.
      const violations: string[] = [];
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          const committed = await committedOf(cluster.bootstrap, groupId, topic, 2);
          committed.forEach((c, p) => {
            for (let o = 0; o < c; o++)
              if (!done[p]!.has(o)) {
                violations.push(`partition ${p}: committed ${c} but ${o} not done`);
                break;
              }
          });
          await sleep(200);
        }
      })();

      const a = new Consumer({ ...config, clientId: 'a' });
      const b = new Consumer({ ...config, clientId: 'b' });
      const revokedA: number[] = [];
      let bAssigned = 0;
      try {
        a.subscribe([topic], { onRevoked: (ps) => void revokedA.push(...ps.map((p) => p.partition)) });
        const runA = a.run({
          ordering: 'key',
          maxInFlight: 500,
          eachRecord: handler(
            () => inFlightA++,
            () => inFlightA--,
          ),
        });
        await until('500 records in flight', () => inFlightA >= 500, 20_000);
        inFlightAtJoin = inFlightA;
        b.subscribe([topic], { onAssigned: (ps) => void (bAssigned += ps.length) });
        const runB = b.run({
          ordering: 'key',
          maxInFlight: 500,
          eachRecord: handler(
            () => {},
            () => {},
          ),
        });
        await until(
          'every record done',
          () => done[0]!.size === counts[0] && done[1]!.size === counts[1],
          60_000,
        );
        watching = false;
        await watcher;
        await Promise.all([a.close(), b.close()]);
        await Promise.all([runA, runB]);
      } finally {
        watching = false;
        await Promise.all([a.close(), b.close()]);
      }
      expect(inFlightAtJoin).toBe(500);
      expect(revokedA.length).toBeGreaterThan(0);
      expect(bAssigned).toBeGreaterThan(0);
      expect(violations).toEqual([]);
      expect(await committedOf(cluster.bootstrap, groupId, topic, 2)).toEqual(counts);
      console.log(`${protocol}: ${doneTwice.length} records done twice (redone past a revoked watermark)`);
    }, 90_000);
  },
);
