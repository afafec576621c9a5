/**
 * The `heartbeat`, `joined`, `fetchStart`, `fetch` and `request` events of a consumer on a fake Kafka
 * whose answers come at once (test-support/startup-kafka.ts), on a fake clock.
 */
import * as diagnostics from 'node:diagnostics_channel';
import { FakeClock } from '@runnel/network/testing';
import { JoinGroup } from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsumerEventMap, ConsumerEventName } from './events.js';
import { StartupKafka } from './test-support/startup-kafka.js';

const started: StartupKafka[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

const t0 = { topic: 't', partition: 0 };
const t1 = { topic: 't', partition: 1 };

/** @returns a consumer of group `g` under `groupProtocol` subscribed to `t`, and the events it emitted. */
function consumer(groupProtocol: 'classic' | 'consumer') {
  const clock = new FakeClock();
  const s = new StartupKafka({ groupId: 'g', groupProtocol }, clock);
  started.push(s);
  const seen: { [E in ConsumerEventName]?: ConsumerEventMap[E][] } = {};
  const record = <E extends ConsumerEventName>(name: E) => {
    const list: ConsumerEventMap[E][] = [];
    seen[name] = list as never;
    s.consumer.on(name, (e) => void list.push(e));
    return list;
  };
  return { s, clock, record };
}

async function consume(s: StartupKafka, ms: number): Promise<void> {
  void s.consumer.run({ eachBatch: () => {} }).catch(() => {});
  s.consumer.subscribe(['t']);
  await s.kafka.pass(ms, 100);
}

describe('group events', () => {
  it('classic: joined with the JoinGroup leader, the round duration and the assignment; heartbeat per accepted Heartbeat', async () => {
    const { s, clock, record } = consumer('classic');
    // Each JoinGroup takes 7 ms; the round has two (KIP-394's MEMBER_ID_REQUIRED first).
    const answerJoin = s.kafka.cluster.handler;
    s.kafka.cluster.handler = (r) => {
      if (r.apiKey === JoinGroup.apiKey) clock.advance(7);
      return answerJoin(r);
    };
    const joined = record('joined');
    const heartbeats = record('heartbeat');
    await consume(s, 7_000);
    expect(joined).toEqual([
      {
        groupId: 'g',
        memberId: 'm-1',
        generationId: 1,
        leaderId: 'm-1',
        protocolName: 'range',
        assignment: [t0, t1],
        durationMs: 14,
      },
    ]);
    // heartbeatIntervalMs is 3 000: two heartbeats in 7 s.
    expect(heartbeats).toEqual([
      { groupId: 'g', memberId: 'm-1', generationId: 1 },
      { groupId: 'g', memberId: 'm-1', generationId: 1 },
    ]);
  });

  it('consumer protocol: joined without a leader, heartbeat per accepted ConsumerGroupHeartbeat, none for the leave', async () => {
    const { s, record } = consumer('consumer');
    const joined = record('joined');
    const heartbeats = record('heartbeat');
    await consume(s, 6_000);
    expect(joined).toEqual([
      expect.objectContaining({ groupId: 'g', memberId: 'm-1', generationId: 1, leaderId: null }),
    ]);
    expect(joined[0]!.assignment).toEqual([t0, t1]);
    expect(heartbeats.length).toBeGreaterThanOrEqual(2);
    expect(heartbeats.every((h) => h.memberId === 'm-1' && h.generationId === 1)).toBe(true);
    const before = heartbeats.length;
    await s.close();
    started.splice(0);
    // The answer to the leave (epoch -1) is no heartbeat of a member in the group.
    expect(heartbeats.length).toBe(before);
  });
});

describe('fetch and request events', () => {
  it('reports each Fetch as it starts and ends, with the partitions that brought records', async () => {
    const { s, record } = consumer('classic');
    const starts = record('fetchStart');
    const fetches = record('fetch');
    await consume(s, 200);
    expect(starts[0]).toEqual({ nodeId: 1, partitions: 2 });
    expect(fetches[0]).toEqual({ nodeId: 1, partitionsWithRecords: 2, durationMs: 0 });
  });

  it('reports each request of the consumer with its correlation id, sizes and times, watching the channel only while listened to', async () => {
    const { s, clock, record } = consumer('classic');
    const watched = () => diagnostics.channel('tracing:runnel:request:start').hasSubscribers;
    expect(watched()).toBe(false);
    const listener = () => {};
    s.consumer.on('request', listener);
    expect(watched()).toBe(true);
    s.consumer.off('request', listener);
    expect(watched()).toBe(false);
    const requests = record('request');
    expect(watched()).toBe(true);
    const startedAt = clock.wallClockMs();
    await consume(s, 200);
    const fetch = requests.find((r) => r.api === 'Fetch')!;
    expect(fetch).toMatchObject({ apiKey: 1, broker: 'broker:9092', nodeId: 1, error: null });
    expect(fetch.correlationId).toBeGreaterThanOrEqual(0);
    expect(fetch.requestBytes).toBeGreaterThan(20);
    expect(fetch.responseBytes).toBeGreaterThan(20);
    expect(fetch.createdAt).toBeGreaterThanOrEqual(startedAt);
    expect(fetch.sentAt).toBeGreaterThanOrEqual(fetch.createdAt);
    const apis = new Set(requests.map((r) => r.api));
    for (const api of ['FindCoordinator', 'JoinGroup', 'SyncGroup', 'OffsetFetch'])
      expect(apis).toContain(api);
    // Correlation ids are per connection: the group's connection numbers its own from 0 up.
    const joins = requests.filter((r) => r.api === 'JoinGroup').map((r) => r.correlationId);
    expect(joins[1]).toBeGreaterThan(joins[0]!);
    // Closed: the channel is let go, though the listener is still there.
    await s.close();
    started.splice(0);
    expect(watched()).toBe(false);
  });
});
