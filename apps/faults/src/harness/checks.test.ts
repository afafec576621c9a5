import { describe, expect, it } from 'vitest';
import { deliveredWhileExpired, rssSlopeMbPer30Min } from './checks.js';
import { knownFailure } from './known-failing.js';
import { formatResultsTable } from './results.js';
import type { Scenario, ScenarioRun } from './scenario.js';
import { selected } from './suite.js';

const MB = 1048576;

describe('rssSlopeMbPer30Min', () => {
  it('fits a line through the samples and scales it to 30 minutes', () => {
    // 1 MB per minute, with noise uncorrelated with time (it does not move the fit).
    const samples = [0, 1, 2, 3, 4].map((minute) => ({
      timestamp: minute * 60_000,
      rss: (100 + minute + (minute % 2 === 0 ? 0.5 : -0.5)) * MB,
    }));
    expect(rssSlopeMbPer30Min(samples)).toBeCloseTo(30, 6);
  });

  it('is 0 with fewer than two samples or a flat line', () => {
    expect(rssSlopeMbPer30Min([{ timestamp: 0, rss: MB }])).toBe(0);
    expect(rssSlopeMbPer30Min([0, 1, 2].map((m) => ({ timestamp: m * 60_000, rss: 50 * MB })))).toBe(0);
  });
});

describe('deliveredWhileExpired', () => {
  const tp = { topic: 't', partition: 5 };
  const consumed = (timestamp: number, count: number) => ({
    name: 'records_consumed',
    timestamp,
    count,
    partitions: [{ ...tp, count, minOffset: 0, maxOffset: count - 1 }],
  });
  const lost = (timestamp: number) => ({ name: 'partitions_lost', timestamp, partitions: [tp] });
  const runOf = (lives: Record<string, unknown[]>) =>
    ({
      lives: () => Object.entries(lives).map(([name, events]) => ({ name, events })),
    }) as unknown as ScenarioRun;

  it('counts what a member handed out between the thaw and learning of its loss', () => {
    const run = runOf({
      // Before the thaw, then 3 records after it, then the loss.
      'm1#0': [consumed(900, 10), consumed(1_150, 2), consumed(1_163, 1), lost(1_332)],
      // Nothing between the thaw and its loss.
      'm2#0': [consumed(950, 4), lost(1_200), consumed(2_000, 5)],
      // No loss: it was confirmed, and what it handed out was its own.
      'm3#0': [consumed(1_100, 7)],
      // A loss long after the thaw has another cause.
      'm4#0': [consumed(1_500, 7), lost(60_000)],
    });
    expect(deliveredWhileExpired(run, 1_000)).toEqual([
      'm1#0 handed out 3 records in the 332 ms before it learned it was expired',
    ]);
  });
});

describe('the suite selection', () => {
  const scenario = { name: 'x', ci: ['consumer'], fault: async () => {} } as Scenario;

  it('runs every protocol by default and only the listed ones under FAULTS_SET=ci', () => {
    const before = process.env.FAULTS_SET;
    try {
      delete process.env.FAULTS_SET;
      expect(selected(scenario, 'classic-eager')).toBe(true);
      process.env.FAULTS_SET = 'ci';
      expect(selected(scenario, 'classic-eager')).toBe(false);
      expect(selected(scenario, 'consumer')).toBe(true);
    } finally {
      if (before === undefined) delete process.env.FAULTS_SET;
      else process.env.FAULTS_SET = before;
    }
  });

  it('knows no failure for a scenario that is not listed', () => {
    expect(knownFailure('no-such-scenario', 'consumer')).toBeUndefined();
  });
});

describe('formatResultsTable', () => {
  it('lists each run with its duration and verdict, then the total', () => {
    const table = formatResultsTable([
      { scenario: 'kill-leader', protocol: 'consumer', durationMs: 61_000, passed: true, line: '' },
      {
        scenario: 'proxy-latency',
        protocol: 'classic-eager',
        durationMs: 59_000,
        passed: false,
        knownFailing: 'x',
        line: '',
      },
    ]);
    expect(table.split('\n')).toEqual([
      '| scenario      | protocol      | duration | verdict      |',
      '| ------------- | ------------- | -------- | ------------ |',
      '| kill-leader   | consumer      | 61 s     | PASS         |',
      '| proxy-latency | classic-eager | 59 s     | FAIL (known) |',
      'total: 2.0 min over 2 runs',
    ]);
  });
});
