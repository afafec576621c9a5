import { randomUUID } from 'node:crypto';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import type { ConsumerBatch } from './batch.js';
import { Consumer } from './consumer.js';
import { javaProducer } from './test-support/java-producer.js';

const decode = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

/** Reads batches until `count` records arrived or `timeoutMs` passed. @returns the batches. */
async function consumeRecords(
  consumer: Consumer,
  count: number,
  timeoutMs = 60_000,
): Promise<ConsumerBatch[]> {
  const batches: ConsumerBatch[] = [];
  let seen = 0;
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const batch of consumer.batches({ signal })) {
    batches.push(batch);
    seen += batch.records.length;
    if (seen >= count) break;
  }
  return batches;
}

function partitions(topic: string, n: number) {
  return Array.from({ length: n }, (_, partition) => ({ topic, partition }));
}

describe('Consumer against a real broker', () => {
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
  const run = randomUUID().slice(0, 8);
  const COUNT = 2000;

  it('consumes every record of each compression codec written by the Java producer into 3 partitions, with keys and headers', async () => {
    const cluster = testCluster();
    const topics = codecs.map((c) => `codec-${c}-${run}`);
    await javaProducer(cluster, 'create', 3, ...topics);
    const { acked } = await javaProducer(
      cluster,
      'produce',
      COUNT,
      ...codecs.flatMap((c, i) => [topics[i]!, c]),
    );

    for (const [i, codec] of codecs.entries()) {
      const topic = topics[i]!;
      const ackedPerPartition = acked.get(topic)!;
      expect([...ackedPerPartition.values()].reduce((a, b) => a + b, 0)).toBe(COUNT);
      // Keys spread over all three partitions.
      expect(ackedPerPartition.size).toBe(3);
      const consumer = new Consumer({
        brokers: cluster.bootstrap,
        autoOffsetReset: 'earliest',
        fetchMaxWaitMs: 100,
      });
      try {
        consumer.assign(partitions(topic, 3));
        const batches = await consumeRecords(consumer, COUNT);
        const seen = new Set<number>();
        const perPartition = new Map<number, number>();
        for (const batch of batches) {
          let previous = -1;
          for (const r of batch.records) {
            const idx = Number(decode(r.headers.find((h) => h.key === 'idx')!.value));
            expect(decode(r.key)).toBe(`k-${idx}`);
            expect(decode(r.value)).toBe(`v-${idx}-${codec}-${'x'.repeat(200)}`);
            expect(r.headers.map((h) => [h.key, decode(h.value)])).toEqual([
              ['idx', String(idx)],
              ['codec', codec],
            ]);
            expect(r.offset).toBeGreaterThan(previous);
            previous = r.offset;
            expect(seen.has(idx)).toBe(false);
            seen.add(idx);
            perPartition.set(r.partition, (perPartition.get(r.partition) ?? 0) + 1);
          }
        }
        expect(seen.size).toBe(COUNT);
        expect(perPartition).toEqual(ackedPerPartition);
      } finally {
        await consumer.close({ timeoutMs: 10_000 });
      }
    }
  }, 300_000);

  it('returns only committed transactional records under read_committed and all of them under read_uncommitted', async () => {
    const cluster = testCluster();
    const topic = `txn-${run}`;
    await javaProducer(cluster, 'create', 1, topic);
    const { count: committed } = await javaProducer(cluster, 'transactions', topic, 6, 50);
    expect(committed).toBe(150);

    const read = async (isolationLevel: 'read_committed' | 'read_uncommitted', expected: number) => {
      const consumer = new Consumer({
        brokers: cluster.bootstrap,
        autoOffsetReset: 'earliest',
        isolationLevel,
        fetchMaxWaitMs: 100,
      });
      try {
        consumer.assign([{ topic, partition: 0 }]);
        const values: string[] = [];
        for (const b of await consumeRecords(consumer, expected)) {
          for (const r of b.records) values.push(`${decode(r.value)}/${decode(r.headers[0]!.value)}`);
        }
        // Nothing beyond the expected records arrives, even given time.
        const extra = await consumeRecords(consumer, 1, 1_500);
        return { values, extra: extra.length };
      } finally {
        await consumer.close({ timeoutMs: 10_000 });
      }
    };

    const rc = await read('read_committed', 150);
    expect(rc.values).toHaveLength(150);
    expect(rc.extra).toBe(0);
    expect(rc.values.every((v) => v.endsWith('/commit'))).toBe(true);
    expect(new Set(rc.values.map((v) => v.split('-')[1]))).toEqual(new Set(['0', '2', '4']));

    const ru = await read('read_uncommitted', 300);
    expect(ru.values).toHaveLength(300);
    expect(ru.extra).toBe(0);
    expect(ru.values.filter((v) => v.endsWith('/abort'))).toHaveLength(150);
  });

  it('commits what was processed and resumes from it in a new consumer of the same group', async () => {
    const cluster = testCluster();
    const topic = `commit-${run}`;
    const groupId = `group-${run}`;
    await javaProducer(cluster, 'create', 2, topic);
    await javaProducer(cluster, 'produce', 400, topic, 'lz4');

    const first = new Consumer({
      brokers: cluster.bootstrap,
      groupId,
      autoOffsetReset: 'earliest',
      autoCommit: false,
      fetchMaxWaitMs: 100,
    });
    first.assign(partitions(topic, 2));
    let taken = 0;
    const seen = new Set<string>();
    for await (const batch of first.batches({ signal: AbortSignal.timeout(60_000) })) {
      for (const r of batch.records) seen.add(decode(r.key)!);
      taken += batch.records.length;
      if (taken >= 100) break;
    }
    await first.commit();
    const committed = await first.committed(partitions(topic, 2));
    const committedTotal = [...committed.values()].reduce((n, c) => n + (c?.offset ?? 0), 0);
    expect(committedTotal).toBe(taken);
    await first.close();

    const second = new Consumer({
      brokers: cluster.bootstrap,
      groupId,
      autoOffsetReset: 'earliest',
      fetchMaxWaitMs: 100,
    });
    try {
      second.assign(partitions(topic, 2));
      const rest = await consumeRecords(second, 400 - taken);
      for (const b of rest)
        for (const r of b.records) {
          expect(seen.has(decode(r.key)!)).toBe(false);
          seen.add(decode(r.key)!);
        }
      expect(seen.size).toBe(400);
    } finally {
      await second.close({ timeoutMs: 10_000 });
    }
    // close() committed the rest (auto-commit on).
    const check = new Consumer({ brokers: cluster.bootstrap, groupId });
    try {
      const after = await check.committed(partitions(topic, 2));
      expect([...after.values()].reduce((n, c) => n + (c?.offset ?? 0), 0)).toBe(400);
    } finally {
      await check.close();
    }
  });
});
