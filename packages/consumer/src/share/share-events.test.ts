import { ErrorCode, KafkaProtocolError } from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { AllBrokersDownError } from '../errors.js';
import type { AssignmentEvent, FetchErrorEvent } from '../events.js';
import { FakeShareBroker } from '../test-support/fake-share-broker.js';
import { ShareConsumer } from './share-consumer.js';
import type { AcknowledgementEvent, ShareConsumerEventMap } from './share-events.js';
import type { ShareBatch } from './share-records.js';

let broker: FakeShareBroker | null = null;
afterEach(async () => {
  await broker?.closeAll();
  broker = null;
});

const jobs0 = [{ topic: 'jobs', partition: 0 }];

/**
 * One turn of the event loop. The waits below poll on turns, not on real-time timers: the fake
 * broker's clock moves on turns too, and a real 1 ms timer on a loaded machine can come after its
 * whole budget of clock time has passed.
 */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ShareConsumer lifecycle events', () => {
  it('assigned and revoked follow the ShareGroupHeartbeat assignment', async () => {
    broker = new FakeShareBroker();
    const consumer = broker.consumer();
    const seen: [string, AssignmentEvent][] = [];
    consumer.on('assigned', (e) => void seen.push(['assigned', e]));
    consumer.on('revoked', (e) => void seen.push(['revoked', e]));
    const heartbeats: ShareConsumerEventMap['heartbeat'][] = [];
    const joined: ShareConsumerEventMap['joined'][] = [];
    consumer.on('heartbeat', (e) => void heartbeats.push(e)).on('joined', (e) => void joined.push(e));
    await broker.waitFor(
      (async () => {
        while (seen.length === 0) await turn();
      })(),
    );
    expect(seen).toEqual([
      ['assigned', { partitions: jobs0, assignment: jobs0, groupId: 'g', durationMs: 0 }],
    ]);
    // The ShareGroupHeartbeat that brought the assignment: a share group has no leader.
    expect(joined).toEqual([
      expect.objectContaining({ groupId: 'g', generationId: 1, leaderId: null, assignment: jobs0 }),
    ]);
    expect(heartbeats[0]).toMatchObject({ groupId: 'g', generationId: 1 });
    expect(heartbeats[0]!.memberId).toBe(joined[0]!.memberId);
    expect(consumer.assignment()).toEqual(jobs0);
    // The coordinator takes the partition away at the next heartbeat.
    broker.partitions = [];
    await broker.waitFor(
      (async () => {
        while (seen.length < 2) await turn();
      })(),
      10_000,
    );
    expect(seen[1]).toEqual(['revoked', { partitions: jobs0, assignment: [], groupId: 'g', durationMs: 0 }]);
    expect(consumer.assignment()).toEqual([]);
  });

  it('acknowledgement tells each partition answer with its counts by type; a throwing listener is only logged', async () => {
    broker = new FakeShareBroker();
    broker.script.push({ first: 0, count: 4 });
    const errors: unknown[] = [];
    const logger = { ...silent, error: (o: unknown) => void errors.push(o) };
    const consumer = broker.consumer({ acknowledgementMode: 'explicit', logger });
    const events: AcknowledgementEvent[] = [];
    consumer.on('acknowledgement', () => {
      throw new Error('a monitoring bug');
    });
    consumer.on('acknowledgement', (e) => void events.push(e));
    const { value } = await broker.waitFor(consumer[Symbol.asyncIterator]().next());
    const types = ['accept', 'reject', 'release', 'accept'] as const;
    for (const [i, r] of (value as ShareBatch).records.entries()) consumer.acknowledge(r, types[i]);
    const results = await broker.waitFor(consumer.commit());
    const answer = {
      topic: 'jobs',
      partition: 0,
      offsets: [0, 1, 2, 3],
      types: { accept: 2, release: 1, reject: 1 },
      error: null,
    };
    expect(results).toEqual([answer]);
    expect(events).toEqual([{ groupId: 'g', ...answer }]);
    expect(errors).toEqual([
      expect.objectContaining({ event: 'event_listener_failed', name: 'acknowledgement' }),
    ]);
  });

  it('a refused acknowledgement comes with its error; a ShareFetch failed as a whole is a fetchError', async () => {
    broker = new FakeShareBroker();
    broker.script.push({ first: 7, count: 1 });
    broker.acknowledgeErrorCode = ErrorCode.INVALID_RECORD_STATE;
    const consumer = broker.consumer();
    const acks: AcknowledgementEvent[] = [];
    const fetchErrors: FetchErrorEvent[] = [];
    consumer.on('acknowledgement', (e) => void acks.push(e));
    consumer.on('fetchError', (e) => void fetchErrors.push(e));
    const iterator = consumer[Symbol.asyncIterator]();
    await broker.waitFor(iterator.next());
    // Finishing the batch accepts its record, refused by the broker.
    void iterator.next();
    await broker.waitFor(
      (async () => {
        while (acks.length === 0) await turn();
      })(),
    );
    expect(acks).toEqual([
      {
        groupId: 'g',
        topic: 'jobs',
        partition: 0,
        offsets: [7],
        types: { accept: 1, release: 0, reject: 0 },
        error: expect.any(KafkaProtocolError),
      },
    ]);
    expect(acks[0]!.error).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD_STATE });
    expect(fetchErrors).toEqual([]);
    broker.fetchErrorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
    await broker.waitFor(
      (async () => {
        while (fetchErrors.length === 0) await turn();
      })(),
    );
    expect(fetchErrors[0]).toEqual({ nodeId: 1, error: expect.any(KafkaProtocolError) });
    expect(fetchErrors[0]!.error).toMatchObject({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR });
  });

  it('off removes a listener', async () => {
    broker = new FakeShareBroker();
    const consumer = broker.consumer();
    const seen: string[] = [];
    const listener = () => void seen.push('assigned');
    consumer.on('assigned', listener).off('assigned', listener);
    const other = () => void seen.push('other');
    consumer.on('assigned', other);
    await broker.waitFor(
      (async () => {
        while (seen.length === 0) await turn();
      })(),
    );
    expect(seen).toEqual(['other']);
  });
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe('ShareConsumer events with no broker reachable', () => {
  it('brokerDown for the bootstrap address, then fatal with AllBrokersDownError after allBrokersDownTimeoutMs', async () => {
    const consumer = new ShareConsumer({
      brokers: '127.0.0.1:1',
      groupId: 'g',
      reconnectBackoffMs: 50,
      reconnectBackoffMaxMs: 100,
      allBrokersDownTimeoutMs: 1_000,
      logger: silent,
    });
    const seen: Partial<ShareConsumerEventMap> = {};
    consumer.on('brokerDown', (e) => void (seen.brokerDown ??= e));
    consumer.on('fatal', (e) => void (seen.fatal ??= e));
    consumer.subscribe(['t']);
    const error = await consumer[Symbol.asyncIterator]()
      .next()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllBrokersDownError);
    expect(seen.brokerDown).toMatchObject({ broker: '127.0.0.1:1', error: expect.any(Error) });
    expect(seen.brokerDown!.nodeId).toBeLessThan(0);
    expect(seen.fatal).toEqual({ error });
    await consumer.close({ timeoutMs: 2_000 });
  });
});
