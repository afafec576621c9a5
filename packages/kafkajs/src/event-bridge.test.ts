import type { ConsumerEventMap, Consumer as RunnelConsumer } from '@runnel/consumer';
import { ConnectionError, RequestTimeoutError } from '@runnel/network';
import { describe, expect, it } from 'vitest';
import { EventBridge } from './event-bridge.js';
import { CONSUMER_EVENTS, EventHub } from './events.js';
import type { InstrumentationEvent } from './types.js';

type Listener = (event: unknown) => void;

/** A stand-in for the Runnel consumer's `on`/`off`: it counts listeners and emits what a test gives it. */
function runnelEvents() {
  const listeners = new Map<string, Set<Listener>>();
  const runnel = {
    on(name: string, listener: Listener) {
      if (!listeners.has(name)) listeners.set(name, new Set());
      listeners.get(name)!.add(listener);
      return runnel;
    },
    off(name: string, listener: Listener) {
      listeners.get(name)?.delete(listener);
      return runnel;
    },
  };
  const emit = <E extends keyof ConsumerEventMap>(name: E, event: ConsumerEventMap[E]) => {
    for (const l of listeners.get(name) ?? []) l(event);
  };
  const count = (name: string) => listeners.get(name)?.size ?? 0;
  return { runnel: runnel as unknown as RunnelConsumer, emit, count };
}

function setup() {
  let bridge: EventBridge | null = null;
  const hub = new EventHub(
    (error) => {
      throw error;
    },
    (type) => bridge?.sync(type),
  );
  bridge = new EventBridge(hub, 'billing');
  const seen: InstrumentationEvent<unknown>[] = [];
  const listen = (type: string) => hub.on(type, (e) => void seen.push(e));
  return { hub, bridge, seen, listen, ...runnelEvents() };
}

const request: ConsumerEventMap['request'] = {
  api: 'Fetch',
  apiKey: 1,
  apiVersion: 12,
  broker: 'kafka-1:9092',
  nodeId: 1,
  correlationId: 17,
  requestBytes: 120,
  responseBytes: 900,
  createdAt: 1_000,
  sentAt: 1_004,
  durationMs: 30,
  error: null,
};

describe('EventBridge', () => {
  it('follows a Runnel event only while a KafkaJS listener wants what is built from it, and only once run attached a consumer', () => {
    const { bridge, listen, count, runnel } = setup();
    const offHeartbeat = listen(CONSUMER_EVENTS.HEARTBEAT);
    expect(count('heartbeat')).toBe(0);
    bridge.attach(runnel);
    expect(count('heartbeat')).toBe(1);
    expect(count('request')).toBe(0);
    const offRequest = listen(CONSUMER_EVENTS.REQUEST);
    const offTimeout = listen(CONSUMER_EVENTS.REQUEST_TIMEOUT);
    expect(count('request')).toBe(2);
    offRequest();
    offTimeout();
    expect(count('request')).toBe(0);
    bridge.detach();
    expect(count('heartbeat')).toBe(0);
    offHeartbeat();
    expect(count('heartbeat')).toBe(0);
  });

  it("builds KafkaJS's payloads: HEARTBEAT, GROUP_JOIN (leader or not), FETCH_START and FETCH", () => {
    const { bridge, listen, emit, runnel, seen } = setup();
    for (const type of ['HEARTBEAT', 'GROUP_JOIN', 'FETCH_START', 'FETCH'] as const)
      listen(CONSUMER_EVENTS[type]);
    bridge.attach(runnel);
    emit('heartbeat', { groupId: 'g', memberId: 'm-1', generationId: 4 });
    const joined = {
      groupId: 'g',
      memberId: 'm-1',
      generationId: 4,
      protocolName: 'range',
      assignment: [
        { topic: 'a', partition: 0 },
        { topic: 'a', partition: 2 },
        { topic: 'b', partition: 1 },
      ],
      durationMs: 25,
    };
    emit('joined', { ...joined, leaderId: 'm-1' });
    emit('joined', { ...joined, leaderId: 'm-2' });
    emit('joined', { ...joined, leaderId: null, protocolName: null });
    emit('fetchStart', { nodeId: 2, partitions: 3 });
    emit('fetch', { nodeId: 2, partitionsWithRecords: 2, durationMs: 41 });
    expect(seen.map((e) => [e.type, e.payload])).toEqual([
      ['consumer.heartbeat', { groupId: 'g', memberId: 'm-1', groupGenerationId: 4 }],
      [
        'consumer.group_join',
        {
          duration: 25,
          groupId: 'g',
          isLeader: true,
          leaderId: 'm-1',
          groupProtocol: 'range',
          memberId: 'm-1',
          memberAssignment: { a: [0, 2], b: [1] },
        },
      ],
      ['consumer.group_join', expect.objectContaining({ isLeader: false, leaderId: 'm-2' })],
      ['consumer.group_join', expect.objectContaining({ isLeader: false, leaderId: '', groupProtocol: '' })],
      ['consumer.fetch_start', { nodeId: 2 }],
      ['consumer.fetch', { numberOfBatches: 2, duration: 41, nodeId: 2 }],
    ]);
  });

  it('builds REQUEST from an answered request and REQUEST_TIMEOUT from a timed-out one, and neither from other failures', () => {
    const { bridge, listen, emit, runnel, seen } = setup();
    listen(CONSUMER_EVENTS.REQUEST);
    listen(CONSUMER_EVENTS.REQUEST_TIMEOUT);
    bridge.attach(runnel);
    emit('request', request);
    emit('request', {
      ...request,
      correlationId: 18,
      error: new RequestTimeoutError('kafka-1:9092', 1, 30_000),
    });
    emit('request', {
      ...request,
      correlationId: 19,
      sentAt: null,
      error: new ConnectionError('kafka-1:9092', 'reset', 'reset'),
    });
    const common = {
      broker: 'kafka-1:9092',
      clientId: 'billing',
      createdAt: 1_000,
      sentAt: 1_004,
      pendingDuration: 4,
      apiName: 'Fetch',
      apiKey: 1,
      apiVersion: 12,
    };
    expect(seen.map((e) => [e.type, e.payload])).toEqual([
      ['consumer.network.request', { ...common, correlationId: 17, size: 900, duration: 26 }],
      ['consumer.network.request_timeout', { ...common, correlationId: 18 }],
    ]);
  });
});
