import { describe, expect, it } from 'vitest';
import { median, ratio, rotation, roundOrder } from './stats.js';

describe('median', () => {
  it('is the middle value of an odd count and the mean of the middle two of an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('is undefined for no values and leaves its input unsorted', () => {
    expect(median([])).toBeUndefined();
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('ratio', () => {
  it('divides, and is undefined when a side is missing or the divisor is zero', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(undefined, 2)).toBeUndefined();
    expect(ratio(3, undefined)).toBeUndefined();
    expect(ratio(3, 0)).toBeUndefined();
  });
});

describe('rotation', () => {
  it('puts every client first once over as many rounds as there are clients', () => {
    const clients = ['a', 'b', 'c'];
    expect([0, 1, 2].map((rep) => rotation(clients, rep))).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c', 'a'],
      ['c', 'a', 'b'],
    ]);
    expect(rotation(clients, 3)).toEqual(clients);
    expect(rotation([], 2)).toEqual([]);
  });
});

describe('roundOrder', () => {
  it('rotates the others and puts the slow ones last, so a different client follows them each round', () => {
    const clients = ['a', 'b', 'slow1', 'c', 'slow2'].map((id) => ({ id }));
    const slow = new Set(['slow1', 'slow2']);
    const rounds = [0, 1, 2].map((rep) => roundOrder(clients, rep, slow).map((c) => c.id));
    expect(rounds).toEqual([
      ['a', 'b', 'c', 'slow1', 'slow2'],
      ['b', 'c', 'a', 'slow1', 'slow2'],
      ['c', 'a', 'b', 'slow1', 'slow2'],
    ]);
    // The client right after slow2 is the next round's first: b, then c, then a.
    expect(rounds.map((r) => r[0])).toEqual(['a', 'b', 'c']);
    // With none slow it is the plain rotation.
    expect(roundOrder(clients, 1, new Set()).map((c) => c.id)).toEqual(['b', 'slow1', 'c', 'slow2', 'a']);
  });
});
