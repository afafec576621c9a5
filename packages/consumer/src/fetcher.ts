/**
 * The fetch loop: for every broker the assigned partitions are fetched from (each partition's leader,
 * or the preferred read replica its leader named; see read-replica.ts), one Fetch long poll at a time
 * inside an incremental fetch session; fetched data goes into a buffer bounded by memory (see
 * FetchBuffer), from which the consumer takes one partition's batch at a time. Before a partition is
 * fetched its position is looked up, and after a leader change checked (see Positions).
 */

import { AuthenticationError, type ClusterClient, failure, RateLimitedLog } from '@runnel/network';
import { Fetch, type FetchResponse } from '@runnel/protocol';
import { AssignedPartition } from './assigned-partition.js';
import { partitionKey, type TopicPartition } from './batch.js';
import { BatchRelease } from './batch-release.js';
import type { ResolvedConfig } from './config.js';
import type { ConsumerContext } from './context.js';
import { recordClassesFor } from './deserializers.js';
import { type Delivery, FetchBuffer, type TakeResult } from './fetch-buffer.js';
import { buildFetchRequest, FIRST_TOPIC_ID_VERSION, withRecords } from './fetch-request.js';
import { FetchSession, type FetchSessionRequest, type SessionPartition } from './fetch-session.js';
import { LongPollHold } from './long-poll-hold.js';
import { LoopSignal } from './loop-signal.js';
import { noLeaderError } from './offset-requests.js';
import { type FetcherStats, onPartitionData, type PartitionResponseHost } from './partition-response.js';
import { Positions } from './positions.js';
import { isOnlineReplica } from './read-replica.js';
import { warmLeaderConnections } from './warm-up.js';

export type { Delivery, TakeResult } from './fetch-buffer.js';

export type { FetcherStats } from './partition-response.js';

const UNKNOWN_TOPIC_OR_PARTITION = 3;

export class Fetcher {
  readonly partitions = new Map<string, AssignedPartition>();
  readonly stats: FetcherStats = { fetchesSent: 0, fetchErrors: 0, bytesFetched: 0 };
  /** Start positions, truncation checks, and the moves the user asks for. */
  readonly positions: Positions;
  private readonly client: ClusterClient;
  private readonly config: ResolvedConfig;
  private readonly sessions = new Map<number, FetchSession>();
  private readonly inFlight = new Set<number>();
  private readonly nodeRetryAt = new Map<number, number>();
  private readonly longPolls: LongPollHold;
  private readonly buffer: FetchBuffer;
  private readonly warnings: RateLimitedLog;
  private readonly responseHost: PartitionResponseHost;
  private metadataRefreshing = false;
  /**
   * Whether fetched data must wait before it is handed out: under a group whose coordinator has not
   * confirmed the membership since a heartbeat failed, the partitions may be another member's by now
   * (see `GroupMember.membershipInDoubt`). Fetching goes on; call `wake` once it turns false.
   */
  holdDeliveries: () => boolean = () => false;
  private readonly loop: LoopSignal;
  private closed = false;
  private stoppedBy: AuthenticationError | null = null;

  constructor(private readonly context: ConsumerContext) {
    const { client, config, clock } = context;
    this.client = client;
    this.config = config;
    this.loop = new LoopSignal(clock, () => this.pump());
    this.longPolls = new LongPollHold(config.fetchMaxWaitMs);
    const batchRelease = config.releaseBatchMemory ? new BatchRelease() : null;
    this.buffer = new FetchBuffer(
      config.maxBufferedBytes,
      config.maxPartitionFetchBytes,
      clock,
      () => {
        this.stats.fetchErrors++;
      },
      config.maxPollRecords ?? Number.POSITIVE_INFINITY,
      batchRelease,
    );
    this.warnings = new RateLimitedLog(config.logger, () => clock.now());
    this.positions = new Positions({
      context,
      isClosed: () => this.closed,
      stopOnAuthentication: (error) => this.stopOnAuthentication(error),
      refreshMetadata: () => this.refreshMetadata(),
      later: (ms) => this.later(ms),
      wake: () => this.wake(),
      changed: () => this.changed(),
      purge: (p) => this.purge(p),
      warnRepeated: (key, obj, msg) => this.warnings.warn(key, obj, msg),
    });
    this.responseHost = {
      client,
      config,
      clock,
      stats: this.stats,
      buffer: this.buffer,
      positions: this.positions,
      warnings: this.warnings,
      recordClasses: recordClassesFor(config.keyDeserializer, config.valueDeserializer),
      batchRelease,
      refreshMetadata: () => this.refreshMetadata(),
      wake: () => this.wake(),
    };
  }

