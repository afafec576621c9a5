import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RecordReleasedError } from '@runnel/codec';
import { createTopic, producePerf } from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerRecord } from './batch.js';
import { Consumer } from './consumer.js';

const topic = `release-${randomUUID().slice(0, 8)}`;
const TOTAL = 4_000;
const VALUE_BYTES = 1_000;

const make = (options: Partial<ConstructorParameters<typeof Consumer>[0]> = {}) =>
  new Consumer({
    brokers: testCluster().bootstrap,
    autoOffsetReset: 'earliest',
    fetchMaxWaitMs: 100,
    releaseBatchMemory: true,
    ...options,
  });

function readFails(record: ConsumerRecord<unknown, unknown>): unknown {
  try {
    record.value;
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('releaseBatchMemory against a real broker', () => {
  beforeAll(async () => {
    await createTopic(testCluster(), { topic, partitions: 1 });
    // Batches of about 1 MiB of values, lz4: each decompresses into a buffer of its own.
    const sent = await producePerf(testCluster(), {
      topic,
      numRecords: TOTAL,
      recordSize: VALUE_BYTES,
      compression: 'lz4',
      props: { 'batch.size': 1_000_000, 'linger.ms': 1_000 },
    });
    expect(sent.records).toBe(TOTAL);
  }, 120_000);

  it('iterator: a batch is released when the next is asked for, and its large buffers are freed', async () => {
    const c = make();
    c.assign([{ topic, partition: 0 }]);
    let count = 0;
    let checked = 0;
    let freed = 0;
    let previous: { record: ConsumerRecord<unknown, unknown>; view: Uint8Array } | null = null;
    for await (const batch of c) {
      if (previous !== null) {
        expect(readFails(previous.record)).toBeInstanceOf(RecordReleasedError);
        if (previous.view.length === 0) freed++;
        checked++;
      }
      for (const record of batch.records) expect(record.value).toHaveLength(VALUE_BYTES);
      const last = batch.records.at(-1)!;
      previous = { record: last, view: last.value as Uint8Array };
      count += batch.records.length;
      if (count >= TOTAL) break;
    }
    // Leaving the loop releases the last batch too.
    expect(readFails(previous!.record)).toBeInstanceOf(RecordReleasedError);
    await c.close();
    expect(count).toBe(TOTAL);
    expect(checked).toBeGreaterThan(0);
    expect(freed).toBeGreaterThan(0);
  });

  it('run: records are released once their handler is done, also when maxPollRecords cuts record batches', async () => {
    const c = make({ maxPollRecords: 300 });
    c.assign([{ topic, partition: 0 }]);
    const kept: ConsumerRecord<unknown, unknown>[] = [];
    let count = 0;
    const controller = new AbortController();
    const done = c.run({
      signal: controller.signal,
      eachBatch: (batch) => {
        for (const record of batch.records) expect(record.value).toHaveLength(VALUE_BYTES);
        kept.push(...batch.records);
        count += batch.records.length;
        if (count >= TOTAL) controller.abort();
      },
    });
    const until = Date.now() + 60_000;
    while (count < TOTAL && Date.now() < until) await sleep(50);
    await done;
    await c.close();
    expect(count).toBe(TOTAL);
    // Every record batch was handed out whole by the end: every record has ended.
    expect(kept.filter((r) => !(readFails(r) instanceof RecordReleasedError))).toEqual([]);
    expect(kept.map((r) => r.offset)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
  });

  it('off: records stay readable after their batch', async () => {
    const c = make({ releaseBatchMemory: false });
    c.assign([{ topic, partition: 0 }]);
    const kept: ConsumerRecord<unknown, unknown>[] = [];
    for await (const batch of c) {
      kept.push(...batch.records);
      if (kept.length >= TOTAL) break;
    }
    await c.close();
    expect(kept.every((r) => (r.value as Uint8Array).length === VALUE_BYTES)).toBe(true);
  });
});
