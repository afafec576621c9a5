import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../e2e/results.js';
import { benchResults } from './test-support/results.js';
import { resultsChart } from './write.js';

const RESULTS: BenchResults = benchResults({
  clients: [
    { id: 'runnel', label: 'Runnel', checksCrc: true, notes: '', available: true },
    { id: 'gone', label: 'Gone', checksCrc: false, notes: '', available: false, reason: 'x' },
  ],
  scenarios: [
    {
      id: '100B-none-p1',
      recordSize: 100,
      compression: 'none',
      partitions: 1,
      records: 10,
      throughput: true,
      fixedSize: false,
    },
    {
      id: '1KiB-lz4-p16',
      recordSize: 1024,
      compression: 'lz4',
      partitions: 16,
      records: 10,
      throughput: true,
      fixedSize: false,
    },
  ],
  runs: [],
  cells: [
    { scenario: '100B-none-p1', client: 'runnel', runs: 3, failures: 0, recordsPerSec: 1000, mbPerSec: 12.5 },
  ],
  firstRecord: [],
  micro: [],
});

describe('resultsChart', () => {
  it('draws a bar per client cell, labels groups by scenario and leaves out clients that never ran', () => {
    const svg = resultsChart(RESULTS);
    expect(svg).toContain('>100B none p1</text>');
    // Measured for the time to first record only: no throughput, no group.
    expect(svg).not.toContain('>1KiB lz4 p16</text>');
    expect(svg.match(/<title>/g)).toHaveLength(1);
    expect(svg).toContain('Runnel, 100B none p1: 12.5 MB/s');
    expect(svg).not.toContain('Gone');
  });
});
