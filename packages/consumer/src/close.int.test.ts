import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startKafka } from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import { javaProducer } from './test-support/java-producer.js';

function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

describe('Consumer.close', () => {
  it('returns within its timeout when the broker is already stopped, leaving no socket or timer behind', async () => {
    const cluster = await startKafka({ version: testCluster().version });
    let stopped = false;
    try {
      const topic = `close-${randomUUID().slice(0, 8)}`;
      const kafka = {
        bootstrap: cluster.bootstrap,
        version: cluster.version,
        runJava: testCluster().runJava,
      };
      // runJava of testCluster() takes the version only; the bootstrap comes from the arguments.
      await javaProducer(kafka, 'create', 2, topic);
      await javaProducer(kafka, 'produce', 100, topic, 'none');
      const before = resourceCounts();

      const consumer = new Consumer({
        brokers: cluster.bootstrap,
        groupId: `close-${topic}`,
        autoOffsetReset: 'earliest',
        autoCommit: { intervalMs: 60_000 },
        fetchMaxWaitMs: 100,
      });
      consumer.assign([
        { topic, partition: 0 },
        { topic, partition: 1 },
      ]);
      let seen = 0;
      for await (const batch of consumer.batches({ signal: AbortSignal.timeout(60_000) })) {
        seen += batch.records.length;
        if (seen >= 100) break;
      }
      expect(seen).toBe(100);
      expect(resourceCounts().get('TCPSocketWrap') ?? 0).toBeGreaterThan(before.get('TCPSocketWrap') ?? 0);

      await cluster.stop();
      stopped = true;
      const started = performance.now();
      await consumer.close({ timeoutMs: 3_000 });
      const elapsed = performance.now() - started;
      expect(elapsed).toBeLessThan(3_500);
      expect(consumer.health().state).toBe('closed');

      await sleep(50);
      const after = resourceCounts();
      for (const [kind, n] of after)
        expect({ kind, n }).toEqual({ kind, n: Math.min(n, before.get(kind) ?? 0) });
    } finally {
      if (!stopped) await cluster.stop();
    }
  });
});
