/**
 * The share fetch loop: for every leader broker of the assigned partitions, one request at a time in a
 * share session: a ShareFetch long poll that carries the acknowledgements waiting for that broker's
 * partitions (piggybacked, as Java's share consumer does), or a ShareAcknowledge when acknowledgements
 * must not wait for data (a commit, a partition no longer fetched, no room to fetch). Acquired records
 * go into a buffer bounded by memory (`ShareFetchBuffer`); acknowledgements are kept, sent and answered
 * in the `AcknowledgementLedger`.
 */
import { AuthenticationError, type ClusterClient, RateLimitedLog } from '@runnel/network';
import {
  ErrorCode,
  KafkaProtocolError,
  ShareAcknowledge,
  ShareFetch,
  type ShareFetchResponse,
} from '@runnel/protocol';
import { partitionKey, type TopicPartition } from '../batch.js';
import {
  type AcknowledgementAnswer,
  AcknowledgementLedger,
  type AcknowledgementResult,
} from './acknowledgement-ledger.js';
import type { ResolvedShareConfig } from './share-config.js';
import { ShareFetchBuffer, type SharePartitionData, type ShareTakeResult } from './share-fetch-buffer.js';
import { AckCode, type ShareDelivery } from './share-records.js';
import { acquiredRanges, shareAcknowledgeBody, shareFetchBody } from './share-requests.js';
import { FINAL_EPOCH, type SessionPartition, ShareSession } from './share-session.js';

export type { AcknowledgementResult } from './acknowledgement-ledger.js';

/** Counters for `health()`. */
export interface ShareFetcherStats {
  readonly fetchesSent: number;
  readonly fetchErrors: number;
  readonly bytesFetched: number;
  readonly recordsAcquired: number;
  readonly acknowledgementsSent: number;
  readonly acknowledgementErrors: number;
  /** Records whose acquisition lock ran out before they were handed out or acknowledged. */
  readonly locksExpired: number;
}

const SESSION_ERRORS = new Set<number>([
  ErrorCode.SHARE_SESSION_NOT_FOUND,
  ErrorCode.INVALID_SHARE_SESSION_EPOCH,
]);

/** What a broker said about acknowledgements, by partition key. */
type Answers = Map<string, AcknowledgementAnswer>;

