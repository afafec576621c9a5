import { ConnectionError } from '@runnel/network';
import { FakeClock } from '@runnel/network/testing';
import { describe, expect, it } from 'vitest';
import { BrokersDownWatch, type Reachability } from './brokers-down-watch.js';
import { AllBrokersDownError } from './errors.js';

function pool(since: number | null, error: Error | null): Reachability {
  return { allBrokersDownSince: since, lastConnectionError: error };
}

describe('BrokersDownWatch', () => {
  it('gives up once, past the timeout, with the last connection error as the cause', () => {
    const clock = new FakeClock(1_000);
    const refused = new ConnectionError('b:1', 'refused', 'connection refused');
    const given: AllBrokersDownError[] = [];
    const watch = new BrokersDownWatch(pool(clock.now(), refused), clock, 40, (error) => given.push(error));
    watch.start();
    clock.advance(39);
    expect(given).toEqual([]);
    clock.advance(5);
    expect(given).toHaveLength(1);
    expect(given[0]).toBeInstanceOf(AllBrokersDownError);
    expect(given[0]!.cause).toBe(refused);
    expect(given[0]!.message).toContain('40 ms');
    expect(given[0]!.code).toBe('ERR_ALL_BROKERS_DOWN');
    clock.advance(1_000);
    expect(given).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('never gives up while a broker is reachable, nor without a timeout', () => {
    const clock = new FakeClock(20_000);
    const given: unknown[] = [];
    const up = new BrokersDownWatch(pool(null, null), clock, 20, (error) => given.push(error));
    const forever = new BrokersDownWatch(pool(clock.now() - 10_000, null), clock, null, (e) => given.push(e));
    up.start();
    forever.start();
    clock.advance(5_000);
    expect(given).toEqual([]);
    up.stop();
    forever.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('reports since when no broker was reachable in wall-clock time', () => {
    const clock = new FakeClock(60_000, 1_700_000_000_000);
    const watch = new BrokersDownWatch(pool(clock.now() - 5_000, null), clock, null, () => {});
    expect(watch.downSince).toBe(1_700_000_000_000 - 5_000);
    expect(new BrokersDownWatch(pool(null, null), clock, null, () => {}).downSince).toBeNull();
  });
});
