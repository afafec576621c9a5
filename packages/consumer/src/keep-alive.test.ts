import { describe, expect, it } from 'vitest';
import { KeepAlive } from './keep-alive.js';

describe('KeepAlive', () => {
  it('keeps one ref’d handle for any number of holders and drops it with the last release', () => {
    const keepAlive = new KeepAlive();
    expect(keepAlive.holding).toBe(false);
    const timers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const before = timers();
    const releaseA = keepAlive.hold();
    const releaseB = keepAlive.hold();
    expect(keepAlive.held).toBe(2);
    expect(keepAlive.holding).toBe(true);
    expect(timers()).toBeLessThanOrEqual(before + 1);
    releaseA();
    releaseA();
    expect(keepAlive.held).toBe(1);
    expect(keepAlive.holding).toBe(true);
    releaseB();
    expect(keepAlive.held).toBe(0);
    expect(keepAlive.holding).toBe(false);
  });

  it('holds while a call runs, and releases when it rejects too', async () => {
    const keepAlive = new KeepAlive();
    let heldInside = 0;
    await expect(
      keepAlive.during(async () => {
        heldInside = keepAlive.held;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(heldInside).toBe(1);
    expect(keepAlive.held).toBe(0);
  });

  it('holds nothing once stopped, so a closed consumer never keeps a process alive', () => {
    const keepAlive = new KeepAlive();
    const release = keepAlive.hold();
    keepAlive.stop();
    expect(keepAlive.holding).toBe(false);
    keepAlive.hold();
    expect(keepAlive.held).toBe(0);
    expect(keepAlive.holding).toBe(false);
    release();
    expect(keepAlive.held).toBe(0);
  });
});
