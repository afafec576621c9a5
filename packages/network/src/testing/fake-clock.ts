import type { Clock, TimerHandle } from '../clock.js';

interface FakeTimer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * A clock for tests: time stands still until {@link advance} moves it and fires the timers due. Its wall
 * clock moves with it, from `wallClockAtStart`.
 */
export class FakeClock implements Clock {
  private time: number;
  private readonly wallOffset: number;
  private nextId = 1;
  private readonly timers = new Map<number, FakeTimer>();

  constructor(start = 0, wallClockAtStart = start) {
    this.time = start;
    this.wallOffset = wallClockAtStart - start;
  }

  now(): number {
    return this.time;
  }

  wallClockMs(): number {
    return this.time + this.wallOffset;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.time + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Timers set and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in order of their due time (then of creation). */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.timers.values()) {
        if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      }
      if (!next) break;
      this.timers.delete(next.id);
      this.time = next.at;
      next.callback();
    }
    this.time = target;
  }
}