  /** @returns the memory fetched data takes: buffered responses, and batches handed out but not finished. */
  get bufferedBytes(): number {
    return this.buffer.bufferedBytes;
  }

  /**
   * @returns the authentication failure (TLS or SASL) that stopped all fetching, or null. The same
   * credentials fail the same way on every retry, so the fetcher stops at the first one.
   */
  get fatalError(): AuthenticationError | null {
    return this.stoppedBy;
  }

  /** @returns the number of Fetch requests in flight (one per broker at most). */
  get fetchesInFlight(): number {
    return this.inFlight.size;
  }

  /** Replaces the assignment; dropped partitions lose their buffered data. @returns the partitions removed. */
  setAssignment(list: readonly { topic: string; partition: number }[]): AssignedPartition[] {
    const next = new Set(list.map((p) => partitionKey(p.topic, p.partition)));
    const removed: AssignedPartition[] = [];
    for (const [key, p] of this.partitions) {
      if (next.has(key)) continue;
      p.revoked = true;
      this.purge(p);
      this.partitions.delete(key);
      removed.push(p);
    }
    const added: TopicPartition[] = [];
    for (const { topic, partition } of list) {
      const key = partitionKey(topic, partition);
      if (this.partitions.has(key)) continue;
      this.partitions.set(key, new AssignedPartition(topic, partition));
      added.push({ topic, partition });
    }
    if (added.length > 0) this.prepareFor(added);
    this.wake();
    return removed;
  }

  /**
   * New partitions: their leaders' connections open while their start positions are looked up, so
   * that the first Fetch does not wait for a connect and handshake after ListOffsets (see warm-up.ts).
   */
  private prepareFor(partitions: TopicPartition[]): void {
    this.client.topicMetadata(new Set(partitions.map((p) => p.topic))).then(
      (metadata) => {
        if (!this.closed) warmLeaderConnections(this.client, metadata, { partitions });
      },
      // The position lookup meets (and reports) the same failure.
      () => {},
    );
  }

  /** Drops the buffered data of a partition (after a seek or revocation). */
  purge(p: AssignedPartition): void {
    this.buffer.purge(p);
  }

  /**
   * Takes the next batch of a partition that is neither paused nor held by the user, and moves that
   * partition's fetch position past it (so its next Fetch can start at once).
   * @returns the delivery, an error the user must see, or null when nothing is ready or deliveries
   *   are held (`holdDeliveries`). After an authentication failure, that error on every call.
   */
  take(): TakeResult {
    if (this.stoppedBy) return { error: this.stoppedBy };
    for (const p of this.partitions.values()) {
      if (p.halted !== null && !p.haltedReported) {
        p.haltedReported = true;
        return { error: p.halted };
      }
    }
    if (this.holdDeliveries()) return null;
    const entries = this.buffer.entries;
    const taken = this.buffer.take(this.config.retryBackoffMs);
    // Data left the buffer or a partition became free: the loop may fetch again. That includes data
    // that held nothing to hand out (a transaction marker, aborted records, data a seek made stale):
    // no batch comes of it, yet its partition is fetchable again and nothing else would wake the loop.
    if (taken !== null || this.buffer.entries !== entries) this.wake();
    return taken;
  }

  /**
   * Records that the user is done with a delivered batch and releases what it held; with `processed`,
   * its partition's consumed position moves past it. A second call for the same delivery does nothing.
   */
  finish(delivery: Delivery, processed = true): void {
    if (!this.buffer.release(delivery)) return;
    const p = delivery.partition;
    p.busy = false;
    if (processed && p.generation === delivery.generation && !p.revoked) p.consumed = delivery.next;
    this.wake();
  }

  /** Releases what a delivery held without touching its partition (run's parallel orderings). */
  releaseHeld(delivery: Delivery): void {
    if (this.buffer.release(delivery)) this.wake();
  }

