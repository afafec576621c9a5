import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../e2e/results.js';
import { formatNumber, formatRatio, markdownSummary, steadyStateLine } from './markdown.js';
import { benchResults } from './test-support/results.js';

describe('formatNumber', () => {
  it('keeps three significant digits with thousands separators', () => {
    expect(formatNumber(1_234_567)).toBe('1,230,000');
    expect(formatNumber(12.345)).toBe('12.3');
    expect(formatNumber(undefined)).toBe('–');
    expect(formatNumber(Number.NaN)).toBe('–');
  });
});

describe('formatRatio', () => {
  it('writes two decimals and an x', () => {
    expect(formatRatio(1.456)).toBe('1.46x');
    expect(formatRatio(undefined)).toBe('–');
  });
});

const RESULTS: BenchResults = benchResults({
  machine: { loadAverageAtStart: [4, 3, 2], loadAverageAtEnd: [5, 4, 3] },
  producer: 'producer text',
  measurement: 'measurement text',
  clients: [
    { id: 'runnel', label: 'Runnel', checksCrc: true, notes: 'n1', available: true },
    { id: 'kafkajs', label: 'KafkaJS 2.2.4', checksCrc: false, notes: 'n2', available: true },
    { id: 'x', label: 'X', checksCrc: false, notes: '', available: false, reason: 'does not build\nlog' },
  ],
  scenarios: [
    {
      id: '100B-none-p1',
      recordSize: 100,
      compression: 'none',
      partitions: 1,
      records: 1000,
      throughput: true,
      fixedSize: false,
    },
  ],
  runs: [
    {
      scenario: '100B-none-p1',
      client: 'runnel',
      phase: 'throughput',
      rep: 0,
      ok: true,
      report: {
        client: 'runnel',
        records: 1000,
        bytes: 100_000,
        firstRecordMs: 40,
        consumeMs: 1960,
        totalMs: 2000,
      },
    },
  ],
  cells: [
    {
      scenario: '100B-none-p1',
      client: 'runnel',
      runs: 3,
      failures: 0,
      recordsPerSec: 500_000,
      runnelThroughputRatio: 1,
    },
    {
      scenario: '100B-none-p1',
      client: 'kafkajs',
      runs: 2,
      failures: 1,
      recordsPerSec: 100_000,
      runnelThroughputRatio: 5,
      runnelCpuRatio: 0.25,
    },
  ],
  firstRecord: [
    {
      scenario: '100B-none-p1',
      client: 'runnel',
      runs: 3,
      failures: 0,
      firstRecordMs: 41.26,
      minMs: 40,
      maxMs: 50,
    },
    { scenario: '100B-none-p1', client: 'kafkajs', runs: 2, failures: 1, firstRecordMs: 117 },
  ],
  micro: [{ name: 'codec', ok: true, files: ['codec-x.json'], output: '' }],
});

describe('markdownSummary', () => {
  const text = markdownSummary(RESULTS, 'chart.svg');

  it('has a table per scenario with medians and the Runnel/peer ratios', () => {
    expect(text).toContain('## 100B-none-p1: 1,000 records of 100 B, none, 1 partition');
    expect(text).toContain('| KafkaJS 2.2.4 | no | 100,000 | – | – | – | – | 5.00x | 0.25x | 2 (1 failed) |');
    expect(text).toContain('| Runnel | yes | 500,000 |');
  });

  it('has a time-to-first-record table with a column per client that took part', () => {
    expect(text).toContain('## Time to first record, ms');
    expect(text).toContain(
      '| scenario | Runnel | KafkaJS 2.2.4 |\n|---|---:|---:|\n| 100B-none-p1 | 41.3 | 117 (1 failed) |',
    );
  });

  it('says which Node the clients ran on and flags a read shorter than the steady-state time', () => {
    expect(text).toContain(
      'ran on Node 24.22.3 (LTS Krypton; default (latest LTS line)); the harness on v20.20.2.',
    );
    expect(text).toContain(
      'The fastest client, Runnel, took 2 s (median): **below the 10 s steady-state time**, start-up weighs in.',
    );
  });

  it('names the settings, the chart, the clients that did not run and why', () => {
    expect(text).toContain('(--quick)');
    expect(text).toContain('fetch.max.bytes 52428800');
    expect(text).toContain('![MB/s per client and scenario](chart.svg)');
    expect(text).toContain('- X: does not build\n');
    expect(text).toContain('- codec: ok (codec-x.json)');
  });
});

describe('steadyStateLine', () => {
  /** RESULTS with its one scenario sized by Runnel, KafkaJS reading a prefix, and `over` on the sizing. */
  const withPrefix = (results: Omit<BenchResults, 'scenarios'>, over: object = {}): BenchResults => ({
    ...results,
    scenarios: [
      {
        ...RESULTS.scenarios[0]!,
        sizing: {
          client: 'runnel',
          steps: [{ records: 1000, readMs: 2000 }],
          records: 1000,
          capped: false,
          prefixes: { kafkajs: 400 },
          ...over,
        },
      },
    ],
  });

  it('names the clients that read a prefix of the topic, and how much', () => {
    const results = withPrefix({ ...RESULTS, maxReadMs: 60_000 });
    expect(steadyStateLine(results, '100B-none-p1')).toContain(
      'Slower than the 60 s read limit over the whole topic, so each timed run read a prefix: ' +
        'KafkaJS 2.2.4 the first 400 records (of 1,000).',
    );
    expect(steadyStateLine(RESULTS, '100B-none-p1')).not.toContain('prefix');
  });

  it("names the scenario's own read limit in a joined file whose first run had none", () => {
    const { maxReadMs: _none, ...withoutLimit } = RESULTS;
    const results = withPrefix(withoutLimit, { readLimitMs: 30_000, settleReads: 4 });
    expect(steadyStateLine(results, '100B-none-p1')).toContain('Slower than the 30 s read limit');
    expect(steadyStateLine(results, '100B-none-p1')).toMatch(
      /\(of 1,000\)\. After each prefix read and each run of 30 s or more, .+ read the whole topic untimed \(4 settle reads: /,
    );
  });
});
