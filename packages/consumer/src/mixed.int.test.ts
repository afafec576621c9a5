import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CooperativeStickyAssignor, RangeAssignor } from '@runnel/assignors';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import { javaProducer } from './test-support/java-producer.js';

interface VerifiableEvent {
  name: string;
  partitions?: Array<{
    topic: string;
    partition: number;
    count?: number;
    minOffset?: number;
    maxOffset?: number;
  }>;
}

describe('A group mixing Runnel and Java VerifiableConsumer members', () => {
  it.each([
    ['range', 'org.apache.kafka.clients.consumer.RangeAssignor', () => new RangeAssignor()],
    [
      'cooperative-sticky',
      'org.apache.kafka.clients.consumer.CooperativeStickyAssignor',
      () => new CooperativeStickyAssignor(),
    ],
  ])(
    'shares partitions under %s: both get some, nothing is lost, nothing is consumed twice',
    async (name, javaAssignor, assignor) => {
      const cluster = testCluster();
      const run = randomUUID().slice(0, 8);
      const topic = `mixed-${name}-${run}`;
      const groupId = `mixed-${name}-${run}`;
      const TOTAL = 6000;
      await javaProducer(cluster, 'create', 6, topic);
      await javaProducer(cluster, 'produce', TOTAL, topic, 'none');

      const deliveries = new Map<string, number>();
      const count = (partition: number, offset: number) => {
        const key = `${partition}:${offset}`;
        deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
      };
      const runnelAssigned: number[][] = [];
      const consumer = new Consumer({
        brokers: cluster.bootstrap,
        groupId,
        assignors: [assignor()],
        autoOffsetReset: 'earliest',
        sessionTimeoutMs: 10_000,
        heartbeatIntervalMs: 500,
        maxPartitionFetchBytes: 4_096,
        fetchMaxWaitMs: 100,
      });
      consumer.subscribe([topic], {
        onAssigned: (ps) => void runnelAssigned.push(ps.map((p) => p.partition)),
      });
      const done = consumer.run({
        eachBatch: async (batch) => {
          for (const r of batch.records) count(r.partition, r.offset);
          await sleep(100);
        },
      });
      while (runnelAssigned.length === 0) await sleep(100);

      // The Java member stops by itself (a clean close: commit, leave) after 500 records.
      const java = await cluster.runJava(
        'org.apache.kafka.tools.VerifiableConsumer',
        [
          '--bootstrap-server',
          cluster.bootstrap,
          '--topic',
          topic,
          '--group-id',
          groupId,
          '--group-protocol',
          'classic',
          '--assignment-strategy',
          javaAssignor,
          '--reset-policy',
          'earliest',
          '--session-timeout',
          '10000',
          '--max-messages',
          '500',
        ],
        { timeoutMs: 120_000 },
      );
      const events = java.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as VerifiableEvent);
      const javaAssigned = events.filter(
        (e) => e.name === 'partitions_assigned' && (e.partitions?.length ?? 0) > 0,
      );
      let javaRecords = 0;
      for (const e of events.filter((e) => e.name === 'records_consumed')) {
        for (const p of e.partitions ?? []) {
          expect(p.maxOffset! - p.minOffset! + 1).toBe(p.count);
          for (let o = p.minOffset!; o <= p.maxOffset!; o++) count(p.partition, o);
          javaRecords += p.count!;
        }
      }

      const deadline = Date.now() + 120_000;
      while (deliveries.size < TOTAL && Date.now() < deadline) await sleep(200);
      await consumer.close();
      await done;

      expect(java.code).toBe(0);
      expect(javaAssigned.length).toBeGreaterThan(0);
      expect(javaRecords).toBeGreaterThanOrEqual(500);
      expect(runnelAssigned.some((ps) => ps.length > 0)).toBe(true);
      expect(deliveries.size).toBe(TOTAL);
      expect([...deliveries].filter(([, n]) => n > 1)).toEqual([]);
    },
  );
});
