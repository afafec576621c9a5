/**
 * One share session (KIP-932) with one broker, as the client keeps it: its epoch and the partitions the
 * broker holds in it. A ShareFetch at epoch 0 opens the session with every partition (and may carry no
 * acknowledgements); later requests name only the partitions added, with the others kept, and list the
 * dropped ones as forgotten; each answered request moves the epoch on (wrapping to 1); a ShareAcknowledge
 * at epoch -1 closes it, which makes the broker release what this member still holds there. No I/O.
 */

/** The epoch that opens a session. */
export const INITIAL_EPOCH = 0;
/** The epoch that closes a session. */
export const FINAL_EPOCH = -1;

/** @returns the epoch after `epoch`, as the broker counts: 1 after the largest int32. */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return INITIAL_EPOCH;
  return epoch === 0x7fff_ffff ? 1 : epoch + 1;
}

/** A partition of a share session. */
export interface SessionPartition {
  /** `topic:partition`. */
  readonly key: string;
  readonly topicId: string;
  readonly topic: string;
  readonly partition: number;
}

/** What one ShareFetch sends to keep the session in step with the partitions wanted. */
export interface SessionFetchPlan {
  readonly epoch: number;
  /** The partitions to list: all of them when opening, else those the broker does not hold yet. */
  readonly listed: readonly SessionPartition[];
  /** The partitions the broker holds that are no longer wanted. */
  readonly forgotten: readonly SessionPartition[];
  /** What the session holds once the request succeeds. */
  readonly next: ReadonlyMap<string, SessionPartition>;
}

/** A share session with one broker. */
export class ShareSession {
  private current = INITIAL_EPOCH;
  private held = new Map<string, SessionPartition>();

  /** @returns the epoch the next request carries. */
  get epoch(): number {
    return this.current;
  }

  /** @returns whether the broker holds a session (opened, not reset): acknowledgements may be sent. */
  get open(): boolean {
    return this.current > INITIAL_EPOCH;
  }

  /** @returns whether the session holds `key`. */
  holds(key: string): boolean {
    return this.held.has(key);
  }

  /** @returns the plan of a ShareFetch for `wanted`. Never throws. */
  fetchPlan(wanted: readonly SessionPartition[]): SessionFetchPlan {
    const next = new Map(wanted.map((p) => [p.key, p]));
    if (!this.open) return { epoch: INITIAL_EPOCH, listed: [...next.values()], forgotten: [], next };
    const listed = [...next.values()].filter((p) => !this.held.has(p.key));
    const forgotten = [...this.held.values()].filter((p) => !next.has(p.key));
    return { epoch: this.current, listed, forgotten, next };
  }

  /** The ShareFetch of `plan` was answered without a session error: the broker holds `plan.next`. */
  fetched(plan: SessionFetchPlan): void {
    this.held = new Map(plan.next);
    this.current = nextEpoch(plan.epoch);
  }

  /** A ShareAcknowledge at the current epoch was answered without a session error. */
  acknowledged(): void {
    this.current = nextEpoch(this.current);
  }

  /**
   * Forgets the session (the broker lost it, refused the epoch, or a request failed on the way, so the
   * broker's epoch is unknown): the next ShareFetch opens a new one.
   */
  reset(): void {
    this.current = INITIAL_EPOCH;
    this.held.clear();
  }
}
