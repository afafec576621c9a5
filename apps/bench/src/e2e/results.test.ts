import { describe, expect, it } from 'vitest';
import { cellOf, computeCells, firstRecordCells, type RunRecord } from './results.js';

function run(client: string, rep: number, totalMs: number, cpuMs: number, ok = true): RunRecord {
  return {
    scenario: 's',
    client,
    phase: 'throughput',
    rep,
    ok,
    report: {
      client,
      records: 1000,
      bytes: 1024 * 1024,
      firstRecordMs: 10,
      consumeMs: totalMs - 10,
      totalMs,
    },
    usage: { cpuMs, peakRssKiB: 51_200, wallMs: totalMs + 100, source: 'rusage' },
  };
}

describe('cellOf', () => {
  it('takes the median of the successful runs only', () => {
    const runs = [
      run('a', 0, 1000, 100),
      run('a', 1, 500, 50),
      run('a', 2, 2000, 200),
      run('a', 3, 1, 1, false),
    ];
    const cell = cellOf('s', 'a', runs);
    expect(cell.runs).toBe(3);
    expect(cell.failures).toBe(1);
    expect(cell.recordsPerSec).toBe(1000);
    expect(cell.mbPerSec).toBe(1);
    expect(cell.steadyRecordsPerSec).toBeCloseTo(1000 / 0.99, 6);
    expect(cell.cpuUsPerRecord).toBe(100);
    expect(cell.peakRssMiB).toBe(50);
    expect(cell.firstRecordMs).toBe(10);
  });

  it('leaves first-record runs out of the throughput figures', () => {
    const cell = cellOf('s', 'a', [run('a', 0, 1000, 100), { ...run('a', 1, 10, 1), phase: 'first-record' }]);
    expect(cell.runs).toBe(1);
    expect(cell.recordsPerSec).toBe(1000);
  });

  it('has no figures when every run failed', () => {
    const cell = cellOf('s', 'a', [run('a', 0, 1, 1, false)]);
    expect(cell.runs).toBe(0);
    expect(cell.recordsPerSec).toBeUndefined();
  });
});

describe('computeCells', () => {
  it("puts Runnel's ratios against each peer next to the peer's medians", () => {
    const runs = [run('runnel', 0, 500, 50), run('peer', 0, 1000, 200)];
    const [runnel, peer] = computeCells(['s'], ['runnel', 'peer'], runs);
    expect(runnel!.runnelThroughputRatio).toBe(1);
    expect(peer!.client).toBe('peer');
    expect(peer!.runnelThroughputRatio).toBe(2);
    expect(peer!.runnelCpuRatio).toBe(0.25);
    expect(peer!.runnelRssRatio).toBe(1);
  });

  it('leaves ratios out when Runnel did not run, and skips clients without runs', () => {
    const cells = computeCells(['s'], ['runnel', 'peer', 'absent'], [run('peer', 0, 1000, 200)]);
    expect(cells.map((c) => c.client)).toEqual(['peer']);
    expect(cells[0]!.runnelThroughputRatio).toBeUndefined();
  });
});

describe('firstRecordCells', () => {
  const first = (client: string, rep: number, firstRecordMs: number | null, ok = true): RunRecord => ({
    ...run(client, rep, 50, 5, ok),
    phase: 'first-record',
    report: { client, records: 1, bytes: 100, firstRecordMs, consumeMs: 0, totalMs: firstRecordMs ?? 0 },
  });

  it('takes the median, fastest and slowest of the first-record runs only, per scenario and client', () => {
    const runs = [
      first('a', 0, 30),
      first('a', 1, 10),
      first('a', 2, 20),
      run('a', 0, 1000, 100),
      first('b', 0, 7),
    ];
    expect(firstRecordCells(['s'], ['a', 'b', 'c'], runs)).toEqual([
      { scenario: 's', client: 'a', runs: 3, failures: 0, firstRecordMs: 20, minMs: 10, maxMs: 30 },
      { scenario: 's', client: 'b', runs: 1, failures: 0, firstRecordMs: 7, minMs: 7, maxMs: 7 },
    ]);
  });

  it('counts failed runs and runs without a first-record time as failures', () => {
    const [cell] = firstRecordCells(
      ['s'],
      ['a'],
      [first('a', 0, 12), first('a', 1, 5, false), first('a', 2, null)],
    );
    expect(cell).toEqual({
      scenario: 's',
      client: 'a',
      runs: 1,
      failures: 2,
      firstRecordMs: 12,
      minMs: 12,
      maxMs: 12,
    });
  });
});
