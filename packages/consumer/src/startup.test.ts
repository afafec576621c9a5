/**
 * The start-up path waits on nothing but the broker: with every answer coming at once, the first batch
 * is handed out before the (fake) clock moves at all, under both group protocols and under assign().
 */
import { FakeClock } from '@runnel/network/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsumerConfig } from './config.js';
import { settle } from './test-support/fake-kafka.js';
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

describe('the start-up path, every answer at once', () => {
  it('under the classic protocol: no timer wait, no second coordinator lookup, no handshake after the join', async () => {
    const { s, records, at } = await firstBatch({ groupId: 'g', groupProtocol: 'classic' }, (k) =>
      k.consumer.subscribe(['t']),
    );
    expect(records).toEqual(['0:0', '0:1', '0:2']);
    expect(at).toBe(0);
    expect(s.count('FindCoordinator')).toBe(1);
    // The subscribed topics' metadata was asked for beside the coordinator lookup, not after it.
    expect(s.seen.findIndex((r) => r.api === 'Metadata')).toBeLessThan(
      s.seen.findIndex((r) => r.api === 'JoinGroup'),
    );
    // From the first JoinGroup on, only the round trips the protocol needs: the leader's own Metadata,
    // and no connection handshake (ApiVersions) left for OffsetFetch, ListOffsets or the first Fetch.
    expect(between(s, 'JoinGroup', 'Fetch')).toEqual([
      'JoinGroup',
      'Metadata',
      'SyncGroup',
      'OffsetFetch',
      'ListOffsets',
    ]);
  });

  it('under the consumer protocol: the first assignment is acted on at once, with no lookup or handshake left', async () => {
    const { s, records, at } = await firstBatch({ groupId: 'g', groupProtocol: 'consumer' }, (k) =>
      k.consumer.subscribe(['t']),
    );
    expect(records).toEqual(['0:0', '0:1', '0:2']);
    expect(at).toBe(0);
    expect(s.count('FindCoordinator')).toBe(1);
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
