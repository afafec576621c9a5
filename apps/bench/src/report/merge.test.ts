import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../e2e/results.js';
import { FETCH_SETTINGS } from '../e2e/spec.js';
import { markdownSummary } from './markdown.js';
import { mergeResults, ResultsMergeError } from './merge.js';
import { benchResults } from './test-support/results.js';

/** A run of the scenarios `ids` with Runnel and KafkaJS, started at `startedAt` (an hour long). */
function part(ids: readonly string[], startedAt: string, over: Partial<BenchResults> = {}): BenchResults {
  const finishedAt = new Date(Date.parse(startedAt) + 3_600_000).toISOString();
  const load = Number(startedAt.slice(11, 13));
  return benchResults({
    startedAt,
    finishedAt,
    quick: false,
    repetitions: 5,
    machine: {
      loadAverageAtStart: [load, 0, 0],
      loadAverageAtEnd: [load + 1, 0, 0],
      harnessNode: 'v24.22.3',
    },
    producer: 'producer text',
    measurement: 'measurement text',
    clients: [
      { id: 'runnel', label: 'Runnel', checksCrc: true, notes: '', available: true },
      { id: 'kafkajs', label: 'KafkaJS 2.2.4', checksCrc: false, notes: '', available: true },
    ],
    scenarios: ids.map((id) => ({
      id,
      recordSize: 100,
      compression: 'none' as const,
      partitions: 1,
      records: 1000,
      throughput: true,
      fixedSize: false,
    })),
    cells: ids.flatMap((scenario) => [
      { scenario, client: 'runnel', runs: 5, failures: 0, recordsPerSec: 2e6, runnelThroughputRatio: 1 },
      { scenario, client: 'kafkajs', runs: 5, failures: 0, recordsPerSec: 1e6, runnelThroughputRatio: 2 },
    ]),
    firstRecord: ids.map((scenario) => ({
      scenario,
      client: 'runnel',
      runs: 5,
      failures: 0,
      firstRecordMs: 30,
    })),
    ...over,
  });
}

