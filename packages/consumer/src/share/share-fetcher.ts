/**
 * The share fetch loop: for every leader broker of the assigned partitions, one request at a time in a
 * share session: a ShareFetch long poll that carries the acknowledgements waiting for that broker's
 * partitions (piggybacked, as Java's share consumer does), or a ShareAcknowledge when acknowledgements
 * must not wait for data (a commit, a partition no longer fetched, no room to fetch). Acquired records
 * go into a buffer bounded by memory (`ShareFetchBuffer`); acknowledgements are kept, sent and answered
 * in the `AcknowledgementLedger`.
 */
import {
  AuthenticationError,
  type Clock,
  type ClusterClient,
  failure,
  RateLimitedLog,
} from '@runnel/network';
import { ErrorCode, KafkaProtocolError, type ShareFetchResponse } from '@runnel/protocol';
import { partitionKey, type TopicPartition } from '../batch.js';
import type { ClientContext } from '../context.js';
import { recordClassesFor } from '../deserializers.js';
import type { ClientEventMap, ConsumerEvents } from '../events.js';
import { LoopSignal } from '../loop-signal.js';
import { AcknowledgementLedger, type AcknowledgementResult } from './acknowledgement-ledger.js';
import { ShareBrokers } from './share-brokers.js';
import type { ResolvedShareConfig } from './share-config.js';
import { ShareFetchBuffer, type SharePartitionData, type ShareTakeResult } from './share-fetch-buffer.js';
import { AckCode, type ShareDelivery } from './share-records.js';
import { readShareFetch } from './share-requests.js';
import type { SessionPartition } from './share-session.js';

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
  private readonly brokers: ShareBrokers;
  private readonly ledger: AcknowledgementLedger;
  private readonly buffer: ShareFetchBuffer;
  private readonly errors: Error[] = [];
  private readonly warnings: RateLimitedLog;
  private readonly loop: LoopSignal;
  private readonly client: ClusterClient;
  private readonly config: ResolvedShareConfig;
  private readonly clock: Clock;
  private readonly events: ConsumerEvents<ClientEventMap>;
  private urgent = 0;
  private closing = false;
  private closed = false;
  private metadataRefreshing = false;
  private stoppedBy: AuthenticationError | null = null;

  /**
   * Acquisition locks are measured on the clock's wall time (`lockExpiresAt` is a time people read);
   * backoffs and deadlines on its monotonic time.
   * @param memberId the share member's id (it never changes for the life of the member)
   * @param onResults told of every acknowledgement result (the acknowledgement commit callback)
   */
  constructor(
    context: ClientContext<ResolvedShareConfig>,
    memberId: string,
    onResults: (results: readonly AcknowledgementResult[]) => void,
  ) {
    const { client, config, clock } = context;
    this.client = client;
    this.config = config;
    this.clock = clock;
    this.events = context.events;
    this.loop = new LoopSignal(clock, () => this.pump());
    this.warnings = new RateLimitedLog(config.logger, () => clock.now());
    this.ledger = new AcknowledgementLedger((results) => {
      try {
        onResults(results);
      } catch (error) {
        config.logger.error(
          failure('acknowledgement_callback_failed', error),
          'acknowledgement commit callback failed',
        );
      }
    });
    this.buffer = new ShareFetchBuffer(
      config.maxBufferedBytes,
      config.fetchMaxBytes,
      {
        checkCrcs: config.checkCrcs,
        maxDecompressedSize: config.maxDecompressedSize,
        recordClasses: recordClassesFor(config.keyDeserializer, config.valueDeserializer),
      },
      {
        settle: (data, offsets, code) => {
          const ref = this.refs.get(data.key);
          if (ref !== undefined) for (const o of offsets) this.ledger.add(ref, o, code, data.lockExpiresAt);
        },
        expired: (data, count) => {
          this.counts.locksExpired += count;
          this.warnings.warn(
            `expired ${data.key}`,
            {
              event: 'share_lock_expired',
              code: 'ERR_ACQUISITION_LOCK_TIMEOUT',
              topic: data.topic,
              partition: data.partition,
              records: count,
            },
            'acquisition lock ran out before the records were handed out; the broker delivers them again',
          );
        },
        readError: (data, error) => {
          this.counts.fetchErrors++;
          config.logger.error(
            { ...failure('share_records_unreadable', error), topic: data.topic, partition: data.partition },
            'unreadable records released',
          );
        },
      },
    );
    this.brokers = new ShareBrokers(context, memberId, {
      ledger: this.ledger,
      warnings: this.warnings,
      counts: this.counts,
      buffer: this.buffer,
      leaderOf: (ref) => this.leaderOf(ref),
      fetched: (nodeId, response, sentAt) => this.onFetchResponse(nodeId, response, sentAt),
      stopped: (error) => this.stop(error),
      refreshMetadata: () => this.refreshMetadata(),
      isClosed: () => this.closed,
      wake: () => this.wake(),
    });
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
    return this.brokers.requestsInFlight;
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
      this.clock.wallClockMs(),
    );
    if (taken !== null) this.wake();
    return taken;
  }

  /**
   * The user is done with `delivery`: settles it per `mode` (see ShareDelivery.finish) and frees what it held.
   * @throws IllegalStateError in explicit mode when records are not acknowledged (nothing changes).
   */
  finish(delivery: ShareDelivery, mode: 'implicit' | 'explicit'): void {
    this.counts.locksExpired += delivery.finish(mode, this.clock.wallClockMs());
    this.buffer.release(delivery);
    this.wake();
  }

  /** Releases what of `delivery` is not acknowledged (see ShareDelivery.release), and frees what it held. */
  release(delivery: ShareDelivery, mode: 'implicit' | 'explicit', from = 0): void {
    this.counts.locksExpired += delivery.release(mode, this.clock.wallClockMs(), from);
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
        () => this.clock.now(),
        (ms) => this.loop.changedOrAfter(ms),
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
   * @returns once every session is closed or `deadline` (clock time) passed.
   */
  async closeSessions(deadline: number): Promise<void> {
    this.closing = true;
    this.buffer.drop();
    for (const delivery of [...this.buffer.deliveries]) this.release(delivery, 'explicit');
    while (this.brokers.requestsInFlight > 0 && this.clock.now() < deadline && !this.closed) {
      await this.loop.changedOrAfter(Math.min(100, deadline - this.clock.now()));
    }
    const closing = this.brokers.closeSessions();
    let timer: unknown;
    const timeout = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(resolve, Math.max(0, deadline - this.clock.now()));
    });
    await Promise.race([Promise.all(closing), timeout]);
    this.clock.clearTimeout(timer);
  }

  /** @returns a promise that resolves at the next change (records arrived, an answer, close). */
  changed(): Promise<void> {
    return this.loop.changed();
  }

  /** Schedules a pass of the loop (coalesced), and wakes whoever waits for a change. */
  wake(): void {
    this.loop.wake();
  }

  /** Stops everything and forgets buffered data; requests in flight end with the client. */
  close(): void {
    this.closed = true;
    this.buffer.clear();
    this.loop.close();
  }

  // ---------------------------------------------------------------------------------------------

  private onAcknowledged(delivery: ShareDelivery, offset: number, code: AckCode): void {
    const { topic, partition, lockExpiresAt } = delivery.batch;
    const ref = this.refs.get(partitionKey(topic, partition));
    if (ref !== undefined) this.ledger.add(ref, offset, code, lockExpiresAt);
    this.wake();
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

  private pump(): void {
    if (this.closed || this.closing || this.stoppedBy) return;
    const now = this.clock.now();
    this.ledger.expire(this.clock.wallClockMs());
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
    const fetchNodes = [...byNode.keys()].filter((n) => !this.brokers.busy(n));
    // Brokers share what room there is, so that answers together stay within the bound.
    const room = fetchNodes.length === 0 ? 0 : Math.floor(this.buffer.room / fetchNodes.length);
    let earliestRetry = Number.POSITIVE_INFINITY;
    for (const nodeId of new Set([...byNode.keys(), ...ackNodes])) {
      if (this.brokers.busy(nodeId)) continue;
      const retryAt = this.brokers.retryTime(nodeId);
      if (retryAt > now) {
        earliestRetry = Math.min(earliestRetry, retryAt);
        continue;
      }
      const session = this.brokers.session(nodeId);
      const wantedHere = byNode.get(nodeId) ?? [];
      const canFetch = wantedHere.length > 0 && room > 0;
      // Acknowledgements ride on the next ShareFetch, unless they must not wait for one.
      if (session.open && ackNodes.has(nodeId) && (this.urgent > 0 || !canFetch)) {
        void this.brokers.acknowledge(nodeId);
      } else if (canFetch) {
        this.brokers.fetch(nodeId, wantedHere, Math.min(this.config.fetchMaxBytes, room));
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
    if (earliestRetry < Number.POSITIVE_INFINITY) this.loop.later(Math.max(1, earliestRetry - now));
  }

  private onFetchResponse(nodeId: number, response: ShareFetchResponse, sentAt: number): void {
    if (response.acquisitionLockTimeoutMs > 0) this.lockTimeoutMs = response.acquisitionLockTimeoutMs;
    // Counted from when the request left: the broker started the lock somewhere after that.
    const lockExpiresAt = sentAt + (this.lockTimeoutMs ?? 30_000);
    const answer = readShareFetch(response, (id) => this.client.metadata.topicName(id), lockExpiresAt);
    for (const { topic, partition, error } of answer.partitionErrors) {
      this.warnings.warn(
        `partition ${topic}:${partition}`,
        { ...failure('share_fetch_partition_error', error), topic, partition },
        'share fetch partition error',
      );
    }
    // Nothing is sized by a range that fails its checks; those records come back after their lock.
    this.counts.fetchErrors += answer.invalid.length;
    this.errors.push(...answer.invalid);
    for (const data of answer.acquired) {
      this.warnings.reset(`partition ${data.key}`);
      this.acquired(data);
    }
    if (answer.partitionErrors.length > 0) this.refreshMetadata();
    this.ledger.answered(this.ledger.arrived(nodeId), (key) => answer.acknowledgements.get(key));
  }

  /** Buffers what one partition acquired, or releases it when the partition is no longer fetched. */
  private acquired(data: SharePartitionData): void {
    this.counts.bytesFetched += data.records?.length ?? 0;
    for (const r of data.acquired) this.counts.recordsAcquired += r.last - r.first + 1;
    if (this.wanted.has(data.key) && !this.closing) {
      this.buffer.add(data);
      return;
    }
    const ref = this.refs.get(data.key);
    if (ref === undefined) return;
    for (const r of data.acquired) {
      for (let o = r.first; o <= r.last; o++) this.ledger.add(ref, o, AckCode.release, data.lockExpiresAt);
    }
  }

  /** Stops all fetching for good: the credentials were refused (told once, as the `fatal` event). */
  private stop(error: AuthenticationError): void {
    if (this.stoppedBy !== null) return;
    this.stoppedBy = error;
    this.config.logger.error(
      failure('authentication_failed', error),
      'authentication failed, share fetching stopped',
    );
    this.events.emit('fatal', { error });
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
          if (error instanceof AuthenticationError) this.stop(error);
          else
            this.warnings.warn(
              'metadata',
              failure('metadata_refresh_failed', error),
              'metadata refresh failed',
            );
        },
      )
      .finally(() => {
        this.metadataRefreshing = false;
        this.loop.later(this.config.retryBackoffMs);
      });
  }
}