export class ShareFetcher {
  /** The acquisition lock duration the brokers last reported, or null before the first answer. */
  lockTimeoutMs: number | null = null;
  private readonly counts = {
    fetchesSent: 0,
    fetchErrors: 0,
    bytesFetched: 0,
    recordsAcquired: 0,
    locksExpired: 0,
  };
  private readonly wanted = new Map<string, TopicPartition>();
  private readonly refs = new Map<string, SessionPartition>();
  private readonly sessions = new Map<number, ShareSession>();
  private readonly inFlight = new Set<number>();
  private readonly nodeRetryAt = new Map<number, number>();
  private readonly ledger: AcknowledgementLedger;
  private readonly buffer: ShareFetchBuffer;
  private readonly errors: Error[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly warnings: RateLimitedLog;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private urgent = 0;
  private scheduled = false;
  private closing = false;
  private closed = false;
  private metadataRefreshing = false;
  private stoppedBy: AuthenticationError | null = null;

  /**
   * @param memberId the share member's id (it never changes for the life of the member)
   * @param onResults told of every acknowledgement result (the acknowledgement commit callback)
   * @param now the clock (ms since the epoch) acquisition locks are measured on
   */
  constructor(
    private readonly client: ClusterClient,
    private readonly config: ResolvedShareConfig,
    private readonly memberId: string,
    onResults: (results: readonly AcknowledgementResult[]) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.warnings = new RateLimitedLog(config.logger, now);
    this.ledger = new AcknowledgementLedger((results) => {
      try {
        onResults(results);
      } catch (error) {
        config.logger.error({ err: error }, 'acknowledgement commit callback failed');
      }
    });
    this.buffer = new ShareFetchBuffer(
      config.maxBufferedBytes,
      config.fetchMaxBytes,
      { checkCrcs: config.checkCrcs, maxDecompressedSize: config.maxDecompressedSize },
      {
        settle: (data, offsets, code) => {
          const ref = this.refs.get(data.key);
          if (ref !== undefined) for (const o of offsets) this.ledger.add(ref, o, code, data.lockExpiresAt);
        },
        expired: (data, count) => {
          this.counts.locksExpired += count;
          this.warnings.warn(
            `expired ${data.key}`,
            { topic: data.topic, partition: data.partition, records: count },
            'acquisition lock ran out before the records were handed out; the broker delivers them again',
          );
        },
        readError: (data, error) => {
          this.counts.fetchErrors++;
          config.logger.error(
            { err: error, topic: data.topic, partition: data.partition },
            'unreadable records released',
          );
        },
      },
    );
  }

  /** @returns the counters. */
  get stats(): ShareFetcherStats {
    const { sent, failed, expired } = this.ledger;
    return {
      ...this.counts,
      locksExpired: this.counts.locksExpired + expired,
      acknowledgementsSent: sent,
      acknowledgementErrors: failed,
    };
  }

  /** @returns the memory fetched data takes now. */
  get bufferedBytes(): number {
    return this.buffer.bufferedBytes;
  }

  /** @returns the requests in flight (one per broker at most). */
  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /** @returns the authentication failure that stopped all fetching, or null. */
  get fatalError(): AuthenticationError | null {
    return this.stoppedBy;
  }

  /** @returns the partitions fetched now. */
  assignment(): TopicPartition[] {
    return [...this.wanted.values()];
  }

  /** Replaces the partitions to fetch; buffered records of dropped ones are released. */
  setAssignment(partitions: readonly TopicPartition[]): void {
    const next = new Map(partitions.map((tp) => [partitionKey(tp.topic, tp.partition), tp]));
    const gone = new Set([...this.wanted.keys()].filter((k) => !next.has(k)));
    this.wanted.clear();
    for (const [k, tp] of next) this.wanted.set(k, tp);
    if (gone.size > 0) this.buffer.drop(gone);
    this.wake();
  }

  /**
   * @param owner the consumer, recorded in the delivery so that only it acknowledges the records
   * @returns the next batch of acquired records, an error the user must see, or null when none is
   *   ready. After an authentication failure, that error on every call.
   */
  take(owner: object): ShareTakeResult {
    if (this.stoppedBy) return { error: this.stoppedBy };
    const error = this.errors.shift();
    if (error !== undefined) return { error };
    const taken = this.buffer.take(
      owner,
      (d, offset, code) => this.onAcknowledged(d, offset, code),
      this.now(),
    );
    if (taken !== null) this.wake();
    return taken;
  }

  /**
   * The user is done with `delivery`: settles it per `mode` (see ShareDelivery.finish) and frees what it held.
   * @throws IllegalStateError in explicit mode when records are not acknowledged (nothing changes).
   */
  finish(delivery: ShareDelivery, mode: 'implicit' | 'explicit'): void {
    this.counts.locksExpired += delivery.finish(mode, this.now());
    this.buffer.release(delivery);
    this.wake();
  }

  /** Releases what of `delivery` is not acknowledged (see ShareDelivery.release), and frees what it held. */
  release(delivery: ShareDelivery, mode: 'implicit' | 'explicit', from = 0): void {
    this.counts.locksExpired += delivery.release(mode, this.now(), from);
    this.buffer.release(delivery);
    this.wake();
  }

  /**
   * Sends every acknowledgement made so far at once (ShareAcknowledge) and waits for the answers.
   * @returns one result per partition acknowledged; partitions not answered within `timeoutMs` carry a
   *   ConsumerTimeoutError (their acknowledgements stay queued).
   */
  async flush(timeoutMs: number): Promise<AcknowledgementResult[]> {
    this.urgent++;
    this.wake();
    try {
      return await this.ledger.flush(
        timeoutMs,
        this.now,
        (ms) => this.changedOrAfter(ms),
        () => this.stoppedBy ?? (this.closed ? new Error('the share consumer closed') : null),
      );
    } finally {
      this.urgent--;
    }
  }

  /**
   * Stops fetching, releases every record not acknowledged (buffered, or handed out and not finished),
   * and closes each broker's share session with a ShareAcknowledge at the final epoch carrying the
   * acknowledgements left, which also makes the broker release anything else this member holds there.
   * @returns once every session is closed or `deadline` (on `now`'s clock) passed.
   */
  async closeSessions(deadline: number): Promise<void> {
    this.closing = true;
    this.buffer.drop();
    for (const delivery of [...this.buffer.deliveries]) this.release(delivery, 'explicit');
    while (this.inFlight.size > 0 && this.now() < deadline && !this.closed) {
      await this.changedOrAfter(Math.min(100, deadline - this.now()));
    }
    const closing: Promise<void>[] = [];
    for (const [nodeId, session] of this.sessions) {
      if (!session.open || this.inFlight.has(nodeId)) continue;
      closing.push(this.sendAcknowledge(nodeId, session, FINAL_EPOCH));
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline - this.now()));
    });
    await Promise.race([Promise.all(closing), timeout]);
    clearTimeout(timer);
  }

  /** @returns a promise that resolves at the next change (records arrived, an answer, close). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  /** Schedules a pass of the loop (coalesced), and wakes whoever waits for a change. */
  wake(): void {
    for (const w of this.waiters) w();
    this.waiters.clear();
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Stops everything and forgets buffered data; requests in flight end with the client. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.buffer.clear();
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  // ---------------------------------------------------------------------------------------------

  private onAcknowledged(delivery: ShareDelivery, offset: number, code: AckCode): void {
    const { topic, partition, lockExpiresAt } = delivery.batch;
    const ref = this.refs.get(partitionKey(topic, partition));
    if (ref !== undefined) this.ledger.add(ref, offset, code, lockExpiresAt);
    this.wake();
  }

  private changedOrAfter(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      this.waiters.add(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private later(ms: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.wake();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  /** @returns the session partition of `tp` (its topic id from metadata), or null while the id is unknown. */
  private refOf(key: string, tp: TopicPartition): SessionPartition | null {
    const known = this.refs.get(key);
    if (known !== undefined) return known;
    const topicId = this.client.metadata.topic(tp.topic)?.topicId;
    if (!topicId) return null;
    const ref = { key, topicId, topic: tp.topic, partition: tp.partition };
    this.refs.set(key, ref);
    return ref;
  }

  private leaderOf(ref: SessionPartition): number | null {
    return this.client.metadata.leaderFor(ref.topic, ref.partition)?.nodeId ?? null;
  }

  private sessionOf(nodeId: number): ShareSession {
    let session = this.sessions.get(nodeId);
    if (session === undefined) {
      session = new ShareSession();
      this.sessions.set(nodeId, session);
    }
    return session;
  }

  private pump(): void {
    if (this.closed || this.closing || this.stoppedBy) return;
    const now = this.now();
    this.ledger.expire(now);
    const byNode = new Map<number, SessionPartition[]>();
    let missing = false;
    for (const [key, tp] of this.wanted) {
      const ref = this.refOf(key, tp);
      const leader = ref === null ? null : this.leaderOf(ref);
      if (ref === null || leader === null) {
        missing = true;
        continue;
      }
      byNode.set(leader, [...(byNode.get(leader) ?? []), ref]);
    }
    const ackNodes = new Set<number>();
    for (const ref of this.ledger.waitingPartitions()) {
      const leader = this.leaderOf(ref);
      if (leader === null) missing = true;
      else ackNodes.add(leader);
    }
    if (missing) this.refreshMetadata();
    const fetchNodes = [...byNode.keys()].filter((n) => !this.inFlight.has(n));
    // Brokers share what room there is, so that answers together stay within the bound.
    const room = fetchNodes.length === 0 ? 0 : Math.floor(this.buffer.room / fetchNodes.length);
    let earliestRetry = Number.POSITIVE_INFINITY;
    for (const nodeId of new Set([...byNode.keys(), ...ackNodes])) {
      if (this.inFlight.has(nodeId)) continue;
      const retryAt = this.nodeRetryAt.get(nodeId) ?? 0;
      if (retryAt > now) {
        earliestRetry = Math.min(earliestRetry, retryAt);
        continue;
      }
      const session = this.sessionOf(nodeId);
      const wantedHere = byNode.get(nodeId) ?? [];
      const canFetch = wantedHere.length > 0 && room > 0;
      // Acknowledgements ride on the next ShareFetch, unless they must not wait for one.
      if (session.open && ackNodes.has(nodeId) && (this.urgent > 0 || !canFetch)) {
        void this.sendAcknowledge(nodeId, session, session.epoch);
      } else if (canFetch) {
        this.sendFetch(nodeId, session, wantedHere, Math.min(this.config.fetchMaxBytes, room));
      } else if (ackNodes.has(nodeId) && !session.open) {
        // Only a ShareFetch opens a session, and none is wanted here: the broker dropped the records of
        // the old session with it, so these acknowledgements can only fail.
        const error = new KafkaProtocolError(
          ErrorCode.SHARE_SESSION_NOT_FOUND,
          `acknowledging to broker ${nodeId}`,
        );
        this.ledger.drop((ref) => this.leaderOf(ref) === nodeId, error);
      }
    }
    if (earliestRetry < Number.POSITIVE_INFINITY) this.later(Math.max(1, earliestRetry - now));
  }

  private sendFetch(
    nodeId: number,
    session: ShareSession,
    wanted: SessionPartition[],
    maxBytes: number,
  ): void {
    const plan = session.fetchPlan(wanted);
    const fetching = new Set(wanted.map((p) => p.key));
    // Acknowledgements may not open a session, and ride only with partitions this fetch names.
    const acks = session.open
      ? this.ledger.send(nodeId, (ref) => fetching.has(ref.key) && this.leaderOf(ref) === nodeId)
      : this.ledger.send(nodeId, () => false);
    const sizes = {
      maxWaitMs: this.config.fetchMaxWaitMs,
      minBytes: this.config.fetchMinBytes,
      maxBytes,
      maxRecords: this.config.maxPollRecords,
    };
    const member = { groupId: this.config.groupId, memberId: this.memberId };
    this.inFlight.add(nodeId);
    this.buffer.reserve(maxBytes);
    this.counts.fetchesSent++;
    const sentAt = this.now();
    this.client
      .send({
        target: { kind: 'broker', nodeId },
        api: ShareFetch,
        purpose: 'fetch',
        retry: false,
        timeoutMs: this.config.fetchMaxWaitMs + this.config.requestTimeoutMs,
        message: shareFetchBody(member, plan.epoch, sizes, plan.listed, plan.forgotten, acks),
      })
      .then(
        (response) => {
          this.buffer.unreserve(maxBytes);
          if (!this.answered(nodeId, session, response.errorCode, false)) return;
          session.fetched(plan);
          this.warnings.reset(`share ${nodeId}`);
          this.onFetchResponse(nodeId, response, sentAt);
        },
        (error: unknown) => {
          this.buffer.unreserve(maxBytes);
          this.onFailure(nodeId, session, error, false);
        },
      )
      .finally(() => {
        this.inFlight.delete(nodeId);
        this.wake();
      });
  }

  private sendAcknowledge(nodeId: number, session: ShareSession, epoch: number): Promise<void> {
    const acks = this.ledger.send(nodeId, (ref) => this.leaderOf(ref) === nodeId);
    const final = epoch === FINAL_EPOCH;
    this.inFlight.add(nodeId);
    return this.client
      .send({
        target: { kind: 'broker', nodeId },
        api: ShareAcknowledge,
        purpose: 'fetch',
        retry: false,
        timeoutMs: this.config.requestTimeoutMs,
        message: shareAcknowledgeBody({ groupId: this.config.groupId, memberId: this.memberId }, epoch, acks),
      })
      .then(
        (response) => {
          if (!this.answered(nodeId, session, response.errorCode, final)) return;
          if (final) session.reset();
          else session.acknowledged();
          const answers: Answers = new Map();
          for (const t of response.responses) {
            const topic = this.client.metadata.topicName(t.topicId);
            if (topic) for (const p of t.partitions) answers.set(partitionKey(topic, p.partitionIndex), p);
          }
          this.ledger.answered(this.ledger.arrived(nodeId), (key) => answers.get(key));
        },
        (error: unknown) => this.onFailure(nodeId, session, error, final),
      )
      .finally(() => {
        this.inFlight.delete(nodeId);
        this.wake();
      });
  }

  /**
   * Handles the top-level error code of an answer from `nodeId`.
   * @returns whether the answer is usable (no error).
   */
  private answered(nodeId: number, session: ShareSession, errorCode: number, final: boolean): boolean {
    if (errorCode === ErrorCode.NONE) return true;
    session.reset();
    this.counts.fetchErrors++;
    const error = new KafkaProtocolError(errorCode, `share request to broker ${nodeId}`);
    this.warnings.warn(`share ${nodeId}`, { err: error, nodeId }, 'share request failed');
    const acks = this.ledger.arrived(nodeId);
    if (SESSION_ERRORS.has(errorCode) && !final) {
      // The session is gone, but the records are still acquired by this member: send them again.
      this.ledger.retry(acks);
    } else {
      this.ledger.fail(acks, error);
      this.nodeRetryAt.set(nodeId, this.now() + this.config.retryBackoffMs);
    }
    return false;
  }

  private onFailure(nodeId: number, session: ShareSession, error: unknown, final: boolean): void {
    session.reset();
    const acks = this.ledger.arrived(nodeId);
    if (this.closed) return;
    if (error instanceof AuthenticationError) {
      this.stoppedBy ??= error;
      this.config.logger.error({ err: error }, 'authentication failed, share fetching stopped');
      this.ledger.fail(acks, error);
      return;
    }
    this.counts.fetchErrors++;
    this.warnings.warn(`share ${nodeId}`, { err: error, nodeId }, 'share request failed');
    // The broker's epoch is unknown now; the acknowledgements are retried until their lock runs out
    // (a broker that saw the connection drop may have released the records: it then says so).
    if (final) this.ledger.fail(acks, error as Error);
    else this.ledger.retry(acks);
    this.nodeRetryAt.set(nodeId, this.now() + this.config.retryBackoffMs);
    this.client.requestMetadataUpdate();
    this.refreshMetadata();
  }

  private onFetchResponse(nodeId: number, response: ShareFetchResponse, sentAt: number): void {
    if (response.acquisitionLockTimeoutMs > 0) this.lockTimeoutMs = response.acquisitionLockTimeoutMs;
    // Counted from when the request left: the broker started the lock somewhere after that.
    const lockExpiresAt = sentAt + (this.lockTimeoutMs ?? 30_000);
    const answers: Answers = new Map();
    let stale = false;
    for (const t of response.responses) {
      const topic = this.client.metadata.topicName(t.topicId);
      if (!topic) continue;
      for (const p of t.partitions) {
        const key = partitionKey(topic, p.partitionIndex);
        answers.set(key, { errorCode: p.acknowledgeErrorCode, errorMessage: p.acknowledgeErrorMessage });
        if (p.errorCode !== ErrorCode.NONE) {
          stale = true;
          const error = new KafkaProtocolError(p.errorCode, `ShareFetch of ${key}`);
          this.warnings.warn(
            `partition ${key}`,
            { err: error, topic, partition: p.partitionIndex },
            'share fetch partition error',
          );
          continue;
        }
        if (p.acquiredRecords.length === 0) continue;
        this.warnings.reset(`partition ${key}`);
        this.acquired(key, topic, p.partitionIndex, p.records, p.acquiredRecords, lockExpiresAt);
      }
    }
    if (stale) this.refreshMetadata();
    this.ledger.answered(this.ledger.arrived(nodeId), (key) => answers.get(key));
  }

  /** Buffers what one partition acquired, or releases it when the partition is no longer fetched. */
  private acquired(
    key: string,
    topic: string,
    partition: number,
    records: Uint8Array | null,
    acquiredRecords: Parameters<typeof acquiredRanges>[0],
    lockExpiresAt: number,
  ): void {
    let data: SharePartitionData;
    try {
      data = { key, topic, partition, records, acquired: acquiredRanges(acquiredRecords), lockExpiresAt };
    } catch (error) {
      // Nothing is sized by a range that fails its checks; the records come back after their lock.
      this.counts.fetchErrors++;
      this.errors.push(error as Error);
      return;
    }
    this.counts.bytesFetched += records?.length ?? 0;
    for (const r of data.acquired) this.counts.recordsAcquired += r.last - r.first + 1;
    if (this.wanted.has(key) && !this.closing) {
      this.buffer.add(data);
      return;
    }
    const ref = this.refs.get(key);
    if (ref === undefined) return;
    for (const r of data.acquired) {
      for (let o = r.first; o <= r.last; o++) this.ledger.add(ref, o, AckCode.release, lockExpiresAt);
    }
  }

  private refreshMetadata(): void {
    if (this.metadataRefreshing || this.closed) return;
    this.metadataRefreshing = true;
    const topics = new Set([...this.wanted.values()].map((tp) => tp.topic));
    for (const ref of this.ledger.waitingPartitions()) topics.add(ref.topic);
    this.client.requestMetadataUpdate();
    this.client
      .topicMetadata(topics)
      .then(
        () => this.warnings.reset('metadata'),
        (error: unknown) => {
          if (error instanceof AuthenticationError) this.stoppedBy ??= error;
          else this.warnings.warn('metadata', { err: error }, 'metadata refresh failed');
        },
      )
      .finally(() => {
        this.metadataRefreshing = false;
        this.later(this.config.retryBackoffMs);
      });
  }
}
