import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { testCluster } from '@runnel/kafka-local/vitest';
import { ClusterClient } from '@runnel/network';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import { createTopicNow, produce } from './test-support/produce.js';

// A backlog on partition 0 beside an idle partition 1, read from one broker. Each Fetch answer holds
// one batch of partition 0 (maxPartitionFetchBytes is below a batch), so reading the backlog takes
// many answers; after each, partition 1 alone could be fetched: a long poll the broker holds for
// fetchMaxWaitMs, behind which partition 0's next Fetch would wait (see long-poll-hold.ts). The
// program takes a while over each batch, as real ones do, so that partition 0 holds an answer ahead
// whenever an answer arrives.
const BATCHES = 24;
const PER_BATCH = 20;
const TOTAL = BATCHES * PER_BATCH;
const VALUE = 'v'.repeat(1_000);

describe('a backlog beside an idle partition against a real broker', () => {
  const topic = `long-poll-${randomUUID().slice(0, 8)}`;
  let producer: ClusterClient;

  beforeAll(async () => {
    producer = new ClusterClient({ bootstrapServers: testCluster().bootstrap, defaultDeadlineMs: 30_000 });
    await createTopicNow(producer, topic, 2);
    for (let b = 0; b < BATCHES; b++) {
      const records = Array.from({ length: PER_BATCH }, (_, i) => ({
        value: `${b * PER_BATCH + i}:${VALUE}`,
      }));
      await produce(producer, topic, 0, records);
    }
  }, 60_000);

  afterAll(async () => {
    await producer?.close();
  });

  it('reads the backlog without a Fetch that waits out fetchMaxWaitMs', async () => {
    const consumer = new Consumer({
      brokers: testCluster().bootstrap,
      autoOffsetReset: 'earliest',
      fetchMaxWaitMs: 3_000,
      maxPartitionFetchBytes: 1_024,
    });
    // Fetches answered without records while the backlog is read: the long polls the idle partition
    // would have sent alone. Counted until the last record arrives.
    let emptyAnswers = 0;
    let answers = 0;
    let done = false;
    consumer.on('fetch', (event) => {
      if (done) return;
      answers++;
      if (event.partitionsWithRecords === 0) emptyAnswers++;
    });
    consumer.assign([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    const offsets: number[] = [];
    // Stops after 20 s whatever has come: with a long poll after each answer, 3 s each, the backlog
    // would take over a minute and the count below says why.
    const stopAt = Date.now() + 20_000;
    try {
      for await (const batch of consumer.batches()) {
        expect(batch.partition).toBe(0);
        for (const r of batch.records) offsets.push(r.offset);
        await sleep(20);
        if (offsets.length >= TOTAL || Date.now() > stopAt) break;
      }
      done = true;
    } finally {
      await consumer.close();
    }
    expect(offsets).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    expect(answers).toBeGreaterThanOrEqual(BATCHES);
    expect(emptyAnswers).toBe(0);
  }, 60_000);
});
