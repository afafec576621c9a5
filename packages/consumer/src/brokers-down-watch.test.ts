import { ConnectionError } from '@runnel/network';
import { describe, expect, it } from 'vitest';
import { BrokersDownWatch, type Reachability } from './brokers-down-watch.js';
import { AllBrokersDownError } from './errors.js';

function pool(since: number | null, error: Error | null): Reachability {
  return { allBrokersDownSince: since, lastConnectionError: error };
}

describe('BrokersDownWatch', () => {
  it('gives up once, past the timeout, with the last connection error as the cause', async () => {
    const refused = new ConnectionError('b:1', 'refused', 'connection refused');
    const reachability = pool(performance.now(), refused);
    const given: AllBrokersDownError[] = [];
    const watch = new BrokersDownWatch(reachability, 40, (error) => given.push(error));
    watch.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(given).toHaveLength(1);
    expect(given[0]).toBeInstanceOf(AllBrokersDownError);
    expect(given[0]!.cause).toBe(refused);
    expect(given[0]!.message).toContain('40 ms');
    expect(given[0]!.code).toBe('ERR_ALL_BROKERS_DOWN');
    watch.stop();
  });

  it('never gives up while a broker is reachable, nor without a timeout', async () => {
    const given: unknown[] = [];
    const up = new BrokersDownWatch(pool(null, null), 20, (error) => given.push(error));
    const forever = new BrokersDownWatch(pool(performance.now() - 10_000, null), null, (e) => given.push(e));
    up.start();
    forever.start();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(given).toEqual([]);
    up.stop();
    forever.stop();
  });

  it('reports since when no broker was reachable in wall-clock time', () => {
    const watch = new BrokersDownWatch(pool(performance.now() - 5_000, null), null, () => {});
    expect(Math.abs(watch.downSince! - (Date.now() - 5_000))).toBeLessThan(50);
    expect(new BrokersDownWatch(pool(null, null), null, () => {}).downSince).toBeNull();
  });
});
