/**
 * The group scenario both rebalance protocols must pass: three members join one by one, then leave one by
 * one, while their handlers record every record they see and their listeners every assignment change.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaClusterInfo } from '@runnel/kafka-local';
import type { TopicPartition } from '../batch.js';
import type { ConsumerConfig } from '../config.js';
import { Consumer } from '../consumer.js';
import type { Logger } from '../index.js';

/** @returns a logger writing every line to stderr, prefixed with `name`; for runs with RUNNEL_DEBUG set. */
export function debugLogger(name: string): Logger {
  const log = (level: string) => (fields: Record<string, unknown>, message: string) =>
    process.stderr.write(
      `${new Date().toISOString()} ${name} ${level} ${message} ${JSON.stringify(fields, (_k, v) => (v instanceof Error ? v.message : typeof v === 'bigint' ? String(v) : v))}\n`,
    );
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** One listener call of one member, in the order the members saw them. */
export interface RebalanceCall {
  readonly member: string;
  readonly kind: 'assigned' | 'revoked' | 'lost';
  readonly partitions: readonly TopicPartition[];
  /** Which step of the scenario was running: members still joining, or leaving. */
  readonly phase: 'joining' | 'leaving';
}

/** What the scenario saw. */
export interface GroupScenarioResult {
  /** How often each record (`partition:offset`) reached a handler. */
  readonly seen: ReadonlyMap<string, number>;
  readonly calls: readonly RebalanceCall[];
}

/**
 * Starts members `a`, `b`, `c` on `topic` `stepMs` (default 3 s) apart, then closes `a` and `b` as far
 * apart and lets `c`
 * consume until `total` records were seen (or 90 s passed), then closes `c`.
 * @returns every record seen and every listener call.
 */
export async function runJoinLeaveScenario(options: {
  readonly cluster: KafkaClusterInfo;
  readonly topic: string;
  readonly groupId: string;
  readonly total: number;
  readonly config: Partial<ConsumerConfig>;
  readonly stepMs?: number;
}): Promise<GroupScenarioResult> {
  const { cluster, topic, groupId, total } = options;
  const step = options.stepMs ?? 3_000;
  const seen = new Map<string, number>();
  const calls: RebalanceCall[] = [];
  let phase: RebalanceCall['phase'] = 'joining';
  const note = (member: string, kind: RebalanceCall['kind'], partitions: readonly TopicPartition[]) => {
    calls.push({ member, kind, partitions: [...partitions], phase });
    if (process.env.RUNNEL_DEBUG) process.stderr.write(`${member} ${kind} ${JSON.stringify(partitions)}\n`);
  };
  const start = (name: string) => {
    const consumer = new Consumer({
      brokers: cluster.bootstrap,
      clientId: name,
      groupId,
      autoOffsetReset: 'earliest',
      maxPollIntervalMs: 30_000,
      maxPartitionFetchBytes: 8_192,
      fetchMaxWaitMs: 100,
      ...options.config,
      ...(process.env.RUNNEL_DEBUG ? { logger: debugLogger(name) } : {}),
    });
    consumer.subscribe([topic], {
      onAssigned: (partitions) => note(name, 'assigned', partitions),
      onRevoked: (partitions) => note(name, 'revoked', partitions),
      onLost: (partitions) => note(name, 'lost', partitions),
    });
    const done = consumer.run({
      eachBatch: async (batch) => {
        for (const r of batch.records) {
          const key = `${r.partition}:${r.offset}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
        await sleep(100);
      },
    });
    return { consumer, done };
  };

  const a = start('a');
  await sleep(step);
  const b = start('b');
  await sleep(step);
  const c = start('c');
  await sleep(step);
  phase = 'leaving';
  await a.consumer.close();
  await a.done;
  await sleep(step);
  await b.consumer.close();
  await b.done;
  const deadline = Date.now() + (process.env.RUNNEL_DEBUG ? 15_000 : 90_000);
  while (seen.size < total && Date.now() < deadline) {
    await sleep(1000);
    if (process.env.RUNNEL_DEBUG)
      process.stderr.write(`seen ${seen.size} ${JSON.stringify(c.consumer.health())}\n`);
  }
  await c.consumer.close();
  await c.done;
  return { seen, calls };
}

/** @returns the sum of the group's committed offsets over partitions 0..partitions-1 of `topic`. */
export async function committedTotal(
  cluster: KafkaClusterInfo,
  groupId: string,
  topic: string,
  partitions: number,
): Promise<number> {
  const check = new Consumer({ brokers: cluster.bootstrap, groupId });
  try {
    const committed = await check.committed(
      Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
    );
    return [...committed.values()].reduce((n, o) => n + (o?.offset ?? 0), 0);
  } finally {
    await check.close();
  }
}
