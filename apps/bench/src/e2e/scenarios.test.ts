import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressiblePayload, scenarioMatrix, sizeLabel } from './scenarios.js';

describe('scenarioMatrix', () => {
  it('covers every size, compression and partition count in a full run', () => {
    const all = scenarioMatrix(false);
    expect(all).toHaveLength(18);
    expect(new Set(all.map((s) => s.id)).size).toBe(18);
    expect(all.map((s) => s.id)).toContain('10KiB-zstd-p16');
  });

  it('keeps each size, each compression and both partition counts in quick mode', () => {
    const quick = scenarioMatrix(true);
    expect(quick.map((s) => s.id)).toEqual(['100B-none-p1', '1KiB-lz4-p16', '10KiB-zstd-p1']);
    expect(new Set(quick.map((s) => s.partitions))).toEqual(new Set([1, 16]));
  });

  it('sizes topics by bytes, so small records come in larger numbers, and caps them at a million', () => {
    const [small, large] = scenarioMatrix(true, ['100B-none-p1', '10KiB-none-p1']);
    expect(small!.records).toBe(Math.floor((32 * 1024 * 1024) / 100));
    expect(large!.records).toBe(Math.floor((32 * 1024 * 1024) / 10_240));
    expect(scenarioMatrix(false, ['100B-none-p1'])[0]!.records).toBe(1_000_000);
  });

  it('picks named scenarios, applies a record count override, and rejects an unknown id', () => {
    expect(scenarioMatrix(false, ['1KiB-zstd-p1'], 500)).toEqual([
      { id: '1KiB-zstd-p1', recordSize: 1024, compression: 'zstd', partitions: 1, records: 500 },
    ]);
    expect(() => scenarioMatrix(false, ['2KiB-none-p1'])).toThrow(RangeError);
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
