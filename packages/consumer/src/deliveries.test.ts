import type { Clock } from '@runnel/network';
import { FakeClock } from '@runnel/network/testing';
import { describe, expect, it } from 'vitest';
import { Deliveries, MAX_STRETCH_MS } from './deliveries.js';
import type { Delivery, Fetcher } from './fetcher.js';
import type { ConsumerLifecycle } from './lifecycle.js';
import type { MaxPollCheck } from './max-poll.js';

/** Deliveries over a fetch buffer that always holds another batch: no iteration ever waits on I/O. */
function endlessBuffer(clock: Clock): Deliveries {
  let offset = 0;
  const fetcher = {
    take: () => ({
      delivery: { batch: { records: [], nextOffset: ++offset }, heldBytes: 0 } as unknown as Delivery,
    }),
    finish: () => {},
    changed: () => new Promise<void>(() => {}),
  } as unknown as Fetcher;
  const lifecycle = {
    running: true,
    fatalError: null,
    keepAlive: { during: <T>(work: () => Promise<T>) => work() },
  } as unknown as ConsumerLifecycle;
  const maxPoll = { poll: () => {}, whileWaiting: <T>(wait: Promise<T>) => wait } as unknown as MaxPollCheck;
  return new Deliveries(fetcher, lifecycle, maxPoll, () => true, clock);
}

describe('Deliveries and the event loop', () => {
  it('lets timers fire while a user loop does nothing but take buffered batches', async () => {
    // A real clock: handed-out batches resolve on microtasks, so without a turn of the event loop
    // the timer below could not fire until the loop ends.
    const clock: Clock = { now: () => performance.now() } as Clock;
    const iterator = endlessBuffer(clock).iterate({});
    let fired = 0;
    const timer = setInterval(() => fired++, 1);
    const started = performance.now();
    let batches = 0;
    while (performance.now() - started < 20 * MAX_STRETCH_MS) {
      const { done } = await iterator.next();
      expect(done).toBe(false);
      batches++;
    }
    clearInterval(timer);
    expect(batches).toBeGreaterThan(1);
    expect(fired).toBeGreaterThan(0);
  });

  it('takes a turn of the event loop once per stretch of the clock, not per batch', async () => {
    const clock = new FakeClock(1_000);
    const iterator = endlessBuffer(clock).iterate({});
    let turns = 0;
    const countTurns = () => {
      turns++;
      immediate = setImmediate(countTurns);
    };
    let immediate = setImmediate(countTurns);
    try {
      // The first batch takes a turn: nothing is known of the loop before it.
      await iterator.next();
      const afterFirst = turns;
      expect(afterFirst).toBeGreaterThan(0);
      // Time stands still: batches keep coming on microtasks alone.
      for (let i = 0; i < 50; i++) await iterator.next();
      expect(turns).toBe(afterFirst);
      clock.advance(MAX_STRETCH_MS - 1);
      await iterator.next();
      expect(turns).toBe(afterFirst);
      clock.advance(1);
      await iterator.next();
      expect(turns).toBe(afterFirst + 1);
    } finally {
      clearImmediate(immediate);
    }
  });
});
