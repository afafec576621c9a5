/**
 * When a Fetch that can only wait is held back. One Fetch is in flight per broker, and a broker answers
 * a Fetch whose partitions are all at their log end only when data arrives or `fetchMaxWaitMs` has
 * passed: a long poll. Sent while other partitions of the same broker still hold an answer ahead with
 * more of their log behind it, the long poll blocks their next Fetch: they hand out what they hold and
 * then wait, idle, for the rest of it. One idle partition beside sixteen with a backlog made reading
 * that backlog 4.5x slower (one long poll after nearly every answer).
 *
 * So such a Fetch waits until one of those partitions may be fetched too (the same request then, which
 * the broker answers at once with its data), and at most `maxHoldMs` (`fetchMaxWaitMs`): a partition
 * that has not handed out its data by then is being consumed slowly, and a long poll beside it costs it
 * little, while the partitions at their log end wait no longer than a long poll would have made new
 * data wait anyway.
 */
export class LongPollHold {
  private readonly since = new Map<number, number>();

  constructor(private readonly maxHoldMs: number) {}

  /**
   * A long poll to `nodeId` could go now, and partitions with more behind them would wait for it.
   * @returns ms left to hold it (0: send it now), and whether the hold just started (to schedule one
   *   pass of the loop at its end, not one per pass).
   */
  hold(nodeId: number, now: number): { readonly leftMs: number; readonly started: boolean } {
    const since = this.since.get(nodeId);
    if (since === undefined) {
      if (this.maxHoldMs <= 0) return { leftMs: 0, started: false };
      this.since.set(nodeId, now);
      return { leftMs: this.maxHoldMs, started: true };
    }
    const leftMs = since + this.maxHoldMs - now;
    if (leftMs <= 0) this.since.delete(nodeId);
    return { leftMs: Math.max(0, leftMs), started: false };
  }

  /** A Fetch to `nodeId` went out, or nothing waits on it any longer: a later hold starts afresh. */
  release(nodeId: number): void {
    this.since.delete(nodeId);
  }
}
