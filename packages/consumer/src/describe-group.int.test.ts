import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { testCluster } from '@runnel/kafka-local/vitest';
import { KafkaProtocolError } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import type { TopicPartition } from './batch.js';
import type { ConsumerConfig } from './config.js';
import { Consumer } from './consumer.js';
import type { GroupDescription } from './group-description.js';
import { javaProducer } from './test-support/java-producer.js';

const sorted = (ps: readonly TopicPartition[]) =>
  [...ps].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));

/** Starts a consumer on `topic` that counts the records it is handed. */
function startConsumer(config: ConsumerConfig, topic: string) {
  const consumer = new Consumer(config);
  let records = 0;
  consumer.subscribe([topic]);
  const done = consumer.run({
    eachBatch: (batch) => {
      records += batch.records.length;
    },
  });
  return { consumer, done, records: () => records };
}

/** Waits (up to 60 s) until `condition` holds. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition() && Date.now() < deadline) await sleep(100);
}

/**
 * Describes the group until `settled` holds for the answer together with the consumers' own view.
 * @returns the description that settled; the last one when 60 s passed first.
 */
async function describeUntil(
  consumer: Consumer,
  settled: (description: GroupDescription) => boolean,
): Promise<GroupDescription> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const description = await consumer.describeGroup();
    if (settled(description) || Date.now() > deadline) return description;
    await sleep(250);
  }
}

describe('Consumer.describeGroup', () => {
  it("reports a consumer-protocol group as the coordinator sees it: Stable, its epochs, and each member's current and target assignment matching what the consumers hold", async () => {
    const cluster = testCluster();
    const run = randomUUID().slice(0, 8);
    const topic = `describe-${run}`;
    const groupId = `describe-${run}`;
    await javaProducer(cluster, 'create', 4, topic);
    await javaProducer(cluster, 'produce', 40, topic, 'none');
    const config: ConsumerConfig = {
      brokers: cluster.bootstrap,
      groupId,
      groupProtocol: 'consumer',
      autoOffsetReset: 'earliest',
      fetchMaxWaitMs: 100,
    };
    const a = startConsumer({ ...config, clientId: 'describe-a' }, topic);
    const b = startConsumer({ ...config, clientId: 'describe-b' }, topic);
    try {
      const consumers = [a.consumer, b.consumer];
      // The coordinator knows the group once a member joined: wait for the partitions to be handed out.
      await waitFor(() => a.consumer.assignment().length + b.consumer.assignment().length === 4);
      const settled = (d: GroupDescription) =>
        d.groupState === 'Stable' &&
        d.members.length === 2 &&
        consumers.every((c) => {
          const self = d.members.find((m) => m.memberId === c.health().group?.memberId);
          return (
            self !== undefined &&
            self.assignment.length > 0 &&
            JSON.stringify(self.assignment) === JSON.stringify(sorted(c.assignment())) &&
            JSON.stringify(self.targetAssignment) === JSON.stringify(self.assignment)
          );
        });
      const description = await describeUntil(a.consumer, settled);

      expect(description.groupProtocol).toBe('consumer');
      expect(description.groupId).toBe(groupId);
      expect(description.groupState).toBe('Stable');
      expect(description.members).toHaveLength(2);
      expect(description.groupEpoch).toBeGreaterThanOrEqual(2);
      expect(description.assignmentEpoch).toBe(description.groupEpoch);
      expect(description.assignorName).not.toBe('');
      const health = a.consumer.health().group!;
      expect(health.groupProtocol).toBe('consumer');
      expect(health.memberState).toBe('STABLE');
      expect(health.description).toBe(description);
      expect(health.describeError).toBeNull();
      const self = description.self!;
      expect(self.memberId).toBe(health.memberId);
      expect(self.memberEpoch).toBe(health.memberEpoch);
      expect(self.clientId).toBe('describe-a');
      expect(self.subscribedTopicNames).toEqual([topic]);
      expect(self.assignment).toEqual(sorted(a.consumer.assignment()));
      expect(self.targetAssignment).toEqual(self.assignment);
      // Together the members own every partition, each exactly once.
      const owned = description.members.flatMap((m) => m.assignment.map((p) => `${p.topic}-${p.partition}`));
      expect(owned.sort()).toEqual([0, 1, 2, 3].map((p) => `${topic}-${p}`));
    } finally {
      await Promise.all([a.consumer.close(), b.consumer.close()]);
      await Promise.all([a.done, b.done]);
    }
  });

  it('reports a classic group through DescribeGroups: Stable, the assignor the leader ran, and the member assignment the consumer holds', async () => {
    const cluster = testCluster();
    const run = randomUUID().slice(0, 8);
    const topic = `describe-classic-${run}`;
    const groupId = `describe-classic-${run}`;
    await javaProducer(cluster, 'create', 3, topic);
    const a = startConsumer(
      {
        brokers: cluster.bootstrap,
        groupId,
        clientId: 'classic-a',
        groupProtocol: 'classic',
        autoOffsetReset: 'earliest',
        fetchMaxWaitMs: 100,
        heartbeatIntervalMs: 500,
      },
      topic,
    );
    try {
      await waitFor(() => a.consumer.assignment().length === 3);
      const description = await describeUntil(
        a.consumer,
        (d) => d.groupState === 'Stable' && d.self !== null && d.self.assignment.length === 3,
      );
      expect(description.groupProtocol).toBe('classic');
      expect(description.groupState).toBe('Stable');
      expect(description.groupEpoch).toBeNull();
      expect(description.assignmentEpoch).toBeNull();
      expect(description.assignorName).toBe(a.consumer.config.assignors[0]!.name);
      expect(description.members).toHaveLength(1);
      const self = description.self!;
      expect(self.clientId).toBe('classic-a');
      expect(self.subscribedTopicNames).toEqual([topic]);
      expect(self.assignment).toEqual(sorted(a.consumer.assignment()));
      expect(self.assignment.map((p) => p.partition)).toEqual([0, 1, 2]);
      expect(self.targetAssignment).toBeNull();
      const health = a.consumer.health().group!;
      expect(health.groupProtocol).toBe('classic');
      expect(health.memberId).toBe(self.memberId);
      expect(health.memberEpoch).toBeGreaterThanOrEqual(1);
      expect(health.description).toBe(description);
    } finally {
      await a.consumer.close();
      await a.done;
    }
  });

  it('fails with KafkaProtocolError GROUP_ID_NOT_FOUND for a consumer-protocol group that does not exist, and keeps the error in health()', async () => {
    const cluster = testCluster();
    const consumer = new Consumer({
      brokers: cluster.bootstrap,
      groupId: `no-such-group-${randomUUID().slice(0, 8)}`,
      groupProtocol: 'consumer',
    });
    try {
      const error = await consumer.describeGroup().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KafkaProtocolError);
      expect((error as KafkaProtocolError).errorName).toBe('GROUP_ID_NOT_FOUND');
      const group = consumer.health().group!;
      expect(group.description).toBeNull();
      expect(group.describeError).toBe(error);
      expect(group.memberState).toBeNull();
    } finally {
      await consumer.close();
    }
  });
});