  /** @returns a promise that resolves at the next change (data arrived, a partition freed, close). */
  changed(): Promise<void> {
    return this.loop.changed();
  }

  /** Schedules a pass of the loop (coalesced). */
  wake(): void {
    this.loop.wake();
  }

  /** Stops fetching and forgets buffered data; in-flight requests end with the client. */
  close(): void {
    this.closed = true;
    this.buffer.clear();
    this.loop.close();
  }

  private later(ms: number): void {
    // The clock's timers are unref'd: the consumer's keep-alive holds the process while someone waits
    // for data, and this timer must not.
    this.loop.later(ms);
  }

  /**
   * Stops fetching for good when `error` is an authentication failure.
   * @returns whether it was one.
   */
  private stopOnAuthentication(error: unknown): boolean {
    if (!(error instanceof AuthenticationError)) return false;
    if (this.stoppedBy === null && !this.closed) {
      this.stoppedBy = error;
      this.config.logger.error(
        failure('authentication_failed', error),
        'authentication failed, fetching stopped',
      );
      this.context.events.emit('fatal', { error });
      this.wake();
    }
    return true;
  }

  private pump(): void {
    if (this.closed || this.stoppedBy) return;
    const now = this.context.clock.now();
    this.positions.lookUp(this.partitions.values(), now);
    if (this.buffer.room <= 0) return;

    const metadata = this.client.metadata;
    const byNode = new Map<number, AssignedPartition[]>();
    let missing = false;
    let earliestRetry = Number.POSITIVE_INFINITY;
    for (const p of this.partitions.values()) {
      if (!p.fetchable(now)) {
        if (p.retryAt > now) earliestRetry = Math.min(earliestRetry, p.retryAt);
        continue;
      }
      const leader = metadata.leaderFor(p.topic, p.partition);
      if (!leader) {
        if (!this.haltIfGone(p, now)) missing = true;
        continue;
      }
      p.missingSince = null;
      const nodeId = this.readFrom(p, leader.nodeId, now);
      const retryAt = nodeId === null ? p.retryAt : (this.nodeRetryAt.get(nodeId) ?? 0);
      if (retryAt > now) {
        earliestRetry = Math.min(earliestRetry, retryAt);
        continue;
      }
      if (nodeId === null || this.inFlight.has(nodeId)) continue;
      const list = byNode.get(nodeId) ?? [];
      list.push(p);
      byNode.set(nodeId, list);
    }
    if (missing) this.refreshMetadata();
    if (earliestRetry < Number.POSITIVE_INFINITY) this.later(Math.max(1, earliestRetry - now));
    for (const [nodeId, list] of byNode) {
      if (this.holdLongPoll(nodeId, list, now)) byNode.delete(nodeId);
    }
    for (const [nodeId, list] of byNode) {
      // Brokers share what room there is, so that responses together stay within the bound.
      const room = Math.floor(this.buffer.room / byNode.size);
      if (room > 0) this.sendFetch(nodeId, list, Math.min(this.config.fetchMaxBytes, room));
    }
  }

  /**
   * @returns whether the Fetch of `list` to `nodeId` waits (see long-poll-hold.ts): all of it is at its
   *   log end while another partition read from that broker will want a Fetch soon.
   */
  private holdLongPoll(nodeId: number, list: readonly AssignedPartition[], now: number): boolean {
    const readCommitted = this.config.isolationLevel === 'read_committed';
    if (!list.every((p) => p.atLogEnd(readCommitted)) || !this.wantedSoonFrom(nodeId, readCommitted)) {
      this.longPolls.release(nodeId);
      return false;
    }
    const { leftMs, started } = this.longPolls.hold(nodeId, now);
    if (started) this.later(leftMs);
    return leftMs > 0;
  }

  /** @returns whether a partition read from `nodeId` holds an answer ahead and more of its log behind it. */
  private wantedSoonFrom(nodeId: number, readCommitted: boolean): boolean {
    const metadata = this.client.metadata;
    for (const p of this.partitions.values()) {
      if (!p.wantsFetchSoon(readCommitted)) continue;
      const from = p.readReplica.preferred ?? metadata.leaderFor(p.topic, p.partition)?.nodeId;
      if (from === nodeId) return true;
    }
    return false;
  }

