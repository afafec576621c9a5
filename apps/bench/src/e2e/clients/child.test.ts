import { describe, expect, it } from 'vitest';
import { readSpec, sizeOf, Tally } from './child.js';

describe('Tally', () => {
  it('counts records and bytes and says when the target is reached', () => {
    const before = Date.now();
    const tally = new Tally(5);
    const after = Date.now();
    expect(tally.add(0, 0)).toBe(false);
    expect(tally.add(3, 300)).toBe(false);
    expect(tally.add(3, 300)).toBe(true);
    const report = tally.report('x');
    expect(report).toMatchObject({ client: 'x', records: 6, bytes: 600 });
    expect(report.firstRecordMs).toBeGreaterThanOrEqual(0);
    expect(report.totalMs).toBeGreaterThanOrEqual(report.consumeMs);
    // The wall clock of its creation, to line a packet capture up with the run (Date.now() is whole
    // milliseconds, and the wall clock may have moved a little since the process started).
    expect(report.startedAtMs).toBeGreaterThanOrEqual(before - 5);
    expect(report.startedAtMs).toBeLessThanOrEqual(after + 5);
  });

  it('reports no first record and no consume time before any record came', () => {
    const report = new Tally(1).report('x');
    expect(report.firstRecordMs).toBeNull();
    expect(report.consumeMs).toBe(0);
  });
});

describe('sizeOf', () => {
  it('measures bytes, strings in UTF-8, and nothing for a null field', () => {
    expect(sizeOf(new Uint8Array(7))).toBe(7);
    expect(sizeOf(Buffer.from('abc'))).toBe(3);
    expect(sizeOf('é')).toBe(2);
    expect(sizeOf(null)).toBe(0);
    expect(sizeOf(undefined)).toBe(0);
  });
});

describe('readSpec', () => {
  it('reads the JSON run spec from the first argument', () => {
    const spec = {
      brokers: 'h:1',
      topic: 't',
      partitions: 2,
      groupId: 'g',
      records: 3,
      fetch: {},
      timeoutMs: 1,
    };
    expect(readSpec(['node', 'x.js', JSON.stringify(spec)])).toEqual(spec);
  });

  it('rejects a missing or malformed spec', () => {
    expect(() => readSpec(['node', 'x.js'])).toThrow(/usage/);
    expect(() =>
      readSpec(['node', 'x.js', '{"brokers":"h:1","topic":"t","partitions":1,"records":0}']),
    ).toThrow(/not a run spec/);
    expect(() => readSpec(['node', 'x.js', '{"brokers":"h:1","topic":"t","records":5}'])).toThrow(
      /not a run spec/,
    );
  });
});
