/**
 * The start-up path waits on nothing but the broker: with every answer coming at once, the first batch
 * is handed out before the (fake) clock moves at all, under both group protocols and under assign().
 */
import { FakeClock } from '@runnel/network/testing';
import { ListOffsets, OffsetFetch } from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsumerConfig } from './config.js';
import type { Delivery } from './fetcher.js';
import { committedAnswer, settle } from './test-support/fake-kafka.js';
import { records as batchOf, response, setup, tick } from './test-support/fetcher-fake.js';
import { StartupKafka } from './test-support/startup-kafka.js';

const started: StartupKafka[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

/**
 * Starts a consumer (`how`) and lets the event loop run, without moving the clock, until its first
 * batch is handed out (or 200 turns passed).
 * @returns the fake Kafka, the first batch's records as `partition:offset`, and the clock time then.
 */
async function firstBatch(config: Partial<ConsumerConfig>, how: (s: StartupKafka) => void) {
  const clock = new FakeClock();
  const s = new StartupKafka(config, clock);
  started.push(s);
  how(s);
  const iterator = s.consumer.batches();
  let batch: Awaited<ReturnType<typeof iterator.next>> | null = null;
  void iterator.next().then((b) => {
    batch = b;
  });
  for (let turn = 0; turn < 200 && batch === null; turn++) await settle();
  const records =
    batch === null
      ? null
      : (batch as { value: { records: { partition: number; offset: number }[] } }).value.records.map(
          (r) => `${r.partition}:${r.offset}`,
        );
  return { s, records, at: clock.now() };
}

/** @returns the APIs the broker received after the first `from` request and before the first `to` one. */
function between(s: StartupKafka, from: string, to: string): string[] {
  const apis = s.seen.map((r) => r.api);
  const first = apis.indexOf(from);
  const last = apis.indexOf(to);
  expect(first).toBeGreaterThanOrEqual(0);
  expect(last).toBeGreaterThan(first);
  return apis.slice(first + 1, last);
}

/**
 * Subscribes to `t` under `groupProtocol` and checks what both protocols promise: the first records
 * with the clock never moved, and one coordinator lookup only (the member's, shared).
 * @returns the fake Kafka, for the protocol's own checks.
 */
async function subscribedFirstBatch(groupProtocol: 'classic' | 'consumer'): Promise<StartupKafka> {
  const { s, records, at } = await firstBatch({ groupId: 'g', groupProtocol }, (k) =>
    k.consumer.subscribe(['t']),
  );
  expect(records).toEqual(['0:0', '0:1', '0:2']);
  expect(at).toBe(0);
  expect(s.count('FindCoordinator')).toBe(1);
  return s;
}

describe('the start-up path, every answer at once', () => {
  it('under the classic protocol: no timer wait, no second coordinator lookup, no handshake after the join', async () => {
    const s = await subscribedFirstBatch('classic');
    // The subscribed topics' metadata was asked for beside the coordinator lookup, not after it.
    expect(s.seen.findIndex((r) => r.api === 'Metadata')).toBeLessThan(
      s.seen.findIndex((r) => r.api === 'JoinGroup'),
    );
    // From the first JoinGroup on, only the round trips the protocol needs: the leader assigns from
    // the metadata fetched beside the coordinator lookup (no Metadata of its own), and no connection
    // handshake (ApiVersions) is left for OffsetFetch, ListOffsets or the first Fetch.
    const afterJoin = between(s, 'JoinGroup', 'Fetch');
    expect(afterJoin.slice(0, 2)).toEqual(['JoinGroup', 'SyncGroup']);
    expect(s.count('Metadata')).toBe(1);
    // OffsetFetch and ListOffsets go together: a group that never committed waits one round trip.
    // OffsetFetch, the slower answer (the coordinator reads the offsets topic), goes first.
    expect(afterJoin.slice(2)).toEqual(['OffsetFetch', 'ListOffsets']);
  });

  it('asks ListOffsets while the OffsetFetch of a group that never committed is still out', async () => {
    const { records, at } = await firstBatch({ groupId: 'g', groupProtocol: 'classic' }, (k) => {
      let release: (() => void) | undefined;
      const offsetsListed = new Promise<void>((resolve) => {
        release = resolve;
      });
      const answerList = k.kafka.cluster.handler;
      k.kafka.on(OffsetFetch, (r) => offsetsListed.then(() => committedAnswer(r, () => -1)));
      k.kafka.cluster.handler = (r) => {
        if (r.apiKey === ListOffsets.apiKey) release?.();
        return answerList(r);
      };
      k.consumer.subscribe(['t']);
    });
    expect(records).toEqual(['0:0', '0:1', '0:2']);
    expect(at).toBe(0);
  });

  it('never waits on that ListOffsets when the group has committed offsets', async () => {
    const { s, records, at } = await firstBatch({ groupId: 'g', groupProtocol: 'classic' }, (k) => {
      k.kafka.on(OffsetFetch, (r) => committedAnswer(r, () => 0));
      k.kafka.on(ListOffsets, () => undefined);
      k.consumer.subscribe(['t']);
    });
    expect(records).toEqual(['0:0', '0:1', '0:2']);
    expect(at).toBe(0);
    expect(s.count('ListOffsets')).toBe(1);
  });

  it('under the consumer protocol: the first assignment is acted on at once, with no lookup or handshake left', async () => {
    const s = await subscribedFirstBatch('consumer');
    // The acknowledging heartbeat goes beside the offset lookups, which do not wait for it.
    expect(between(s, 'ConsumerGroupHeartbeat', 'Fetch').sort()).toEqual([
      'ConsumerGroupHeartbeat',
      'ListOffsets',
      'OffsetFetch',
    ]);
  });

  it('under assign(): metadata, ListOffsets and one Fetch, the Fetch connection opened beside ListOffsets', async () => {
    const { s, records, at } = await firstBatch({}, (k) =>
      k.consumer.assign([
        { topic: 't', partition: 0 },
        { topic: 't', partition: 1 },
      ]),
    );
    expect(records).toEqual(['0:0', '0:1', '0:2']);
    expect(at).toBe(0);
    expect(between(s, 'ListOffsets', 'Fetch')).toEqual([]);
    expect(s.seen.filter((r) => r.api !== 'ApiVersions').map((r) => r.api)).toEqual([
      'Metadata',
      'ListOffsets',
      'Fetch',
      'Fetch',
    ]);
  });
});

describe('the first batch of a partition', () => {
  it('holds its first record batch alone; the batches after it gather up to maxPartitionFetchBytes', async () => {
    const { cluster, fetcher, close } = await setup();
    try {
      await tick();
      const three = [batchOf(0, 2), batchOf(2, 2), batchOf(4, 2)];
      const bytes = new Uint8Array(three.reduce((n, b) => n + b.length, 0));
      let at = 0;
      for (const b of three) {
        bytes.set(b, at);
        at += b.length;
      }
      cluster.fetches[0]!.respond(response([{ partitionIndex: 0, records: bytes }]));
      await tick();
      const offsets: number[][] = [];
      for (let i = 0; i < 2; i++) {
        const taken = fetcher.take() as { delivery: Delivery };
        offsets.push(taken.delivery.batch.records.map((r) => r.offset));
        fetcher.finish(taken.delivery);
      }
      expect(offsets).toEqual([
        [0, 1],
        [2, 3, 4, 5],
      ]);
    } finally {
      await close();
    }
  });
});
