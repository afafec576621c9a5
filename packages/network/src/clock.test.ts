import { describe, expect, it } from 'vitest';
import { sleep, systemClock } from './clock.js';
import { FakeClock } from './testing/fake-clock.js';

describe('the clock', () => {
  it('system clock: a wall clock in Date.now()’s terms beside a monotonic now()', () => {
    const before = Date.now();
    const wall = systemClock.wallClockMs();
    expect(wall).toBeGreaterThanOrEqual(before);
    expect(wall).toBeLessThanOrEqual(Date.now());
    expect(systemClock.now()).toBeCloseTo(performance.now(), -2);
  });

  it('fake clock: the wall clock moves with advance, from the wall time given at the start', () => {
    const clock = new FakeClock(100, 1_700_000_000_000);
    clock.advance(250);
    expect([clock.now(), clock.wallClockMs()]).toEqual([350, 1_700_000_000_250]);
    expect(new FakeClock(40).wallClockMs()).toBe(40);
  });

  it('sleep resolves once its clock time passed, and not before', async () => {
    const clock = new FakeClock();
    let woke = false;
    const slept = sleep(clock, 30).then(() => {
      woke = true;
    });
    clock.advance(29);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advance(1);
    await slept;
    expect(woke).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});
