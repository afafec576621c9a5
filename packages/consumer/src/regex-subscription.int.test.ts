import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import type { SubscriptionPattern } from './consumer-types.js';
import { javaProducer } from './test-support/java-producer.js';

const RECORDS = 30;

/**
 * Runs a consumer-protocol consumer subscribed to `subscription`, counting every record it is handed
 * by `topic/partition:offset`.
 */
function startConsumer(
  bootstrap: string,
  groupId: string,
  subscription: RegExp | SubscriptionPattern,
  metadataMaxAgeMs: number,
) {
  const consumer = new Consumer({
    brokers: bootstrap,
    groupId,
    groupProtocol: 'consumer',
    autoOffsetReset: 'earliest',
    fetchMaxWaitMs: 100,
    metadataMaxAgeMs,
  });
  const seen = new Map<string, number>();
  consumer.subscribe(subscription);
  const done = consumer.run({
    eachBatch: (batch) => {
      for (const r of batch.records) {
        const key = `${r.topic}/${r.partition}:${r.offset}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    },
  });
  const countOf = (topic: string) => [...seen.keys()].filter((k) => k.startsWith(`${topic}/`)).length;
  return { consumer, done, seen, countOf };
}

async function waitFor(condition: () => boolean, ms: number): Promise<number> {
  const started = Date.now();
  while (!condition() && Date.now() - started < ms) await sleep(100);
  return Date.now() - started;
}

describe("regular-expression subscriptions under groupProtocol 'consumer'", () => {
  it('a SubscriptionPattern consumes every record of the topics whose whole name matches, none of a topic that only contains a match, and a matching topic created later', async () => {
    const cluster = testCluster();
    const run = randomUUID().slice(0, 8);
    const [a, b, other, later] = [`rx-${run}-a`, `rx-${run}-b`, `other-rx-${run}-c`, `rx-${run}-later`];
    await javaProducer(cluster, 'create', 2, a, b, other);
    await javaProducer(cluster, 'produce', RECORDS, a, 'none', b, 'none', other, 'none');
    const regex = `rx-${run}-.*`;
    const c = startConsumer(cluster.bootstrap, `rx-${run}`, { regex }, 3_000);
    try {
      await waitFor(() => c.countOf(a) + c.countOf(b) === 2 * RECORDS, 90_000);
      expect(c.countOf(a)).toBe(RECORDS);
      expect(c.countOf(b)).toBe(RECORDS);

      // Kafka 4 resolves the regex on the broker (ConsumerGroupHeartbeat v1); 3.9 has only v0, so the
      // member matches the topics itself and subscribes to their names.
      const self = (await c.consumer.describeGroup()).self!;
      if (cluster.version.startsWith('3.')) {
        expect(self.subscribedTopicRegex).toBeNull();
        expect(self.subscribedTopicNames).toEqual([a, b]);
      } else {
        expect(self.subscribedTopicRegex).toBe(regex);
        expect(self.subscribedTopicNames).toEqual([]);
      }

      await javaProducer(cluster, 'create', 1, later);
      await javaProducer(cluster, 'produce', RECORDS, later, 'none');
      const tookMs = await waitFor(() => c.countOf(later) === RECORDS, 90_000);
      process.stderr.write(
        `[regex] ${cluster.version}: the topic created later was consumed ${tookMs} ms after producing\n`,
      );
      expect(c.countOf(later)).toBe(RECORDS);
      expect(c.countOf(other)).toBe(0);
      expect([...c.seen.values()].filter((n) => n > 1)).toEqual([]);
    } finally {
      await c.consumer.close();
      await c.done;
    }
  });

  it('a RegExp is matched by the consumer (test semantics) against every topic, and a matching topic created later joins within metadataMaxAgeMs', async () => {
    const cluster = testCluster();
    const run = randomUUID().slice(0, 8);
    const [a, b, other, later] = [`rxc-${run}-a`, `rxc-${run}-b`, `other-${run}-c`, `rxc-${run}-later`];
    await javaProducer(cluster, 'create', 2, a, b, other);
    await javaProducer(cluster, 'produce', RECORDS, a, 'none', b, 'none', other, 'none');
    const c = startConsumer(cluster.bootstrap, `rxc-${run}`, new RegExp(`^rxc-${run}-`), 3_000);
    try {
      await waitFor(() => c.countOf(a) + c.countOf(b) === 2 * RECORDS, 90_000);
      expect(c.countOf(a)).toBe(RECORDS);
      expect(c.countOf(b)).toBe(RECORDS);
      const self = (await c.consumer.describeGroup()).self!;
      expect(self.subscribedTopicRegex).toBeNull();
      expect(self.subscribedTopicNames).toEqual([a, b]);

      await javaProducer(cluster, 'create', 1, later);
      await javaProducer(cluster, 'produce', RECORDS, later, 'none');
      await waitFor(() => c.countOf(later) === RECORDS, 60_000);
      expect(c.countOf(later)).toBe(RECORDS);
      expect(c.countOf(other)).toBe(0);
      expect([...c.seen.values()].filter((n) => n > 1)).toEqual([]);
    } finally {
      await c.consumer.close();
      await c.done;
    }
  });
});
