import type { Consumer, ConsumerBatch, TopicPartition } from '@runnel/consumer';
import { describe, expect, it } from 'vitest';
import { configErrorOf } from './test-support/config-error.js';
import { parseVerifiableConsumerArgs } from './verifiable-consumer-options.js';
import {
  eventLogger,
  type ProbeOptions,
  seekAndPause,
  startProcessStats,
} from './verifiable-consumer-probes.js';

const REQUIRED = ['--bootstrap-server', 'localhost:9092', '--topic', 'orders', '--group-id', 'verifiers'];
const parse = (args: readonly string[]) =>
  parseVerifiableConsumerArgs([...REQUIRED, ...args], () => {
    throw new Error('no files');
  });

function recorder(): {
  events: Array<[string, Record<string, unknown>]>;
  emit: (n: string, f?: Record<string, unknown>) => void;
} {
  const events: Array<[string, Record<string, unknown>]> = [];
  return { events, emit: (name, fields = {}) => events.push([name, fields]) };
}

describe("the verifiable consumer's Runnel-only options", () => {
  it('are all off by default', () => {
    expect(parse([]).probes).toEqual({
      statsIntervalMs: 0,
      logLevel: 'off',
      seekBackEvery: 0,
      pauseEvery: 0,
      pauseMs: 500,
    });
  });

  it('are read from the command line', () => {
    const args = [
      '--stats-interval-ms',
      '1000',
      '--log-level=warn',
      '--seek-back-every',
      '7',
      '--pause-every',
      '3',
    ];
    expect(parse([...args, '--pause-ms', '250']).probes).toEqual({
      statsIntervalMs: 1000,
      logLevel: 'warn',
      seekBackEvery: 7,
      pauseEvery: 3,
      pauseMs: 250,
    });
  });

  it('refuse an unknown log level or a negative interval, naming the option', () => {
    expect(configErrorOf(() => parse(['--log-level', 'loud'])).message).toMatch(
      /--log-level.*must be debug, info, warn, error or off/,
    );
    expect(configErrorOf(() => parse(['--stats-interval-ms', '-5'])).message).toMatch(/--stats-interval-ms/);
  });
});

describe('eventLogger', () => {
  it('prints lines at its level and above as log events, with errors and bigints made printable', () => {
    const { events, emit } = recorder();
    const logger = eventLogger(emit, 'info')!;
    logger.debug({ a: 1 }, 'hidden');
    logger.info({ offset: 5n, err: Object.assign(new Error('boom'), { code: 'ERR_X' }) }, 'reset');
    logger.error({}, 'bad');
    expect(events).toEqual([
      [
        'log',
        {
          level: 'info',
          message: 'reset',
          fields: { offset: '5', err: { name: 'Error', code: 'ERR_X', message: 'boom' } },
        },
      ],
      ['log', { level: 'error', message: 'bad', fields: {} }],
    ]);
    expect(eventLogger(emit, 'off')).toBeUndefined();
  });
});

describe('startProcessStats', () => {
  it('prints RSS, heap, sockets and event-loop delay on its interval, and stops when told', async () => {
    const { events, emit } = recorder();
    const stop = startProcessStats(emit, 20);
    await new Promise((done) => setTimeout(done, 120));
    stop();
    const seen = events.length;
    expect(seen).toBeGreaterThanOrEqual(2);
    const [name, stats] = events[0]!;
    expect(name).toBe('process_stats');
    expect(stats.rss).toBeGreaterThan(1_000_000);
    expect(stats.heapUsed).toBeGreaterThan(0);
    expect(Number.isInteger(stats.sockets)).toBe(true);
    expect(stats.eventLoopDelayP99Ms).toBeGreaterThanOrEqual(0);
    await new Promise((done) => setTimeout(done, 60));
    expect(events.length).toBe(seen);
  });
});

describe('seekAndPause', () => {
  const tp: TopicPartition = { topic: 'orders', partition: 2 };
  const batch = (first: number) =>
    ({ ...tp, firstOffset: first, lastOffset: first + 9 }) as unknown as ConsumerBatch;
  const probes = (set: Partial<ProbeOptions>): ProbeOptions => ({
    statsIntervalMs: 0,
    logLevel: 'off',
    seekBackEvery: 0,
    pauseEvery: 0,
    pauseMs: 500,
    ...set,
  });

  it('seeks back to the first offset of every Nth batch of a partition and says so', () => {
    const calls: unknown[] = [];
    const consumer = { seek: (...args: unknown[]) => calls.push(['seek', ...args]) } as unknown as Consumer;
    const { events, emit } = recorder();
    const hook = seekAndPause(consumer, emit, probes({ seekBackEvery: 2 }))!;
    hook(batch(0));
    hook(batch(10));
    hook(batch(20));
    expect(calls).toEqual([['seek', tp, 10]]);
    expect(events).toEqual([['seek', { ...tp, offset: 10 }]]);
  });

  it('pauses every Nth batch for pauseMs, then resumes if the partition is still assigned', async () => {
    const calls: string[] = [];
    const consumer = {
      pause: () => calls.push('pause'),
      resume: () => calls.push('resume'),
      assignment: () => [tp],
    } as unknown as Consumer;
    const { events, emit } = recorder();
    const hook = seekAndPause(consumer, emit, probes({ pauseEvery: 1, pauseMs: 10 }))!;
    hook(batch(0));
    expect(calls).toEqual(['pause']);
    await new Promise((done) => setTimeout(done, 50));
    expect(calls).toEqual(['pause', 'resume']);
    expect(events.map(([name]) => name)).toEqual(['partition_paused', 'partition_resumed']);
  });

  it('is off when neither is asked for', () => {
    expect(seekAndPause({} as Consumer, () => {}, probes({}))).toBeUndefined();
  });
});
