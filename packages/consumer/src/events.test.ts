import type { Logger } from '@runnel/network';
import { FakeClock, FakeCluster } from '@runnel/network/testing';
import { Fetch, ListOffsets, OffsetCommit, OffsetFetch } from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Commits } from './commits.js';
import type { ConsumerConfig } from './config.js';
import { Consumer } from './consumer.js';
import { AllBrokersDownError, CommitFailedError } from './errors.js';
import {
  type ConsumerEventMap,
  type ConsumerEventName,
  ConsumerEvents,
  reportReachability,
} from './events.js';
import { Fetcher } from './fetcher.js';
import { Rebalances } from './rebalance.js';
import { deadlineIn } from './retry.js';
import {
  BROKER,
  commitAnswer,
  committedAnswer,
  FakeKafka,
  listedAt,
  metadataAnswer,
  settle,
} from './test-support/fake-kafka.js';
import { records, response } from './test-support/fetcher-fake.js';

const kafkas: FakeKafka[] = [];
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await Promise.all(kafkas.splice(0).map((k) => k.close()));
});

const t0 = { topic: 't', partition: 0 };
const t1 = { topic: 't', partition: 1 };

/** A logger that keeps warn and error lines with their fields. */
function recordingLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (obj: object, msg?: string) =>
    void lines.push({ level, obj: obj as Record<string, unknown>, msg: msg ?? '' });
  const logger: Logger = { debug: () => {}, info: () => {}, warn: at('warn'), error: at('error') };
  return { lines, logger };
}

/** @returns a fake Kafka for group `g`, and the payloads of `names` as they are emitted. */
function setup(names: readonly ConsumerEventName[], config: Partial<ConsumerConfig> = {}) {
  const kafka = new FakeKafka({ groupId: 'g', ...config });
  kafkas.push(kafka);
  const seen: Array<[ConsumerEventName, unknown]> = [];
  for (const name of names) kafka.context.events.on(name, (event) => void seen.push([name, event]));
  const fetcher = new Fetcher(kafka.context);
  closers.push(() => fetcher.close());
  const commits = new Commits(kafka.context, {
    partitions: fetcher.partitions,
    group: () => null,
    isRunning: () => true,
  });
  return { kafka, seen, fetcher, commits };
}

describe('ConsumerEvents', () => {
  it('calls every listener in order, logs one that throws or rejects, and goes on with the others', async () => {
    const { lines, logger } = recordingLogger();
    const events = new ConsumerEvents(logger);
    const calls: string[] = [];
    events.on('fatal', () => {
      calls.push('a');
      throw Object.assign(new Error('listener bug'), { code: 'ERR_BUG' });
    });
    events.on('fatal', async () => {
      calls.push('b');
      throw new Error('async bug');
    });
    events.on('fatal', (e) => void calls.push(`c ${e.error.message}`));
    expect(() => events.emit('fatal', { error: new Error('stop') })).not.toThrow();
    await settle();
    expect(calls).toEqual(['a', 'b', 'c stop']);
    expect(lines.map((l) => [l.level, l.obj.event, l.obj.code, l.obj.name])).toEqual([
      ['error', 'event_listener_failed', 'ERR_BUG', 'fatal'],
      ['error', 'event_listener_failed', 'UNKNOWN', 'fatal'],
    ]);
  });

  it('removes a listener with off, and says whether anyone listens', () => {
    const events = new ConsumerEvents(recordingLogger().logger);
    const calls: number[] = [];
    const listener = () => void calls.push(1);
    expect(events.has('commit')).toBe(false);
    events.on('commit', listener);
    expect(events.has('commit')).toBe(true);
    events.off('commit', listener);
    expect(events.has('commit')).toBe(false);
    events.emit('commit', { groupId: 'g', offsets: [], durationMs: 0, error: null });
    expect(calls).toEqual([]);
  });
});

describe('rebalance events', () => {
  it('reports each step as rebalance at its start and assigned, revoked or lost at its end, with the assignment left', async () => {
    const { kafka, seen, fetcher, commits } = setup(['rebalance', 'assigned', 'revoked', 'lost'], {
      autoCommit: false,
    });
    const rebalances = new Rebalances(kafka.context, fetcher, commits, () => true);
    rebalances.listener = { onAssigned: () => kafka.clock.advance(30) };
    await rebalances.assigned([t0, t1], [t0, t1]);
    await rebalances.revoked([t0]);
    await rebalances.lost([t1]);
    expect(seen).toEqual([
      ['rebalance', { kind: 'assigned', partitions: [t0, t1], groupId: 'g' }],
      ['assigned', { partitions: [t0, t1], assignment: [t0, t1], groupId: 'g', durationMs: 30 }],
      ['rebalance', { kind: 'revoked', partitions: [t0], groupId: 'g' }],
      ['revoked', { partitions: [t0], assignment: [t1], groupId: 'g', durationMs: 0 }],
      ['rebalance', { kind: 'lost', partitions: [t1], groupId: 'g' }],
      ['lost', { partitions: [t1], assignment: [], groupId: 'g', durationMs: 0 }],
    ]);
  });
});

