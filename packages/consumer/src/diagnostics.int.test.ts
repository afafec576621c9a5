import { randomUUID } from 'node:crypto';
import * as diagnostics from 'node:diagnostics_channel';
import { testCluster } from '@runnel/kafka-local/vitest';
import { ClusterClient, type RequestMessage } from '@runnel/network';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import type { CommitMessage, ProcessMessage, RebalanceMessage } from './diagnostics.js';
import { consumeAndCommit, groupConsumer } from './test-support/group-consumer.js';
import { createTopicNow, produce } from './test-support/produce.js';

type Seen = Array<[string, unknown]>;

/** Subscribes to a TracingChannel's start, asyncEnd and error. @returns what it saw, and unsubscribe. */
function watch<T extends object>(name: string, seen: Seen) {
  const channel = diagnostics.tracingChannel<unknown, T>(name);
  const handlers = {
    end: () => {},
    asyncStart: () => {},
    start: (m: T) => void seen.push([`${name}:start`, m]),
    asyncEnd: (m: T) => void seen.push([`${name}:asyncEnd`, m]),
    error: (m: T) => void seen.push([`${name}:error`, m]),
  };
  channel.subscribe(handlers);
  return () => channel.unsubscribe(handlers);
}

describe('diagnostics channels against a real broker', () => {
  const topic = `diagnostics-${randomUUID().slice(0, 8)}`;
  let producer: ClusterClient;
  const unsubscribe: Array<() => unknown> = [];
  const closing: Consumer[] = [];

  beforeAll(async () => {
    producer = new ClusterClient({ bootstrapServers: testCluster().bootstrap, defaultDeadlineMs: 30_000 });
    await createTopicNow(producer, topic, 1);
    await produce(
      producer,
      topic,
      0,
      [1, 2, 3, 4, 5].map((i) => ({ value: `v${i}` })),
    );
  });

  afterEach(async () => {
    for (const off of unsubscribe.splice(0)) off();
    await Promise.all(closing.splice(0).map((c) => c.close({ timeoutMs: 5_000 })));
  });

  afterAll(async () => {
    await producer?.close();
  });

  it('traces each eachRecord call, the rebalance, the commit and every broker request with its sizes', async () => {
    const seen: Seen = [];
    unsubscribe.push(
      watch<ProcessMessage>('runnel:consumer:process', seen),
      watch<RebalanceMessage>('runnel:consumer:rebalance', seen),
      watch<CommitMessage>('runnel:consumer:commit', seen),
    );
    const requests: RequestMessage[] = [];
    const none = () => {};
    const onRequest = {
      start: none,
      end: none,
      asyncStart: none,
      error: none,
      asyncEnd: (m: RequestMessage) => void requests.push(m),
    };
    diagnostics.tracingChannel<unknown, RequestMessage>('runnel:request').subscribe(onRequest);
    unsubscribe.push(() =>
      diagnostics.tracingChannel<unknown, RequestMessage>('runnel:request').unsubscribe(onRequest),
    );

    const { consumer, groupId } = groupConsumer('diagnostics', { clientId: 'traced' });
    closing.push(consumer);
    expect(await consumeAndCommit(consumer, topic, 5, 'eachRecord')).toBe(5);

    const rebalance = seen.filter(([name]) => name.startsWith('runnel:consumer:rebalance'));
    expect(rebalance.slice(0, 2)).toEqual([
      ['runnel:consumer:rebalance:start', expect.objectContaining({ kind: 'assigned' })],
      ['runnel:consumer:rebalance:asyncEnd', expect.objectContaining({ kind: 'assigned' })],
    ]);
    expect((rebalance[0]![1] as RebalanceMessage).partitions).toEqual([{ topic, partition: 0 }]);

    const processed = seen
      .filter(([name]) => name.startsWith('runnel:consumer:process'))
      .map(
        ([name, m]) =>
          `${name.split(':').pop()} ${(m as ProcessMessage).kind} ${(m as ProcessMessage).record?.offset}`,
      );
    expect(processed).toEqual(
      [0, 1, 2, 3, 4].flatMap((o) => [`start eachRecord ${o}`, `asyncEnd eachRecord ${o}`]),
    );
    const first = seen.find(([name]) => name === 'runnel:consumer:process:start')![1] as ProcessMessage;
    expect([
      first.consumer.clientId,
      first.consumer.groupId,
      first.batch.topic,
      first.batch.partition,
    ]).toEqual(['traced', groupId, topic, 0]);

    const commits = seen.filter(([name]) => name.startsWith('runnel:consumer:commit'));
    expect(commits.map(([name]) => name)).toEqual([
      'runnel:consumer:commit:start',
      'runnel:consumer:commit:asyncEnd',
    ]);
    expect((commits[0]![1] as CommitMessage).offsets).toEqual([
      expect.objectContaining({ topic, partition: 0, offset: 5 }),
    ]);

    const fetches = requests.filter((r) => r.api === 'Fetch' && r.purpose === 'fetch');
    expect(fetches.length).toBeGreaterThan(0);
    const broker = testCluster().bootstrap.split(',');
    for (const r of fetches) {
      expect(broker).toContain(r.broker);
      expect(r.apiKey).toBe(1);
      expect(r.apiVersion).toBeGreaterThanOrEqual(4);
      expect(r.requestBytes).toBeGreaterThan(20);
      expect(r.responseBytes).toBeGreaterThan(8);
      expect(r.correlationId).toBeGreaterThanOrEqual(0);
      expect(r.sentAt).toBeGreaterThan(Date.now() - 120_000);
    }
    // The Fetch that carried the 5 records answered with more bytes than any empty long poll.
    expect(Math.max(...fetches.map((r) => r.responseBytes))).toBeGreaterThan(5 * 10);
    const commit = requests.find((r) => r.api === 'OffsetCommit');
    expect(commit).toMatchObject({ apiKey: 8, purpose: 'default' });
  });

  it('traces each batch the iterator hands out until the next is asked for, and a failing handler as an error', async () => {
    const seen: Seen = [];
    unsubscribe.push(watch<ProcessMessage>('runnel:consumer:process', seen));
    const consumer = new Consumer({
      brokers: testCluster().bootstrap,
      autoOffsetReset: 'earliest',
      fetchMaxWaitMs: 100,
    });
    closing.push(consumer);
    consumer.assign([{ topic, partition: 0 }]);
    for await (const batch of consumer) {
      expect(seen.map(([name]) => name)).toEqual(['runnel:consumer:process:start']);
      expect(seen[0]![1]).toMatchObject({ kind: 'iterator', batch });
      break;
    }
    expect(seen.map(([name]) => name)).toEqual([
      'runnel:consumer:process:start',
      'runnel:consumer:process:asyncEnd',
    ]);

    seen.length = 0;
    consumer.seek({ topic, partition: 0 }, 0);
    const failure = new Error('handler failed');
    await expect(
      consumer.run({
        eachBatch: () => {
          throw failure;
        },
      }),
    ).rejects.toBe(failure);
    expect(seen.map(([name]) => name)).toEqual([
      'runnel:consumer:process:start',
      'runnel:consumer:process:error',
      'runnel:consumer:process:asyncEnd',
    ]);
    expect(seen[1]![1]).toMatchObject({ kind: 'eachBatch', error: failure });
  });
});
