/**
 * The max-poll check (`max.poll.interval.ms`), in one place: the user keeps up while no handler has
 * run longer than the interval. The group member hears of every poll that keeps up (`recordPoll`) and
 * leaves the group when none came for a whole interval; the group driver also asks, on each of its
 * ticks, whether the user is polling right now (waiting for data, or in a handler that keeps up).
 */
import type { Clock } from '@runnel/network';

export class MaxPollCheck {
  private waiting = 0;
  private readonly handlerStarts = new Set<{ readonly at: number }>();

  /**
   * @param onPoll told the clock time of each poll that keeps up (the driver's `recordPoll`).
   */
  constructor(
    private readonly clock: Clock,
    private readonly maxPollIntervalMs: number,
    private readonly onPoll: (now: number) => void,
  ) {}

  /** @returns whether no handler running at `now` started more than the interval before it. */
  keepsUp(now: number): boolean {
    const oldest = now - this.maxPollIntervalMs;
    for (const h of this.handlerStarts) if (h.at < oldest) return false;
    return true;
  }

  /** @returns whether the user polls at `now`: waits for data or runs a handler, and keeps up. */
  isPolling(now: number): boolean {
    return (this.waiting > 0 || this.handlerStarts.size > 0) && this.keepsUp(now);
  }

  /** The user polled (asked for data, or a handler ended): tells the member when it keeps up. */
  poll(): void {
    const now = this.clock.now();
    if (this.keepsUp(now)) this.onPoll(now);
  }

  /**
   * Counts the user as waiting for data until `wait` settles.
   * @returns what `wait` resolves to; it rejects as `wait` does.
   */
  async whileWaiting<T>(wait: Promise<T>): Promise<T> {
    this.waiting++;
    try {
      return await wait;
    } finally {
      this.waiting--;
    }
  }

  /** A handler started now. @returns the function that records its end. */
  handlerStarted(): () => void {
    const start = { at: this.clock.now() };
    this.handlerStarts.add(start);
    return () => {
      this.handlerStarts.delete(start);
    };
  }
}
