import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { testCluster } from '@runnel/kafka-local/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerBatch } from './batch.js';
import { Consumer } from './consumer.js';
import { OffsetOutOfRangeError } from './errors.js';
import { javaProducer } from './test-support/java-producer.js';

const run = randomUUID().slice(0, 8);
const topic = `api-${run}`;
const TOTAL = 900;
let perPartition = new Map<number, number>();
const all = [0, 1, 2].map((partition) => ({ topic, partition }));

function consumer(options: Partial<ConstructorParameters<typeof Consumer>[0]> = {}): Consumer {
  return new Consumer({
    brokers: testCluster().bootstrap,
    autoOffsetReset: 'earliest',
    fetchMaxWaitMs: 100,
    ...options,
  });
}

async function nextBatch(iterator: AsyncIterator<ConsumerBatch>): Promise<ConsumerBatch> {
  const result = await iterator.next();
  if (result.done) throw new Error('iteration ended');
  return result.value;
}

describe('Consumer API against a real broker', () => {
  beforeAll(async () => {
    await javaProducer(testCluster(), 'create', 3, topic);
    const { acked } = await javaProducer(testCluster(), 'produce', TOTAL, topic, 'lz4');
    perPartition = acked.get(topic)!;
  });

  it('runs eachBatch on up to `concurrency` partitions at once, keeping offsets in order within each partition', async () => {
    const c = consumer({ maxPartitionFetchBytes: 4_096 });
    c.assign(all);
    const last = new Map<number, number>();
    const counts = new Map<number, number>();
    let active = 0;
    let maxActive = 0;
    let total = 0;
    const done = c.run({
      concurrency: 3,
      eachBatch: async (batch) => {
        active++;
        maxActive = Math.max(maxActive, active);
        for (const r of batch.records) {
          expect(r.offset).toBe((last.get(r.partition) ?? -1) + 1);
          last.set(r.partition, r.offset);
        }
        counts.set(batch.partition, (counts.get(batch.partition) ?? 0) + batch.records.length);
        total += batch.records.length;
        await sleep(20);
        active--;
      },
    });
    while (total < TOTAL) await sleep(50);
    await c.close();
    await done;
    expect(total).toBe(TOTAL);
    expect(counts).toEqual(perPartition);
    expect(maxActive).toBeGreaterThan(1);
    expect(maxActive).toBeLessThanOrEqual(3);
  });

  it('rejects run with a handler error and delivers the failed record again to the next run', async () => {
    const c = consumer();
    c.assign([{ topic, partition: 0 }]);
    const offsets: number[] = [];
    const boom = new Error('boom');
    await expect(
      c.run({
        eachRecord: (r) => {
          if (r.offset === 5) throw boom;
          offsets.push(r.offset);
        },
      }),
    ).rejects.toBe(boom);
    expect(offsets).toEqual([0, 1, 2, 3, 4]);
    expect(await c.position({ topic, partition: 0 })).toBe(5);
    const again = await nextBatch(c.batches());
    expect(again.firstOffset).toBe(5);
    await c.close();
  });

  it('after a seek hands out no record fetched before it, and reads from the new offset', async () => {
    const c = consumer({ maxPartitionFetchBytes: 2_048 });
    c.assign([{ topic, partition: 1 }]);
    const it = c.batches();
    const first = await nextBatch(it);
    expect(first.firstOffset).toBe(0);
    // Give the pipelined fetch time to land in the buffer, so the seek has stale data to drop.
    await sleep(300);
    c.seek({ topic, partition: 1 }, 100);
    const after = await nextBatch(it);
    expect(after.firstOffset).toBe(100);
    expect(after.records[0]!.offset).toBe(100);
    c.seekToEnd([{ topic, partition: 1 }]);
    expect(await c.position({ topic, partition: 1 })).toBe(perPartition.get(1));
    await c.close();
  });

  it('reports an out-of-range position as OffsetOutOfRangeError under reset none, keeps it, and goes on after a seek', async () => {
    const c = consumer({ autoOffsetReset: 'none', groupId: `none-${run}` });
    c.assign([{ topic, partition: 2 }]);
    c.seek({ topic, partition: 2 }, 1_000_000);
    const it = c.batches();
    const error = await it.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OffsetOutOfRangeError);
    expect((error as OffsetOutOfRangeError).offset).toBe(1_000_000);
    expect(await c.position({ topic, partition: 2 })).toBe(1_000_000);
    c.seekToBeginning();
    const batch = await nextBatch(c.batches());
    expect(batch.firstOffset).toBe(0);
    await c.close();
  });

  it('keeps a paused partition out of the batches until it is resumed', async () => {
    const c = consumer();
    c.assign(all);
    c.pause([{ topic, partition: 0 }]);
    const it = c.batches();
    const seen = new Map<number, number>();
    while ((seen.get(1) ?? 0) + (seen.get(2) ?? 0) < perPartition.get(1)! + perPartition.get(2)!) {
      const b = await nextBatch(it);
      seen.set(b.partition, (seen.get(b.partition) ?? 0) + b.records.length);
    }
    expect(seen.get(0)).toBeUndefined();
    expect(c.paused()).toEqual([{ topic, partition: 0 }]);
    c.resume([{ topic, partition: 0 }]);
    while ((seen.get(0) ?? 0) < perPartition.get(0)!) {
      const b = await nextBatch(it);
      seen.set(b.partition, (seen.get(b.partition) ?? 0) + b.records.length);
    }
    expect(seen).toEqual(perPartition);
    // The batch still held counts as unprocessed; leaving the loop finishes it.
    expect(c.health().totalLag).toBeGreaterThan(0);
    await it.return?.();
    const lag = c.lag();
    expect(lag.map((l) => [l.partition, l.lag])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
    expect(c.health().totalLag).toBe(0);
    await c.close();
  });

  it('delivers records larger than maxPartitionFetchBytes and fetchMaxBytes', async () => {
    const big = `big-${run}`;
    await javaProducer(testCluster(), 'create', 1, big);
    await javaProducer(testCluster(), 'big', big, 300_000, 3);
    const c = consumer({ maxPartitionFetchBytes: 50_000, fetchMaxBytes: 60_000 });
    c.assign([{ topic: big, partition: 0 }]);
    const sizes: number[] = [];
    for await (const b of c.batches({ signal: AbortSignal.timeout(30_000) })) {
      for (const r of b.records) sizes.push(r.value!.length);
      if (sizes.length === 3) break;
    }
    expect(sizes).toEqual([300_000, 300_000, 300_000]);
    await c.close();
  });

  it('finds offsets by timestamp and the log end', async () => {
    const c = consumer();
    const ends = await c.watermarks(all, 'latest');
    expect([...ends.values()]).toEqual([0, 1, 2].map((p) => perPartition.get(p)));
    const starts = await c.watermarks(all, 'earliest');
    expect([...starts.values()]).toEqual([0, 0, 0]);
    const byTime = await c.offsetsForTimes([{ topic, partition: 0, timestamp: 0 }]);
    expect([...byTime.values()][0]?.offset).toBe(0);
    const future = await c.offsetsForTimes([{ topic, partition: 0, timestamp: Date.now() + 3_600_000 }]);
    expect([...future.values()][0]).toBeNull();
    await c.close();
  });
});
