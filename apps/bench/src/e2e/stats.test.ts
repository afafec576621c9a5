import { describe, expect, it } from 'vitest';
import { median, ratio, rotation } from './stats.js';

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
