/**
 * What the share group integration tests share: a topic and a share group of their own (group configs
 * set before anyone joins: earliest start, fast heartbeats, and whatever the test adds), share
 * consumers that are closed after each test, and a tally of deliveries.
 */
import { randomUUID } from 'node:crypto';
import { alterGroupConfig, javaProducer, kafkaVersionProfile, type PropertyValue } from '@runnel/kafka-local';
import { type TestKafkaCluster, testCluster } from '@runnel/kafka-local/vitest';
import { ShareConsumer, type ShareConsumerConfig, type ShareRecord } from '../index.js';

/**
 * @returns whether the test cluster has share groups (Kafka 4.x; 3.9 has none); when it has none, says
 *   on stderr that the file's share group tests are skipped and why, so that a run on 3.9 shows it.
 */
export function clusterHasShareGroups(): boolean {
  const { version } = testCluster();
  const has = kafkaVersionProfile(version).major >= 4;
  if (!has) {
    process.stderr.write(
      `[share] Kafka ${version} has no share groups (KIP-932 came with Kafka 4): this file's share group tests are skipped\n`,
    );
  }
  return has;
}

/** A topic and a share group made for one test. */
export interface ShareSetup {
  readonly cluster: TestKafkaCluster;
  readonly topic: string;
  readonly groupId: string;
}

/**
 * Creates a topic of `partitions` and sets the share group's configs: start at the earliest offset,
 * heartbeat every 500 ms, then `configs` (e.g. `share.record.lock.duration.ms`).
 */
export async function shareSetup(
  prefix: string,
  partitions: number,
  configs: Readonly<Record<string, PropertyValue>> = {},
): Promise<ShareSetup> {
  const cluster = testCluster();
  const run = randomUUID().slice(0, 8);
  const topic = `${prefix}-${run}`;
  const groupId = `${prefix}-${run}`;
  await javaProducer(cluster, 'create', partitions, topic);
  await alterGroupConfig(cluster, groupId, {
    'share.auto.offset.reset': 'earliest',
    'share.heartbeat.interval.ms': 500,
    ...configs,
  });
  return { cluster, topic, groupId };
}

/** @returns records produced per partition, by Kafka's Java producer. */
export async function produce(setup: ShareSetup, count: number): Promise<Map<number, number>> {
  const result = await javaProducer(setup.cluster, 'produce', count, setup.topic, 'none');
  return result.acked.get(setup.topic) ?? new Map();
}

const open: ShareConsumer[] = [];

/** @returns a share consumer of `setup`'s group, subscribed to its topic; closed by `closeAll`. */
export function shareConsumer(setup: ShareSetup, config: Partial<ShareConsumerConfig> = {}): ShareConsumer {
  const consumer = new ShareConsumer({
    brokers: setup.cluster.bootstrap,
    groupId: setup.groupId,
    fetchMaxWaitMs: 200,
    ...config,
  });
  consumer.subscribe([setup.topic]);
  open.push(consumer);
  return consumer;
}

/** Closes every share consumer the test made. */
export async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((c) => c.close({ timeoutMs: 10_000 })));
}

/** Every delivery seen, by `partition:offset`: the delivery counts in the order they came, and who got them. */
export class Deliveries {
  readonly counts = new Map<string, number[]>();
  readonly by = new Map<string, number>();
  readonly at = new Map<string, number[]>();

  /** Records the delivery of `record` to member `who`. */
  add(record: ShareRecord, who = 'member'): void {
    const key = `${record.partition}:${record.offset}`;
    const list = this.counts.get(key) ?? [];
    list.push(record.deliveryCount);
    this.counts.set(key, list);
    const times = this.at.get(key) ?? [];
    times.push(Date.now());
    this.at.set(key, times);
    this.by.set(who, (this.by.get(who) ?? 0) + 1);
  }

  /** @returns the number of records delivered at least once. */
  get distinct(): number {
    return this.counts.size;
  }

  /** @returns the records delivered more than once, with their delivery counts. */
  repeated(): [string, number[]][] {
    return [...this.counts].filter(([, list]) => list.length > 1);
  }
}