describe('commit events', () => {
  it('reports a stored commit with its offsets and duration, and a refused one with its error', async () => {
    const { kafka, seen, commits } = setup(['commit']);
    let code = 0;
    kafka.on(OffsetCommit, (r) => {
      kafka.clock.advance(12);
      return commitAnswer(r, code);
    });
    const offsets = [{ topic: 't', partition: 0, offset: 5 }];
    const deadline = deadlineIn(kafka.clock, 10_000);
    await commits.commit(offsets, deadline);
    code = 25; // UNKNOWN_MEMBER_ID: not retriable
    await expect(commits.commit(offsets, deadline)).rejects.toBeInstanceOf(CommitFailedError);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual(['commit', { groupId: 'g', offsets, durationMs: 12, error: null }]);
    const failed = seen[1]![1] as ConsumerEventMap['commit'];
    expect(failed.error).toBeInstanceOf(CommitFailedError);
    expect(failed.offsets).toEqual(offsets);
  });
});

describe('fetch and broker events', () => {
  it('reports the broker down with the error, the failed Fetch with its broker, and the broker up again with how long', async () => {
    const { kafka, seen, fetcher } = setup(['fetchError', 'brokerDown', 'brokerUp'], {
      autoOffsetReset: 'earliest',
    });
    reportReachability(kafka.context.client.pool.reachability, kafka.context.events);
    kafka.on(OffsetFetch, (r) => committedAnswer(r, () => 0));
    let fetches = 0;
    kafka.on(Fetch, () => (fetches++ === 0 ? { disconnect: true } : undefined));
    fetcher.setAssignment([t0]);
    for (let i = 0; i < 20 && fetches < 2; i++) await kafka.pass(100);
    expect(fetches).toBe(2);
    const names = seen.map(([name]) => name);
    // The connection breaks first, then the request on it fails.
    expect(names).toEqual(['brokerDown', 'fetchError', 'brokerUp']);
    expect(seen[0]![1]).toMatchObject({ broker: 'broker:9092', nodeId: 1, error: { reason: 'reset' } });
    expect(seen[1]![1]).toMatchObject({ nodeId: BROKER.nodeId, error: { reason: 'reset' } });
    const up = seen[2]![1] as ConsumerEventMap['brokerUp'];
    expect(up).toMatchObject({ broker: 'broker:9092', nodeId: 1 });
    expect(up.downForMs).toBeGreaterThan(0);
  });
});

describe('offsetReset events', () => {
  it('reports a partition without a committed offset reset per autoOffsetReset, with the offset it starts from', async () => {
    const { kafka, seen, fetcher } = setup(['offsetReset'], { autoOffsetReset: 'latest' });
    kafka.on(OffsetFetch, (r) => committedAnswer(r, () => -1));
    kafka.on(ListOffsets, (r) => listedAt(r, 40n));
    fetcher.setAssignment([t0]);
    await kafka.pass(100);
    expect(seen).toEqual([
      [
        'offsetReset',
        { ...t0, strategy: 'latest', reason: 'noCommittedOffset', offset: 40, fromOffset: null },
      ],
    ]);
  });

  it('reports a reset after an out-of-range fetch with the offset the broker refused, and one the user asked for', async () => {
    const { kafka, seen, fetcher } = setup(['offsetReset'], { autoOffsetReset: 'earliest' });
    kafka.on(OffsetFetch, (r) => committedAnswer(r, () => 90));
    kafka.on(ListOffsets, (r) => listedAt(r, 7n));
    let fetches = 0;
    kafka.on(Fetch, () =>
      fetches++ === 0
        ? { response: response([{ partitionIndex: 0, errorCode: 1 }]) }
        : { response: response([{ partitionIndex: 0, records: records(7, 1) }]) },
    );
    fetcher.setAssignment([t0]);
    await kafka.pass(100);
    await kafka.pass(100);
    fetcher.positions.seek(fetcher.partitions.values(), null, 'latest');
    await kafka.pass(100);
    expect(seen).toEqual([
      ['offsetReset', { ...t0, strategy: 'earliest', reason: 'outOfRange', offset: 7, fromOffset: 90 }],
      ['offsetReset', { ...t0, strategy: 'latest', reason: 'seek', offset: 7, fromOffset: null }],
    ]);
  });
});

describe('fatal event', () => {
  it('reports the error that stopped a consumer for good, once', async () => {
    const clock = new FakeClock();
    const cluster = new FakeCluster(clock);
    cluster.handler = (r) => (r.apiKey === 3 ? { response: metadataAnswer(r.message) } : undefined);
    cluster.down.add('broker:9092');
    const consumer = new Consumer(
      { brokers: 'broker:9092', allBrokersDownTimeoutMs: 1_000, autoOffsetReset: 'earliest' },
      { clock, connectionFactory: cluster.factory, random: () => 0.5 },
    );
    closers.push(() => consumer.close({ timeoutMs: 100 }));
    const fatal: Error[] = [];
    const down: string[] = [];
    consumer.on('fatal', (e) => void fatal.push(e.error)).on('brokerDown', (e) => void down.push(e.broker));
    consumer.assign([t0]);
    for (let i = 0; i < 30; i++) {
      clock.advance(100);
      await settle();
    }
    expect(down).toEqual(['broker:9092']);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toBeInstanceOf(AllBrokersDownError);
  });
});
