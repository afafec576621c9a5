/**
 * A consumer of the shared test cluster in a group of its own, for the observability tests: it reads
 * from the start with auto-commit off, so each test commits (and sees the commit) where it says.
 */
import { randomUUID } from 'node:crypto';
import { testCluster } from '@runnel/kafka-local/vitest';
import type { ConsumerConfig } from '../config.js';
import { Consumer } from '../consumer.js';

/** @returns a consumer in a new group (`{prefix}-{uuid}`), and the group's id. */
export function groupConsumer(prefix: string, config: Partial<ConsumerConfig> = {}) {
  const groupId = `${prefix}-${randomUUID()}`;
  const consumer = new Consumer({
    brokers: testCluster().bootstrap,
    groupId,
    autoOffsetReset: 'earliest',
    autoCommit: false,
    fetchMaxWaitMs: 100,
    ...config,
  });
  return { consumer, groupId };
}

/**
 * Subscribes to `topic` and runs `eachBatch` (or `eachRecord`) handlers until `count` records were
 * handed out, then commits.
 * @returns how many handler calls there were.
 */
export async function consumeAndCommit(
  consumer: Consumer,
  topic: string,
  count: number,
  each: 'eachBatch' | 'eachRecord',
): Promise<number> {
  consumer.subscribe([topic]);
  const stop = new AbortController();
  let calls = 0;
  let records = 0;
  const seen = (n: number) => {
    calls++;
    records += n;
    if (records >= count) stop.abort();
  };
  await consumer.run(
    each === 'eachBatch'
      ? { signal: stop.signal, eachBatch: (batch) => seen(batch.records.length) }
      : { signal: stop.signal, eachRecord: () => seen(1) },
  );
  await consumer.commit();
  return calls;
}