  /**
   * @returns the node a partition is fetched from now: its preferred read replica while that holds
   *   (see read-replica.ts), else `leaderId`; null when it waits first. A replica the metadata no longer
   *   lists sends the partition back to its leader after `retryBackoffMs`, while the metadata is
   *   refreshed: the leader would name it again at once, and the two would trade fetches in a loop.
   */
  private readFrom(p: AssignedPartition, leaderId: number, now: number): number | null {
    const before = p.readReplica.preferred;
    // The common case, no replica named (no `rack`, or the leader is the closest): nothing to check.
    if (before === null) return leaderId;
    const { nodeId, effect } = p.readReplica.target(now, (id) =>
      isOnlineReplica(this.client.metadata, p.topic, p.partition, id),
    );
    if (before !== null && nodeId === null) {
      this.config.logger.debug(
        {
          topic: p.topic,
          partition: p.partition,
          nodeId: before,
          why: effect === 'none' ? 'expired' : 'unlisted',
        },
        'preferred read replica dropped, fetching from the leader',
      );
    }
    if (effect === 'refreshMetadata') {
      this.client.requestMetadataUpdate();
      this.refreshMetadata();
      p.retryAt = now + this.config.retryBackoffMs;
      return null;
    }
    return nodeId ?? leaderId;
  }

  /**
   * A fetched partition whose topic the metadata no longer has a leader for: halts it when the topic
   * is invalid or refused, or unknown for longer than `defaultApiTimeoutMs` (deleted, or never there).
   * @returns whether it halted the partition.
   */
  private haltIfGone(p: AssignedPartition, now: number): boolean {
    const metadata = this.client.metadata;
    if (metadata.topic(p.topic) === undefined) return false;
    const error = noLeaderError(metadata, p.topic, p.partition);
    if (error.errorCode === UNKNOWN_TOPIC_OR_PARTITION) p.missingSince ??= now;
    else p.missingSince = null;
    const gone =
      !error.retriable ||
      (p.missingSince !== null && now - p.missingSince >= this.config.defaultApiTimeoutMs);
    if (!gone) return false;
    this.config.logger.error(
      { ...failure('partition_stopped', error), topic: p.topic, partition: p.partition },
      'partition stopped',
    );
    p.halt(error);
    this.wake();
    return true;
  }

  private refreshMetadata(): void {
    if (this.metadataRefreshing || this.closed) return;
    this.metadataRefreshing = true;
    const topics = new Set([...this.partitions.values()].map((p) => p.topic));
    this.client.requestMetadataUpdate();
    this.client
      .topicMetadata(topics)
      .then(
        () => this.client.refreshMetadata(),
        (error: unknown) => void this.stopOnAuthentication(error),
      )
      .then(
        () => this.warnings.reset('metadata'),
        (error: unknown) => {
          if (!this.stopOnAuthentication(error))
            this.warnings.warn(
              'metadata',
              failure('metadata_refresh_failed', error),
              'metadata refresh failed',
            );
        },
      )
      .finally(() => {
        this.metadataRefreshing = false;
        // Leaders may still be unknown right after a topic is created: look again after a backoff.
        this.later(this.config.retryBackoffMs);
      });
  }

