import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startKafka } from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import type { GroupProtocol } from './config.js';
import { Consumer } from './consumer.js';
import { consumerGroupBrokerProperties, memberTiming } from './test-support/group-timing.js';
import { javaProducer } from './test-support/java-producer.js';

const TIMING = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 };

describe.each<GroupProtocol>(['classic', 'consumer'])(
  "Consumer across a broker restart (groupProtocol '%s')",
  (protocol) => {
    it('resumes after the broker restarts mid-consumption, repeating nothing below the committed position', async () => {
      // The broker is this test's own, so it also carries the consumer protocol's group timings.
      const cluster = await startKafka({
        version: testCluster().version,
        brokerProperties: consumerGroupBrokerProperties(TIMING),
      });
      try {
        const kafka = {
          bootstrap: cluster.bootstrap,
          version: cluster.version,
          runJava: testCluster().runJava,
        };
        const topic = `restart-${protocol}-${randomUUID().slice(0, 8)}`;
        const TOTAL = 3000;
        await javaProducer(kafka, 'create', 3, topic);
        const { acked } = await javaProducer(kafka, 'produce', TOTAL, topic, 'snappy');
        const all = [...acked.get(topic)!.keys()].map((partition) => ({ topic, partition }));

        const deliveries = new Map<string, number>();
        const lost: number[] = [];
        const consumer = new Consumer({
          brokers: cluster.bootstrap,
          groupId: `restart-${topic}`,
          autoOffsetReset: 'earliest',
          autoCommit: { intervalMs: 200 },
          maxPartitionFetchBytes: 8_192,
          fetchMaxWaitMs: 100,
          requestTimeoutMs: 5_000,
          ...memberTiming(protocol, TIMING),
        });
        consumer.subscribe([topic], {
          onLost: (partitions) => {
            lost.push(...partitions.map((p) => p.partition));
          },
        });
        const done = consumer.run({
          eachBatch: async (batch) => {
            for (const r of batch.records) {
              const key = `${r.partition}:${r.offset}`;
              deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
            }
            await sleep(40);
          },
        });
        while (deliveries.size < 1000) await sleep(50);
        const committedAtStop = await consumer.committed(all);
        await cluster.stopNode(1);
        const seenWhileDown = deliveries.size;
        await sleep(2_000);
        await cluster.startNode(1);
        const deadline = Date.now() + 120_000;
        while (deliveries.size < TOTAL && Date.now() < deadline) await sleep(200);
        await consumer.close({ timeoutMs: 10_000 });
        await done;

        expect(seenWhileDown).toBeLessThan(TOTAL);
        expect(deliveries.size).toBe(TOTAL);
        const floor = new Map([...committedAtStop].map(([tp, c]) => [tp.partition, c?.offset ?? 0]));
        const repeatedBelowCommit = [...deliveries]
          .filter(([, n]) => n > 1)
          .map(([key]) => key.split(':').map(Number) as [number, number])
          .filter(([partition, offset]) => offset < floor.get(partition)!);
        expect(repeatedBelowCommit).toEqual([]);
        // The restart is shorter than the session timeout: the member keeps its membership.
        expect(lost).toEqual([]);
      } finally {
        await cluster.stop();
      }
    });
  },
);
