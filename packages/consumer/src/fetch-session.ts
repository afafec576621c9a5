/**
 * The client side of an incremental fetch session with one broker (KIP-227), without I/O. The first
 * request is a full one that asks the broker for a session; later requests name only the partitions
 * whose fetch parameters changed, plus the partitions to forget. Any failure falls back to a full
 * request that closes the old session and opens a new one.
 */

/** What the consumer asks of one partition. Two requests differ for a partition when any field differs. */
export interface SessionPartition {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly currentLeaderEpoch: number;
  readonly lastFetchedEpoch: number;
  readonly maxBytes: number;
}

/** One request of the session: what to send, and how the response must be read. */
export interface FetchSessionRequest {
  readonly sessionId: number;
  readonly sessionEpoch: number;
  /** True when the request lists every partition of the session (full fetch). */
  readonly full: boolean;
  /** The partitions to put in the request. */
  readonly partitions: readonly SessionPartition[];
  /** The partitions the broker should drop from the session (incremental requests only). */
  readonly forgotten: readonly { topic: string; partition: number }[];
  /** Every partition the session holds once the broker applies the request. */
  readonly next: ReadonlyMap<string, SessionPartition>;
}

/** Kafka's session epoch values. */
const INITIAL_EPOCH = 0;
/** Session id 0: no session. */
const NO_SESSION = 0;
const MAX_EPOCH = 0x7fff_ffff;

/** Error codes that mean the broker no longer has the session as we know it. */
export const FETCH_SESSION_ID_NOT_FOUND = 70;
export const INVALID_FETCH_SESSION_EPOCH = 71;

function key(p: { topic: string; partition: number }): string {
  return `${p.topic}\u0000${p.partition}`;
}

function same(a: SessionPartition, b: SessionPartition): boolean {
  return (
    a.fetchOffset === b.fetchOffset &&
    a.currentLeaderEpoch === b.currentLeaderEpoch &&
    a.lastFetchedEpoch === b.lastFetchedEpoch &&
    a.maxBytes === b.maxBytes
  );
}

/** The state of one broker's fetch session. */
export class FetchSession {
  private sessionId = NO_SESSION;
  private epoch = INITIAL_EPOCH;
  private partitions = new Map<string, SessionPartition>();
  private inFlight: FetchSessionRequest | null = null;

  /** @returns the session id the broker gave (0 while there is none). */
  get id(): number {
    return this.sessionId;
  }

  /** @returns the epoch the next request carries (0 for a full request). */
  get nextEpoch(): number {
    return this.epoch;
  }

  /**
   * Plans the next request for the partitions the consumer wants now.
   * @returns the request; hand it back to {@link onResponse} or {@link onFailure}.
   */
  build(wanted: readonly SessionPartition[]): FetchSessionRequest {
    const next = new Map<string, SessionPartition>();
    for (const p of wanted) next.set(key(p), p);
    let request: FetchSessionRequest;
    if (this.epoch === INITIAL_EPOCH || this.sessionId === NO_SESSION) {
      request = {
        sessionId: this.sessionId,
        sessionEpoch: INITIAL_EPOCH,
        full: true,
        partitions: wanted,
        forgotten: [],
        next,
      };
    } else {
      const changed: SessionPartition[] = [];
      for (const p of wanted) {
        const before = this.partitions.get(key(p));
        if (!before || !same(before, p)) changed.push(p);
      }
      const forgotten: { topic: string; partition: number }[] = [];
      for (const [k, p] of this.partitions) {
        if (!next.has(k)) forgotten.push({ topic: p.topic, partition: p.partition });
      }
      request = {
        sessionId: this.sessionId,
        sessionEpoch: this.epoch,
        full: false,
        partitions: changed,
        forgotten,
        next,
      };
    }
    this.inFlight = request;
    return request;
  }

  /**
   * Applies the answer to `request`: the top-level error code and the session id it carries.
   * @returns true when the response's partitions can be used; false when the session was not found
   *   or its epoch was wrong (the next request is then a full one and the data must be fetched again).
   */
  onResponse(request: FetchSessionRequest, errorCode: number, sessionId: number): boolean {
    if (this.inFlight !== request) return false;
    this.inFlight = null;
    if (errorCode === FETCH_SESSION_ID_NOT_FOUND || errorCode === INVALID_FETCH_SESSION_EPOCH) {
      this.sessionId = NO_SESSION;
      this.epoch = INITIAL_EPOCH;
      this.partitions = new Map();
      return false;
    }
    if (errorCode !== 0) {
      this.onFailure(request);
      return false;
    }
    this.partitions = new Map(request.next);
    if (request.full) {
      // A broker that has no room for sessions (or a v<7 exchange) answers with id 0: stay on full requests.
      this.sessionId = sessionId;
      this.epoch = sessionId === NO_SESSION ? INITIAL_EPOCH : 1;
    } else {
      this.epoch = this.epoch >= MAX_EPOCH ? 1 : this.epoch + 1;
    }
    return true;
  }

  /**
   * Records that `request` got no usable answer (connection lost, timeout, broker error): the next
   * request is full, and asks the broker to close the old session (same id, epoch 0).
   */
  onFailure(request: FetchSessionRequest): void {
    if (this.inFlight === request) this.inFlight = null;
    this.epoch = INITIAL_EPOCH;
    this.partitions = new Map();
  }
}
