/** An opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * The source of time and timers. Injected so that tests drive timeouts, backoff and refresh timers
 * with a fake clock instead of waiting.
 */
export interface Clock {
  /** Milliseconds since an arbitrary epoch; only differences are used (deadlines, backoff, ages). */
  now(): number;
  /**
   * Milliseconds since the Unix epoch, as `Date.now()`: for times people read (a health snapshot's
   * "since when"), never for durations, which `now()` measures without jumps of the system clock.
   */
  wallClockMs(): number;
  /** Calls `callback` once after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock: milliseconds since the process started, monotonic (unlike `Date.now()`), and Node's
 * timers. `process.uptime()` reads the same monotonic source as `performance.now()`, but the global
 * `performance` loads node:perf_hooks on its first use (about 1.2 ms of module loading, inside a
 * consumer's start when nothing else loaded it). Timers are unref'd: a pending request timeout or
 * refresh timer must never be what keeps a process alive, since an open socket already does while
 * there is work.
 */
export const systemClock: Clock = {
  now: () => process.uptime() * 1000,
  wallClockMs: () => Date.now(),
  setTimeout: (callback, ms) => {
    const t = setTimeout(callback, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Waits `ms` milliseconds of `clock` time. The timer is the clock's (unref'd on {@link systemClock}), so
 * a sleep alone never keeps a process alive.
 * @returns a promise that resolves after the wait; it never rejects.
 */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}

/**
 * Sleeps on a {@link Clock} that can all be cancelled at once, so that closing a client never leaves a
 * timer behind or a caller waiting forever.
 */
export class Sleeps {
  private readonly pending = new Map<TimerHandle, (error: unknown) => void>();

  constructor(private readonly clock: Clock) {}

  /**
   * @returns a promise that resolves after `ms` milliseconds of clock time.
   * @throws (as a rejection) the error given to {@link cancelAll}, when that comes first.
   */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const handle = this.clock.setTimeout(() => {
        this.pending.delete(handle);
        resolve();
      }, ms);
      this.pending.set(handle, reject);
    });
  }

  /** Cancels every pending sleep, rejecting it with `error`. */
  cancelAll(error: unknown): void {
    for (const [handle, reject] of this.pending) {
      this.clock.clearTimeout(handle);
      reject(error);
    }
    this.pending.clear();
  }
}
