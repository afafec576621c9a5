/**
 * The time rules every member shares: the max-poll-interval timer of the user's code, and the
 * collection of deadlines that becomes `nextPollAt`. A member owns no timer; it is told the time.
 */

/**
 * `max.poll.interval.ms`: how long the user's code may go without polling. Its one sub-state, whether
 * the user polled since the member stalled, is what lets a STALE member rejoin.
 */
export class PollInterval {
  private lastPollAt = 0;
  private polledSinceStall = false;

  constructor(readonly maxPollIntervalMs: number) {}

  /** Records that the user's code polled at `now`. */
  record(now: number): void {
    this.lastPollAt = now;
    this.polledSinceStall = true;
  }

  /** Restarts the interval at `now` without counting as a poll after a stall (e.g. a new subscription). */
  restart(now: number): void {
    this.lastPollAt = now;
  }

  /** Marks the member stalled: it waits for the next poll. */
  stall(): void {
    this.polledSinceStall = false;
  }

  /** @returns whether the user polled since the member last stalled. */
  get polledSinceStalled(): boolean {
    return this.polledSinceStall;
  }

  /** @returns whether more than the interval passed since the last poll. Never throws. */
  expired(now: number): boolean {
    return now - this.lastPollAt > this.maxPollIntervalMs;
  }

  /** @returns the first time at which `expired` turns true. */
  get deadline(): number {
    return this.lastPollAt + this.maxPollIntervalMs + 1;
  }
}

/** The earliest of the deadlines a member considers, never before `now`: its next `nextPollAt`. */
export class WakeUp {
  private earliest = Number.POSITIVE_INFINITY;

  constructor(private readonly now: number) {}

  /** Takes `time` into account (a time already past counts as `now`). */
  consider(time: number): void {
    this.earliest = Math.min(this.earliest, Math.max(time, this.now));
  }

  /** @returns the earliest time considered, or `Infinity` when none was. */
  get at(): number {
    return this.earliest;
  }
}
