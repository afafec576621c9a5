/**
 * The wake-ups of a fetch loop (the Consumer's and the ShareConsumer's): asking for a pass of the loop
 * runs it once per microtask however often it is asked, tells whoever waits for a change, and a pass
 * can be asked for later on the clock; closing stops all of it and tells every waiter.
 */
import type { Clock, TimerHandle } from '@runnel/network';

export class LoopSignal {
  private readonly waiters = new Set<() => void>();
  private readonly timers = new Set<TimerHandle>();
  private scheduled = false;
  private stopped = false;

  /** @param pass one pass of the loop, run after `wake` (coalesced) until `close`. */
  constructor(
    private readonly clock: Clock,
    private readonly pass: () => void,
  ) {}

  /** @returns a promise that resolves at the next `wake` or `close`. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  /** @returns a promise that resolves at the next `wake` or `close`, or after `ms` of clock time. */
  changedOrAfter(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(resolve, ms);
      this.waiters.add(() => {
        this.clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Tells every waiter that something changed, and schedules a pass of the loop (coalesced). */
  wake(): void {
    for (const w of this.waiters) w();
    this.waiters.clear();
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (!this.stopped) this.pass();
    });
  }

  /** Wakes the loop after `ms` of clock time (the clock's timers never keep the process alive). */
  later(ms: number): void {
    if (this.stopped) return;
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      this.wake();
    }, ms);
    this.timers.add(timer);
  }

  /** Stops every timer and pass for good, and tells every waiter. */
  close(): void {
    this.stopped = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters) w();
    this.waiters.clear();
  }
}

/**
 * @returns a promise that resolves when `changed` does, or when `signal` aborts, whichever is first; it
 *   leaves no listener on `signal` behind.
 */
export async function changedOrAborted(
  changed: Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (!signal) {
    await changed;
    return;
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  await Promise.race([changed, aborted]);
  signal.removeEventListener('abort', onAbort!);
}
