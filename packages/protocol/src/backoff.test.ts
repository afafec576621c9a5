import { describe, expect, it } from 'vitest';
import { backoffMs, ExponentialBackoff } from './backoff.js';

describe('backoffMs', () => {
  const noJitter = { initialMs: 100, maxMs: 1000, jitter: 0 };

  it('waits nothing before the first attempt', () => {
    expect(backoffMs(noJitter, 0)).toBe(0);
  });

  it('doubles from the initial wait up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(noJitter, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('stays finite after thousands of failures', () => {
    expect(backoffMs(noJitter, 10_000)).toBe(1000);
  });

  it('spreads the wait by the jitter factor on both sides', () => {
    const low = backoffMs({ initialMs: 100, maxMs: 1000, jitter: 0.2, random: () => 0 }, 2);
    const high = backoffMs({ initialMs: 100, maxMs: 1000, jitter: 0.2, random: () => 0.999999 }, 2);
    expect([low, high]).toEqual([160, 240]);
  });
});

describe('ExponentialBackoff', () => {
  it('counts failures until reset, and starts over after it', () => {
    const backoff = new ExponentialBackoff({ initialMs: 100, maxMs: 1000, random: () => 0.5 });
    const waits = [backoff.fail(), backoff.fail(), backoff.fail()];
    backoff.reset();
    expect([...waits, backoff.fail()]).toEqual([100, 200, 400, 100]);
  });
});