describe('mergeResults', () => {
  it('joins the scenarios of several runs in matrix order, each with its own cells, and says so', () => {
    const later = part(['10KiB-zstd-p16', '1KiB-lz4-p1'], '2026-12-07T20:00:00.000Z');
    const earlier = part(['100B-none-p1', '100B-lz4-p16'], '2026-12-06T09:00:00.000Z');
    const merged = mergeResults([later, earlier]);
    expect(merged.scenarios.map((s) => s.id)).toEqual([
      '100B-none-p1',
      '100B-lz4-p16',
      '1KiB-lz4-p1',
      '10KiB-zstd-p16',
    ]);
    expect(merged.cells.map((c) => `${c.scenario}/${c.client}`)).toEqual([
      '100B-none-p1/runnel',
      '100B-none-p1/kafkajs',
      '100B-lz4-p16/runnel',
      '100B-lz4-p16/kafkajs',
      '1KiB-lz4-p1/runnel',
      '1KiB-lz4-p1/kafkajs',
      '10KiB-zstd-p16/runnel',
      '10KiB-zstd-p16/kafkajs',
    ]);
    expect(merged.firstRecord).toHaveLength(4);
    expect(merged.clients.map((c) => c.id)).toEqual(['runnel', 'kafkajs']);
    expect([merged.startedAt, merged.finishedAt]).toEqual([
      '2026-12-06T09:00:00.000Z',
      '2026-12-07T21:00:00.000Z',
    ]);
    expect([merged.machine.loadAverageAtStart[0], merged.machine.loadAverageAtEnd[0]]).toEqual([9, 21]);
    expect(merged.mergedFrom).toEqual([
      {
        startedAt: earlier.startedAt,
        finishedAt: earlier.finishedAt,
        scenarios: ['100B-none-p1', '100B-lz4-p16'],
        repetitions: 5,
      },
      {
        startedAt: later.startedAt,
        finishedAt: later.finishedAt,
        scenarios: ['10KiB-zstd-p16', '1KiB-lz4-p1'],
        repetitions: 5,
      },
    ]);
    const summary = markdownSummary(merged);
    expect(summary).toContain(
      'Joined from 2 runs: 2026-12-06 09:00 (100B-none-p1, 100B-lz4-p16); 2026-12-07 20:00 (10KiB-zstd-p16, 1KiB-lz4-p1).',
    );
  });

  it('keeps a client available when any run had it', () => {
    const a = part(['100B-none-p1'], '2026-12-06T09:00:00.000Z', {
      clients: [
        {
          id: 'java',
          label: 'Java KafkaConsumer',
          checksCrc: true,
          notes: '',
          available: false,
          reason: 'no JDK',
        },
      ],
    });
    const b = part(['100B-lz4-p1'], '2026-12-06T11:00:00.000Z', {
      clients: [{ id: 'java', label: 'Java KafkaConsumer', checksCrc: true, notes: '', available: true }],
    });
    expect(mergeResults([a, b]).clients).toEqual([b.clients[0]]);
  });

  it('with replace, takes a scenario run twice from the later run and says what the earlier lost', () => {
    const older = part(['1KiB-lz4-p16', '1KiB-lz4-p1'], '2026-12-05T09:00:00.000Z');
    const cell = { scenario: '1KiB-lz4-p16', client: 'runnel', runs: 5, failures: 0, recordsPerSec: 3e6 };
    const first = { scenario: '1KiB-lz4-p16', client: 'runnel', runs: 5, failures: 0, firstRecordMs: 20 };
    const rerun = part(['1KiB-lz4-p16'], '2026-12-06T09:00:00.000Z', { cells: [cell], firstRecord: [first] });
    // Given in either order, the later run wins.
    for (const merged of [
      mergeResults([older, rerun], { replace: true }),
      mergeResults([rerun, older], { replace: true }),
    ]) {
      // Matrix order.
      expect(merged.scenarios.map((s) => s.id)).toEqual(['1KiB-lz4-p1', '1KiB-lz4-p16']);
      expect(merged.cells.filter((c) => c.scenario === '1KiB-lz4-p16')).toEqual([cell]);
      expect(merged.cells.filter((c) => c.scenario === '1KiB-lz4-p1')).toHaveLength(2);
      // One first-record cell per scenario: the older run's 1KiB-lz4-p16 is gone.
      expect(merged.firstRecord.map((c) => [c.scenario, c.firstRecordMs])).toEqual([
        ['1KiB-lz4-p1', 30],
        ['1KiB-lz4-p16', 20],
      ]);
      expect(merged.mergedFrom).toEqual([
        {
          startedAt: older.startedAt,
          finishedAt: older.finishedAt,
          scenarios: ['1KiB-lz4-p1'],
          replaced: ['1KiB-lz4-p16'],
          repetitions: 5,
        },
        {
          startedAt: rerun.startedAt,
          finishedAt: rerun.finishedAt,
          scenarios: ['1KiB-lz4-p16'],
          repetitions: 5,
        },
      ]);
      expect(markdownSummary(merged, 'x.svg')).toContain(
        '2026-12-05 09:00 (1KiB-lz4-p1; its 1KiB-lz4-p16 replaced by a later run)',
      );
    }
    expect(() => mergeResults([older, rerun])).toThrow(/scenario 1KiB-lz4-p16 is in file 1 and file 2/);
    // A run all of whose scenarios a later one replaced is named with what it lost only.
    const third = part(['1KiB-lz4-p16'], '2026-12-07T09:00:00.000Z');
    expect(markdownSummary(mergeResults([older, rerun, third], { replace: true }), 'x.svg')).toContain(
      '2026-12-06 09:00 (its 1KiB-lz4-p16 replaced by a later run)',
    );
  });

  it("keeps each run's read limit with its scenarios that read a prefix", () => {
    const sizing = { client: 'runnel', steps: [], records: 1000, capped: false, prefixes: { kafkajs: 400 } };
    const older = part(['1KiB-lz4-p1'], '2026-12-05T09:00:00.000Z');
    const limited = part(['1KiB-lz4-p16', '100B-none-p1'], '2026-12-06T09:00:00.000Z', { maxReadMs: 60_000 });
    const withPrefixes: BenchResults = {
      ...limited,
      scenarios: limited.scenarios.map((s) => (s.id === '1KiB-lz4-p16' ? { ...s, sizing } : s)),
    };
    const merged = mergeResults([older, withPrefixes]);
    expect(merged.maxReadMs).toBeUndefined();
    const sizingOf = (id: string) => merged.scenarios.find((s) => s.id === id)?.sizing;
    expect(sizingOf('1KiB-lz4-p16')?.readLimitMs).toBe(60_000);
    // No prefixes, nothing to say; a limit written already stays.
    expect(sizingOf('100B-none-p1')).toBeUndefined();
    const own = {
      ...withPrefixes,
      scenarios: [{ ...withPrefixes.scenarios[0]!, sizing: { ...sizing, readLimitMs: 5_000 } }],
    };
    expect(
      mergeResults([older, own]).scenarios.find((s) => s.id === '1KiB-lz4-p16')?.sizing?.readLimitMs,
    ).toBe(5_000);
  });

  it('joins runs of different runs per cell, and the report names each count', () => {
    const five = part(['100B-none-p1'], '2026-12-06T09:00:00.000Z');
    const three = part(['100B-lz4-p1'], '2026-12-06T11:00:00.000Z', { repetitions: 3 });
    const merged = mergeResults([five, three]);
    expect(merged.repetitions).toBe(3);
    expect(merged.mergedFrom?.map((p) => p.repetitions)).toEqual([5, 3]);
    expect(markdownSummary(merged, 'x.svg')).toContain('Median of 3 or 5 interleaved runs per cell.');
    expect(markdownSummary(five, 'x.svg')).toContain('Median of 5 interleaved runs per cell.');
  });

  it('refuses runs whose figures are not comparable, a scenario run twice, and a client of two versions', () => {
    const base = part(['100B-none-p1'], '2026-12-06T09:00:00.000Z');
    const other = (over: Partial<BenchResults>) => part(['100B-lz4-p1'], '2026-12-06T11:00:00.000Z', over);
    const cases: Array<[BenchResults, RegExp]> = [
      [
        other({ node: { version: '22.15.0', lts: 'Jod', choice: '--node 22' } }),
        /Node of the clients: "24.22.3" \/ "22.15.0"/,
      ],
      [other({ kafka: { version: '3.9.1', brokers: 1 } }), /Kafka version/],
      [other({ fetch: { ...FETCH_SETTINGS, fetchMaxWaitMs: 100 } }), /fetch settings/],
      [other({ quick: true }), /quick mode/],
      [part(['100B-none-p1'], '2026-12-07T09:00:00.000Z'), /scenario 100B-none-p1 is in file 1 and file 2/],
      [
        other({
          clients: [{ id: 'kafkajs', label: 'KafkaJS 2.3.0', checksCrc: false, notes: '', available: true }],
        }),
        /client kafkajs is KafkaJS 2.2.4 in one file and KafkaJS 2.3.0 in another/,
      ],
    ];
    for (const [second, message] of cases) {
      expect(() => mergeResults([base, second])).toThrow(ResultsMergeError);
      expect(() => mergeResults([base, second])).toThrow(message);
    }
    expect(() => mergeResults([])).toThrow(/no results files/);
    const older = { ...other({}), schema: 1 } as unknown as BenchResults;
    expect(() => mergeResults([base, older])).toThrow(/file 2 is not a results file of schema 2/);
  });
});
