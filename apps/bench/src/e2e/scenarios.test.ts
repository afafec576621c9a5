import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  compressiblePayload,
  needsSettleRead,
  nextRecordCount,
  prefixRecordCount,
  readsLong,
  scenarioMatrix,
  sizeLabel,
} from './scenarios.js';

describe('scenarioMatrix', () => {
  it('covers every size, compression and partition count in a full run', () => {
    const all = scenarioMatrix(false);
    expect(all).toHaveLength(18);
    expect(new Set(all.map((s) => s.id)).size).toBe(18);
    expect(all.map((s) => s.id)).toContain('10KiB-zstd-p16');
  });

  it('keeps each size, each compression and both partition counts in quick mode, reading whole topics only in some', () => {
    const quick = scenarioMatrix(true);
    expect(quick.map((s) => s.id)).toEqual(['100B-none-p1', '1KiB-lz4-p16', '10KiB-zstd-p1']);
    expect(new Set(quick.map((s) => s.partitions))).toEqual(new Set([1, 16]));
    expect(quick.filter((s) => s.throughput).map((s) => s.id)).toEqual(['1KiB-lz4-p16']);
    expect(scenarioMatrix(false).every((s) => s.throughput)).toBe(true);
  });

  it('starts every topic with the same bytes of values, so small records come in larger numbers', () => {
    const [small, large] = scenarioMatrix(true, ['100B-none-p1', '10KiB-none-p1']);
    expect(small!.records).toBe(Math.floor((64 * 1024 * 1024) / 100));
    expect(large!.records).toBe(Math.floor((64 * 1024 * 1024) / 10_240));
    expect(small!.fixedSize).toBe(false);
  });

  it('picks named scenarios, applies a record count override as a fixed size, and rejects an unknown id', () => {
    expect(scenarioMatrix(true, ['1KiB-zstd-p1'], 500)).toEqual([
      {
        id: '1KiB-zstd-p1',
        recordSize: 1024,
        compression: 'zstd',
        partitions: 1,
        records: 500,
        throughput: true,
        fixedSize: true,
      },
    ]);
    expect(() => scenarioMatrix(false, ['2KiB-none-p1'])).toThrow(RangeError);
  });

  it('runs gzip and snappy only when named, outside the matrix', () => {
    const all = scenarioMatrix(false).map((s) => s.id);
    expect(all.some((id) => id.includes('gzip') || id.includes('snappy'))).toBe(false);
    const [gzip, snappy] = scenarioMatrix(false, ['1KiB-gzip-p16', '10KiB-snappy-p1']);
    expect(gzip).toMatchObject({ compression: 'gzip', recordSize: 1024, partitions: 16, throughput: true });
    expect(snappy).toMatchObject({ compression: 'snappy', recordSize: 10_240, partitions: 1 });
    expect(() => scenarioMatrix(false, ['1KiB-brotli-p1'])).toThrow(/e\.g\. 100B-gzip-p1/);
  });
});

describe('prefixRecordCount', () => {
  it('keeps the whole topic for a client that reads it within the limit', () => {
    // 1M of 8M records in 5 s: 40 s for the topic, under 60 s.
    expect(prefixRecordCount(8_000_000, { records: 1_000_000, totalMs: 5000 }, 60_000)).toBe(8_000_000);
  });

  it('gives a slow client the prefix it reads in about the limit', () => {
    // 1M records in 40 s: 25k records/s, so 1.5M in 60 s.
    expect(prefixRecordCount(8_000_000, { records: 1_000_000, totalMs: 40_000 }, 60_000)).toBe(1_500_000);
  });

  it('never reads less than the probe, and 0 switches the limit off', () => {
    expect(prefixRecordCount(8_000_000, { records: 1_000_000, totalMs: 600_000 }, 60_000)).toBe(1_000_000);
    expect(prefixRecordCount(8_000_000, { records: 1_000_000, totalMs: 600_000 }, 0)).toBe(8_000_000);
    expect(prefixRecordCount(8_000_000, { records: 0, totalMs: 0 }, 60_000)).toBe(8_000_000);
  });
});

describe('needsSettleRead', () => {
  it('after a prefix read or a run of 30 s or more, by the wall clock when measured', () => {
    expect(needsSettleRead({ usage: { wallMs: 9_000 }, report: { totalMs: 8_900 } }, true)).toBe(true);
    expect(needsSettleRead({ usage: { wallMs: 9_000 }, report: { totalMs: 8_900 } }, false)).toBe(false);
    expect(needsSettleRead({ usage: { wallMs: 30_000 }, report: { totalMs: 29_000 } }, false)).toBe(true);
    expect(needsSettleRead({ report: { totalMs: 45_000 } }, false)).toBe(true);
    // A failed run without a report says nothing about how long the topic sat unread.
    expect(needsSettleRead({}, false)).toBe(false);
  });
});

describe('readsLong', () => {
  it('projects the timed read from the probe, at 30 s or more', () => {
    // 1M records in 5 s: 8M take 40 s, 4M take 20 s.
    expect(readsLong(8_000_000, { records: 1_000_000, totalMs: 5000 })).toBe(true);
    expect(readsLong(4_000_000, { records: 1_000_000, totalMs: 5000 })).toBe(false);
    expect(readsLong(6_000_000, { records: 1_000_000, totalMs: 5000 })).toBe(true);
    expect(readsLong(8_000_000, { records: 0, totalMs: 0 })).toBe(false);
  });
});

describe('nextRecordCount', () => {
  it('is done once the read lasted the steady-state time, or the topic is at its limit', () => {
    expect(nextRecordCount(1000, 10_000, 10_000, 1e9)).toBeUndefined();
    expect(nextRecordCount(1000, 500, 10_000, 1000)).toBeUndefined();
  });

  it('aims 20% past the steady-state time at the measured rate', () => {
    // 1M records in 2.5 s: 4M records take 10 s, and 20% more is 4.8M.
    expect(nextRecordCount(1_000_000, 2500, 10_000, 1e9)).toBe(4_800_000);
  });

  it('grows at most 64-fold at a time and never past the limit', () => {
    expect(nextRecordCount(1000, 0, 10_000, 1e9)).toBe(64_000);
    expect(nextRecordCount(1_000_000, 2500, 10_000, 3_000_000)).toBe(3_000_000);
  });
});

describe('sizeLabel', () => {
  it('writes whole KiB as KiB and other sizes in bytes', () => {
    expect([100, 1024, 10_240, 1500].map(sizeLabel)).toEqual(['100B', '1KiB', '10KiB', '1500B']);
  });
});

describe('compressiblePayload', () => {
  it('writes lines of exactly the record size with no newline inside', () => {
    const lines = compressiblePayload(100, 50).split('\n');
    expect(lines).toHaveLength(50);
    for (const line of lines) expect(Buffer.byteLength(line)).toBe(100);
  });

  it('is the same for the same seed and differs line to line', () => {
    expect(compressiblePayload(1024, 20)).toBe(compressiblePayload(1024, 20));
    const lines = compressiblePayload(1024, 20).split('\n');
    expect(new Set(lines).size).toBe(20);
  });

  it('compresses well, as event data does', () => {
    const text = compressiblePayload(10_240, 20);
    expect(deflateSync(text).length / text.length).toBeLessThan(0.5);
  });
});
