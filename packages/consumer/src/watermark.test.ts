import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodedRunsBytes, OffsetWatermark } from './watermark.js';

/** Ascending offsets with gaps (compaction, control records) and an order to finish them in. */
const scenario = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 300 }).chain((steps) => {
  const offsets: number[] = [];
  let at = 10;
  for (const step of steps) {
    at += step;
    offsets.push(at);
  }
  return fc.record({
    offsets: fc.constant(offsets),
    order: fc.shuffledSubarray(offsets, { minLength: offsets.length, maxLength: offsets.length }),
    tail: fc.integer({ min: 1, max: 3 }),
  });
});

/** @returns the sequential answer: the first offset not done, or the end. */
function expected(offsets: readonly number[], done: ReadonlySet<number>, end: number): number {
  return offsets.find((o) => !done.has(o)) ?? end;
}

/** @returns the done offsets above the watermark, decoded from the run list. */
function decodeRuns(offsets: readonly number[], watermark: number, runs: readonly number[]): number[] {
  const above = offsets.filter((o) => o >= watermark);
  const out: number[] = [];
  let i = 0;
  runs.forEach((run, n) => {
    if (n % 2 === 1) out.push(...above.slice(i, i + run));
    i += run;
  });
  return out;
}

describe('OffsetWatermark', () => {
  it('never passes an unfinished offset and equals the sequential answer, over random completion orders', () => {
    fc.assert(
      fc.property(scenario, ({ offsets, order, tail }) => {
        const w = new OffsetWatermark({ offset: offsets[0]!, leaderEpoch: 3 });
        for (const o of offsets) w.track(o, 5);
        const end = offsets[offsets.length - 1]! + tail;
        w.extendTo({ offset: end, leaderEpoch: 5 });
        const done = new Set<number>();
        for (const o of order) {
          const before = w.position.offset;
          const moved = w.complete(o);
          done.add(o);
          const now = w.position.offset;
          expect(now).toBe(expected(offsets, done, end));
          expect(moved).toBe(now !== before);
          for (const pending of offsets) if (!done.has(pending)) expect(now).toBeLessThanOrEqual(pending);
          expect(w.pending).toBe(offsets.length - done.size);
          const beyond = decodeRuns(offsets, now, w.doneBeyond());
          expect(beyond).toEqual(offsets.filter((x) => x > now && done.has(x)));
        }
        expect(w.position).toEqual({ offset: end, leaderEpoch: 5 });
      }),
      { seed: 24, numRuns: 300 },
    );
  });

  it('carries the leader epoch of the last offset it passed', () => {
    const w = new OffsetWatermark({ offset: 0, leaderEpoch: 1 });
    w.track(0, 1);
    w.track(1, 2);
    w.track(2, 2);
    expect(w.position).toEqual({ offset: 0, leaderEpoch: 1 });
    w.complete(0);
    w.complete(1);
    expect(w.position).toEqual({ offset: 2, leaderEpoch: 2 });
  });

  it('refuses offsets out of order and offsets not in flight with RangeError', () => {
    const w = new OffsetWatermark({ offset: 5, leaderEpoch: -1 });
    expect(() => w.track(4, 0)).toThrow(RangeError);
    w.track(6, 0);
    expect(() => w.track(6, 0)).toThrow(RangeError);
    expect(() => w.complete(7)).toThrow(RangeError);
    w.complete(6);
    expect(() => w.complete(6)).toThrow(RangeError);
    expect(() => w.extendTo({ offset: 3, leaderEpoch: 0 })).toThrow(RangeError);
  });

  it('keeps a long run of done offsets small in memory and in its encoding', () => {
    const w = new OffsetWatermark({ offset: 0, leaderEpoch: 0 });
    for (let o = 0; o < 50_000; o++) w.track(o, 0);
    w.extendTo({ offset: 50_000, leaderEpoch: 0 });
    // One record stuck at 0; every other done: two runs, three varint bytes.
    for (let o = 1; o < 50_000; o++) w.complete(o);
    expect(w.position.offset).toBe(0);
    expect(w.doneBeyond()).toEqual([1, 49_999]);
    expect(encodedRunsBytes(w.doneBeyond())).toBe(4);
    w.complete(0);
    expect(w.position.offset).toBe(50_000);
  });
});