  private sendFetch(nodeId: number, parts: AssignedPartition[], roomBytes: number): void {
    const metadata = this.client.metadata;
    let session = this.sessions.get(nodeId);
    if (!session) {
      session = new FetchSession();
      this.sessions.set(nodeId, session);
    }
    const wanted: SessionPartition[] = parts.map((p) => {
      const from = p.fetchFrom!;
      return {
        topic: p.topic,
        partition: p.partition,
        fetchOffset: from.offset,
        currentLeaderEpoch: metadata.partition(p.topic, p.partition)?.leaderEpoch ?? -1,
        lastFetchedEpoch: from.leaderEpoch,
        maxBytes: p.fetchSize ?? this.config.maxPartitionFetchBytes,
      };
    });
    // A partition grown past its usual size after partial answers gets what it needs to make progress.
    const maxBytes = Math.max(roomBytes, ...parts.map((p) => p.fetchSize ?? 0));
    const request = session.build(wanted);
    const generations = new Map<string, number>();
    for (const p of parts) {
      p.fetching = true;
      generations.set(p.key, p.generation);
    }
    const topicIds = new Map<string, string>();
    let allIds = true;
    for (const p of [...request.next.values(), ...request.forgotten]) {
      const id = metadata.topic(p.topic)?.topicId;
      if (id) topicIds.set(p.topic, id);
      else allIds = false;
    }
    this.inFlight.add(nodeId);
    this.buffer.reserve(maxBytes);
    this.stats.fetchesSent++;
    this.config.logger.debug(
      {
        nodeId,
        sessionId: request.sessionId,
        epoch: request.sessionEpoch,
        partitions: request.partitions.length,
        forgotten: request.forgotten.length,
        maxBytes,
      },
      'sending fetch',
    );
    const fetchSession = session;
    const { events, clock } = this.context;
    const startedAt = clock.now();
    if (events.has('fetchStart'))
      events.emit('fetchStart', { nodeId, partitions: request.partitions.length });
    this.client
      .send({
        target: { kind: 'broker', nodeId },
        api: Fetch,
        purpose: 'fetch',
        retry: false,
        timeoutMs: this.config.fetchMaxWaitMs + this.config.requestTimeoutMs,
        ...(allIds ? {} : { maxVersion: FIRST_TOPIC_ID_VERSION - 1 }),
        message: (version: number) => buildFetchRequest(request, version, topicIds, this.config, maxBytes),
      })
      .then(
        (response) => {
          this.buffer.unreserve(maxBytes);
          this.warnings.reset(`fetch ${nodeId}`);
          if (events.has('fetch')) {
            const durationMs = clock.now() - startedAt;
            events.emit('fetch', { nodeId, partitionsWithRecords: withRecords(response), durationMs });
          }
          this.onFetchResponse(nodeId, fetchSession, request, response, generations);
        },
        (error: unknown) => {
          this.buffer.unreserve(maxBytes);
          fetchSession.onFailure(request);
          if (this.closed || this.stopOnAuthentication(error)) return;
          this.stats.fetchErrors++;
          // Partitions fetched from this node as their preferred read replica go back to their leader.
          for (const p of parts) p.readReplica.failed('unreachable', nodeId);
          this.context.events.emit('fetchError', { nodeId, error: error as Error });
          this.warnings.warn(
            `fetch ${nodeId}`,
            { ...failure('fetch_failed', error), nodeId },
            'fetch failed',
          );
          this.nodeRetryAt.set(nodeId, this.context.clock.now() + this.config.retryBackoffMs);
          this.client.requestMetadataUpdate();
          this.refreshMetadata();
        },
      )
      .finally(() => {
        this.inFlight.delete(nodeId);
        for (const p of parts) p.fetching = false;
        this.wake();
      });
  }

  private onFetchResponse(
    nodeId: number,
    session: FetchSession,
    request: FetchSessionRequest,
    response: FetchResponse,
    generations: Map<string, number>,
  ): void {
    const errorCode = response.errorCode ?? 0;
    this.config.logger.debug(
      { nodeId, errorCode, sessionId: response.sessionId, topics: response.responses.length },
      'fetch response',
    );
    if (!session.onResponse(request, errorCode, response.sessionId ?? 0)) {
      if (errorCode !== 0) {
        this.config.logger.debug({ nodeId, errorCode }, 'fetch session reset');
        if (errorCode !== 70 && errorCode !== 71)
          this.nodeRetryAt.set(nodeId, this.context.clock.now() + this.config.retryBackoffMs);
      }
      return;
    }
    if (this.closed) return;
    const metadata = this.client.metadata;
    for (const t of response.responses) {
      const topic = t.topic || (t.topicId ? metadata.topicName(t.topicId) : undefined);
      if (!topic) continue;
      for (const data of t.partitions) {
        const key = partitionKey(topic, data.partitionIndex);
        const sent = request.next.get(key);
        const p = this.partitions.get(key);
        if (!sent || !p || p.revoked || p.generation !== generations.get(key)) continue;
        // Asked from where the partition's data now ends (it may have been handed out meanwhile).
        if (p.fetchFrom?.offset !== sent.fetchOffset) continue;
        onPartitionData(this.responseHost, p, sent.fetchOffset, data, nodeId);
      }
    }
  }
}
