import { describe, expect, it } from 'vitest';
import { Deliveries } from './deliveries.js';
import type { Delivery, Fetcher } from './fetcher.js';
import type { ConsumerLifecycle } from './lifecycle.js';
import type { MaxPollCheck } from './max-poll.js';

/** Deliveries over a fetch buffer that always holds another batch: no iteration ever waits on I/O. */
function endlessBuffer(): Deliveries {
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
  return new Deliveries(fetcher, lifecycle, maxPoll, () => true, { clientId: 'c', groupId: null });
}

describe('Deliveries and the event loop', () => {
  it('lets timers fire while a user loop does nothing but take buffered batches', async () => {
    // Handed-out batches resolve on microtasks: without a turn of the event loop the timer below
    // could not fire until the loop ends.
    const iterator = endlessBuffer().iterate({});
    let fired = 0;
    const timer = setInterval(() => fired++, 1);
    const started = performance.now();
    let batches = 0;
    while (performance.now() - started < 200) {
      const { done } = await iterator.next();
      expect(done).toBe(false);
      batches++;
    }
    clearInterval(timer);
    expect(batches).toBeGreaterThan(1);
    expect(fired).toBeGreaterThan(0);
  });

  it('takes one turn of the event loop per batch handed out', async () => {
    const iterator = endlessBuffer().iterate({});
    let turns = 0;
    const countTurns = () => {
      turns++;
      immediate = setImmediate(countTurns);
    };
    let immediate = setImmediate(countTurns);
    try {
      for (let i = 1; i <= 50; i++) {
        const before = turns;
        await iterator.next();
        expect(turns).toBe(before + 1);
      }
    } finally {
      clearImmediate(immediate);
    }
  });
});
