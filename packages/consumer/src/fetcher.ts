/**
 * The fetch loop: for every leader broker of the assigned partitions, one Fetch long poll at a time
 * inside an incremental fetch session; fetched data goes into a buffer bounded by bytes, from which the
 * consumer takes one partition's batch at a time. Positions are looked up (committed offset or reset
 * policy) before a partition is fetched, and checked against the leader after a leader change.
 */

import { AuthenticationError, type ClusterClient } from '@runnel/network';
import {
  Fetch,
  type FetchRequest,
  type FetchRequestFetchTopic,
  type FetchResponse,
  type FetchResponsePartitionData,
  KafkaProtocolError,
} from '@runnel/protocol';
import { AssignedPartition, type BufferedFetch } from './assigned-partition.js';
import { type ConsumerBatch, type OffsetAndEpoch, partitionKey } from './batch.js';
import type { ResolvedConfig } from './config.js';
import { NoOffsetForPartitionError, OffsetOutOfRangeError } from './errors.js';
import { FetchSession, type FetchSessionRequest, type SessionPartition } from './fetch-session.js';
import {
  EARLIEST_TIMESTAMP,
  fetchCommittedOffsets,
  LATEST_TIMESTAMP,
  listOffsets,
  offsetsForLeaderEpochs,
} from './offset-requests.js';
import { processPartitionFetch } from './partition-fetch.js';

const OFFSET_OUT_OF_RANGE = 1;
const UNKNOWN_LEADER_EPOCH = 75;
/** Partition errors that mean our metadata (leader, epoch, topic id) is stale. */
const STALE_METADATA = new Set([3, 5, 6, 9, 56, 74, 100, 103]);
/** Fetch v13+ names topics by id; older versions by name. */
const FIRST_TOPIC_ID_VERSION = 13;

/** A batch handed to the user; `finish` records it as processed. */
export interface Delivery {
  readonly batch: ConsumerBatch;
  readonly partition: AssignedPartition;
  readonly generation: number;
  readonly next: OffsetAndEpoch;
}

/** What {@link Fetcher.take} returns. */
export type TakeResult = { readonly delivery: Delivery } | { readonly error: Error } | null;

/** Counters for the health snapshot. */
export interface FetcherStats {
  fetchesSent: number;
  fetchErrors: number;
  bytesFetched: number;
}

export class Fetcher {
  readonly partitions = new Map<string, AssignedPartition>();
  readonly stats: FetcherStats = { fetchesSent: 0, fetchErrors: 0, bytesFetched: 0 };
  private readonly sessions = new Map<number, FetchSession>();
  private readonly inFlight = new Set<number>();
  private readonly nodeRetryAt = new Map<number, number>();
  private readonly ready: BufferedFetch[] = [];
  private bufferedBytesValue = 0;
  private pumpScheduled = false;
  private metadataRefreshing = false;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly waiters = new Set<() => void>();
  private closed = false;
  private stoppedBy: AuthenticationError | null = null;

  constructor(
    private readonly client: ClusterClient,
    private readonly config: ResolvedConfig,
  ) {}

  /** @returns the bytes of fetched data not yet handed out. */
  get bufferedBytes(): number {
    return this.bufferedBytesValue;
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
    for (const { topic, partition } of list) {
      const key = partitionKey(topic, partition);
      if (!this.partitions.has(key)) this.partitions.set(key, new AssignedPartition(topic, partition));
    }
    this.wake();
    return removed;
  }

  /** Drops the buffered data of a partition (after a seek or revocation). */
  purge(p: AssignedPartition): void {
    for (let i = this.ready.length - 1; i >= 0; i--) {
      const entry = this.ready[i]!;
      if (entry.partition !== p) continue;
      this.ready.splice(i, 1);
      this.bufferedBytesValue -= entry.sizeInBytes;
    }
    p.buffered = null;
  }

  /**
   * Takes the oldest buffered batch of a partition that is neither paused nor held by the user, and
   * moves that partition's fetch position past it (so its next Fetch can start at once).
   * @returns the delivery, an error the user must see, or null when nothing is ready. After an
   *   authentication failure, that error on every call.
   */
  take(): TakeResult {
    if (this.stoppedBy) return { error: this.stoppedBy };
    for (const p of this.partitions.values()) {
      if (p.halted !== null && !p.haltedReported) {
        p.haltedReported = true;
        return { error: p.halted };
      }
    }
    for (let i = 0; i < this.ready.length; i++) {
      const entry = this.ready[i]!;
      const p = entry.partition;
      const stale =
        p.revoked || entry.generation !== p.generation || p.position?.offset !== entry.fetchOffset;
      if (!stale && (p.paused || p.busy || p.revoking)) continue;
      this.ready.splice(i, 1);
      i--;
      this.bufferedBytesValue -= entry.sizeInBytes;
      if (p.buffered === entry) p.buffered = null;
      this.wake();
      if (stale) continue;
      if (entry.error) {
        p.retryAt = Date.now() + this.config.retryBackoffMs;
        return { error: entry.error };
      }
      const result = entry.result!;
      if (result.nextPosition) p.position = result.nextPosition;
      if (!result.batch) {
        if (result.nextPosition) p.consumed = result.nextPosition;
        continue;
      }
      p.busy = true;
      return {
        delivery: { batch: result.batch, partition: p, generation: p.generation, next: result.nextPosition! },
      };
    }
    return null;
  }

  /** Records that the user finished a delivered batch: its partition's consumed position moves past it. */
  finish(delivery: Delivery): void {
    const p = delivery.partition;
    p.busy = false;
    if (p.generation === delivery.generation && !p.revoked) p.consumed = delivery.next;
    this.wake();
  }

  /** @returns a promise that resolves at the next change (data arrived, a partition freed, close). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  /** Schedules a pass of the loop (coalesced). */
  wake(): void {
    for (const w of this.waiters) w();
    this.waiters.clear();
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Stops fetching and forgets buffered data; in-flight requests end with the client. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.ready.length = 0;
    this.bufferedBytesValue = 0;
    for (const w of this.waiters) w();
    this.waiters.clear();
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

  /**
   * Stops fetching for good when `error` is an authentication failure.
   * @returns whether it was one.
   */
  private stopOnAuthentication(error: unknown): boolean {
    if (!(error instanceof AuthenticationError)) return false;
    if (this.stoppedBy === null && !this.closed) {
      this.stoppedBy = error;
      this.config.logger.error({ err: error }, 'authentication failed, fetching stopped');
      this.wake();
    }
    return true;
  }

  private pump(): void {
    if (this.closed || this.stoppedBy) return;
    const now = Date.now();
    const needPosition: AssignedPartition[] = [];
    const needValidation: AssignedPartition[] = [];
    for (const p of this.partitions.values()) {
      if (p.revoked || p.halted) continue;
      if (p.position === null && !p.initializing && p.retryAt <= now) needPosition.push(p);
      if (p.needsValidation && !p.validating && p.position !== null && !p.fetching && p.retryAt <= now) {
        needValidation.push(p);
      }
    }
    if (needPosition.length > 0) void this.initialize(needPosition);
    if (needValidation.length > 0) void this.validate(needValidation);
    if (this.bufferedBytesValue >= this.config.maxBufferedBytes) return;

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
        missing = true;
        continue;
      }
      const retryAt = this.nodeRetryAt.get(leader.nodeId) ?? 0;
      if (retryAt > now) {
        earliestRetry = Math.min(earliestRetry, retryAt);
        continue;
      }
      if (this.inFlight.has(leader.nodeId)) continue;
      const list = byNode.get(leader.nodeId) ?? [];
      list.push(p);
      byNode.set(leader.nodeId, list);
    }
    if (missing) this.refreshMetadata();
    if (earliestRetry < Number.POSITIVE_INFINITY) this.later(Math.max(1, earliestRetry - now));
    for (const [nodeId, list] of byNode) this.sendFetch(nodeId, list);
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
      .catch((error: unknown) => {
        if (!this.stopOnAuthentication(error))
          this.config.logger.warn({ err: error }, 'metadata refresh failed');
      })
      .finally(() => {
        this.metadataRefreshing = false;
        // Leaders may still be unknown right after a topic is created: look again after a backoff.
        this.later(this.config.retryBackoffMs);
      });
  }

  private sendFetch(nodeId: number, parts: AssignedPartition[]): void {
    const metadata = this.client.metadata;
    let session = this.sessions.get(nodeId);
    if (!session) {
      session = new FetchSession();
      this.sessions.set(nodeId, session);
    }
    const wanted: SessionPartition[] = parts.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      fetchOffset: p.position!.offset,
      currentLeaderEpoch: metadata.partition(p.topic, p.partition)?.leaderEpoch ?? -1,
      lastFetchedEpoch: p.position!.leaderEpoch,
      maxBytes: this.config.maxPartitionFetchBytes,
    }));
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
    this.stats.fetchesSent++;
    this.config.logger.debug(
      {
        nodeId,
        sessionId: request.sessionId,
        epoch: request.sessionEpoch,
        partitions: request.partitions.length,
        forgotten: request.forgotten.length,
      },
      'sending fetch',
    );
    const fetchSession = session;
    this.client
      .send({
        target: { kind: 'broker', nodeId },
        api: Fetch,
        purpose: 'fetch',
        retry: false,
        timeoutMs: this.config.fetchMaxWaitMs + this.config.requestTimeoutMs,
        ...(allIds ? {} : { maxVersion: FIRST_TOPIC_ID_VERSION - 1 }),
        message: (version: number) => this.fetchRequest(request, version, topicIds),
      })
      .then(
        (response) => this.onFetchResponse(nodeId, fetchSession, request, response, generations),
        (error: unknown) => {
          fetchSession.onFailure(request);
          if (this.closed || this.stopOnAuthentication(error)) return;
          this.stats.fetchErrors++;
          this.config.logger.warn({ err: error, nodeId }, 'fetch failed');
          this.nodeRetryAt.set(nodeId, Date.now() + this.config.retryBackoffMs);
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

  private fetchRequest(
    request: FetchSessionRequest,
    version: number,
    topicIds: Map<string, string>,
  ): FetchRequest {
    const byId = version >= FIRST_TOPIC_ID_VERSION;
    const topics = new Map<string, FetchRequestFetchTopic>();
    for (const p of request.partitions) {
      let t = topics.get(p.topic);
      if (!t) {
        t = byId ? { topicId: topicIds.get(p.topic)!, partitions: [] } : { topic: p.topic, partitions: [] };
        topics.set(p.topic, t);
      }
      t.partitions.push({
        partition: p.partition,
        currentLeaderEpoch: p.currentLeaderEpoch,
        fetchOffset: BigInt(p.fetchOffset),
        lastFetchedEpoch: p.lastFetchedEpoch,
        logStartOffset: -1n,
        partitionMaxBytes: p.maxBytes,
      });
    }
    const forgotten = new Map<string, number[]>();
    for (const p of request.forgotten)
      forgotten.set(p.topic, [...(forgotten.get(p.topic) ?? []), p.partition]);
    return {
      replicaId: -1,
      maxWaitMs: this.config.fetchMaxWaitMs,
      minBytes: this.config.fetchMinBytes,
      maxBytes: this.config.fetchMaxBytes,
      isolationLevel: this.config.isolationLevel === 'read_committed' ? 1 : 0,
      sessionId: request.sessionId,
      sessionEpoch: request.sessionEpoch,
      topics: [...topics.values()],
      forgottenTopicsData: [...forgotten].map(([topic, partitions]) =>
        byId ? { topicId: topicIds.get(topic)!, partitions } : { topic, partitions },
      ),
      rackId: this.config.rack ?? '',
    };
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
          this.nodeRetryAt.set(nodeId, Date.now() + this.config.retryBackoffMs);
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
        if (p.position?.offset !== sent.fetchOffset || p.buffered !== null) continue;
        this.onPartitionData(p, sent.fetchOffset, data);
      }
    }
  }

  private onPartitionData(p: AssignedPartition, fetchOffset: number, data: FetchResponsePartitionData): void {
    const hw = Number(data.highWatermark);
    if (hw >= 0) p.highWatermark = hw;
    p.lastStableOffset = Number(data.lastStableOffset);
    if (data.logStartOffset !== undefined && data.logStartOffset >= 0n)
      p.logStartOffset = Number(data.logStartOffset);
    const code = data.errorCode;
    if (code === 0) {
      const diverging = data.divergingEpoch;
      if (diverging && diverging.epoch >= 0 && diverging.endOffset >= 0n) {
        this.truncate(p, { offset: Number(diverging.endOffset), leaderEpoch: diverging.epoch });
        return;
      }
      let entry: BufferedFetch;
      try {
        const result = processPartitionFetch(
          {
            topic: p.topic,
            partition: p.partition,
            fetchOffset,
            records: data.records,
            highWatermark: p.highWatermark,
            lastStableOffset: p.lastStableOffset,
            abortedTransactions: data.abortedTransactions,
          },
          {
            readCommitted: this.config.isolationLevel === 'read_committed',
            checkCrcs: this.config.checkCrcs,
          },
        );
        if (result.nextPosition === null) return;
        entry = {
          partition: p,
          generation: p.generation,
          fetchOffset,
          result,
          error: null,
          sizeInBytes: result.sizeInBytes,
        };
        this.stats.bytesFetched += result.sizeInBytes;
      } catch (error) {
        entry = {
          partition: p,
          generation: p.generation,
          fetchOffset,
          result: null,
          error: error as Error,
          sizeInBytes: 0,
        };
      }
      p.buffered = entry;
      this.ready.push(entry);
      this.bufferedBytesValue += entry.sizeInBytes;
      return;
    }
    if (code === OFFSET_OUT_OF_RANGE) {
      if (this.config.autoOffsetReset === 'none') {
        p.halted = new OffsetOutOfRangeError(p.topic, p.partition, fetchOffset);
        p.haltedReported = false;
      } else {
        this.config.logger.info(
          { topic: p.topic, partition: p.partition, offset: fetchOffset, reset: this.config.autoOffsetReset },
          'fetch offset out of range, resetting',
        );
        p.seek(null, this.config.autoOffsetReset);
      }
      return;
    }
    if (STALE_METADATA.has(code)) {
      this.client.requestMetadataUpdate();
      this.refreshMetadata();
      if (p.position && p.position.leaderEpoch >= 0) p.needsValidation = true;
      p.retryAt = Date.now() + this.config.retryBackoffMs;
      return;
    }
    if (code === UNKNOWN_LEADER_EPOCH) {
      p.retryAt = Date.now() + this.config.retryBackoffMs;
      return;
    }
    const error = new KafkaProtocolError(code, `Fetch of ${p.topic}-${p.partition}`);
    this.config.logger.warn({ err: error, topic: p.topic, partition: p.partition }, 'fetch partition error');
    p.retryAt = Date.now() + this.config.retryBackoffMs;
    if (!error.retriable) {
      const entry: BufferedFetch = {
        partition: p,
        generation: p.generation,
        fetchOffset,
        result: null,
        error,
        sizeInBytes: 0,
      };
      p.buffered = entry;
      this.ready.push(entry);
    }
  }

  /** The leader's log ends before our position in our epoch: continue from where it diverged (KIP-320). */
  private truncate(p: AssignedPartition, divergence: OffsetAndEpoch): void {
    const position = p.position;
    if (!position || divergence.offset >= position.offset) {
      p.needsValidation = false;
      return;
    }
    this.config.logger.warn(
      { topic: p.topic, partition: p.partition, position: position.offset, truncatedTo: divergence.offset },
      'log truncation detected, continuing from the divergence point',
    );
    const consumed = p.consumed;
    p.seek(divergence);
    // Records past the divergence were consumed but are gone from the log: keep the commit position
    // where the user got to only if it is not past the new log end.
    if (consumed && consumed.offset < divergence.offset) p.consumed = consumed;
  }

  private async initialize(parts: AssignedPartition[]): Promise<void> {
    const generations = new Map(parts.map((p) => [p, p.generation]));
    for (const p of parts) p.initializing = true;
    const deadline = Date.now() + this.config.defaultApiTimeoutMs;
    try {
      const fromCommitted = parts.filter((p) => p.source === 'committed' && this.config.groupId !== null);
      const toReset = parts.filter((p) => !fromCommitted.includes(p));
      if (fromCommitted.length > 0) {
        const committed = await fetchCommittedOffsets(
          this.client,
          this.config.groupId!,
          fromCommitted,
          deadline,
          this.config.retryBackoffMs,
        );
        for (const p of fromCommitted) {
          if (p.generation !== generations.get(p) || p.revoked) continue;
          const c = committed.get(p.key);
          if (c) {
            p.position = { offset: c.offset, leaderEpoch: c.leaderEpoch };
            p.consumed = p.position;
            p.committedOffset = c.offset;
            // The leader may have changed since the commit: check the epoch before fetching.
            if (c.leaderEpoch >= 0) p.needsValidation = true;
          } else {
            toReset.push(p);
          }
        }
      }
      const listed: AssignedPartition[] = [];
      for (const p of toReset) {
        const strategy = p.source === 'committed' ? this.config.autoOffsetReset : p.source;
        if (strategy === 'none') {
          p.halted = new NoOffsetForPartitionError(p.topic, p.partition);
          p.haltedReported = false;
        } else {
          p.source = strategy;
          listed.push(p);
        }
      }
      if (listed.length > 0) {
        const offsets = await listOffsets(
          this.client,
          listed.map((p) => ({
            topic: p.topic,
            partition: p.partition,
            timestamp: p.source === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP,
          })),
          this.config.isolationLevel === 'read_committed' ? 1 : 0,
          deadline,
          this.config.retryBackoffMs,
        );
        for (const p of listed) {
          if (p.generation !== generations.get(p) || p.revoked) continue;
          const o = offsets.get(p.key);
          if (!o) continue;
          p.position = { offset: o.offset, leaderEpoch: -1 };
          p.consumed = p.position;
        }
      }
    } catch (error) {
      if (this.stopOnAuthentication(error)) return;
      if (!this.closed) this.config.logger.warn({ err: error }, 'looking up positions failed, retrying');
      for (const p of parts) p.retryAt = Date.now() + this.config.retryBackoffMs;
      this.later(this.config.retryBackoffMs);
    } finally {
      for (const p of parts) p.initializing = false;
      this.wake();
    }
  }

  private async validate(parts: AssignedPartition[]): Promise<void> {
    for (const p of parts) p.validating = true;
    this.config.logger.debug({ partitions: parts.length }, 'validating positions against the leader epoch');
    const metadata = this.client.metadata;
    const byNode = new Map<number, AssignedPartition[]>();
    let missing = false;
    for (const p of parts) {
      const leader = metadata.leaderFor(p.topic, p.partition);
      if (!leader) {
        missing = true;
        continue;
      }
      byNode.set(leader.nodeId, [...(byNode.get(leader.nodeId) ?? []), p]);
    }
    if (missing) this.refreshMetadata();
    const generations = new Map(parts.map((p) => [p, p.generation]));
    try {
      await Promise.all(
        [...byNode].map(async ([nodeId, list]) => {
          const answers = await offsetsForLeaderEpochs(
            this.client,
            nodeId,
            list.map((p) => ({
              topic: p.topic,
              partition: p.partition,
              currentLeaderEpoch: metadata.partition(p.topic, p.partition)?.leaderEpoch ?? -1,
              leaderEpoch: p.position!.leaderEpoch,
            })),
          );
          for (const p of list) {
            if (p.generation !== generations.get(p)) continue;
            const answer = answers.get(p.key);
            if (answer === undefined || answer instanceof Error) {
              if (answer instanceof KafkaProtocolError && !answer.retriable) p.needsValidation = false;
              continue;
            }
            p.needsValidation = false;
            if (answer.leaderEpoch >= 0 && answer.offset >= 0) this.truncate(p, answer);
          }
        }),
      );
    } catch (error) {
      if (this.stopOnAuthentication(error)) return;
      // Brokers before 2.1 lack the API, and a failed check must not stop consumption: fetch, and let
      // Fetch v12+ report divergence through divergingEpoch.
      this.config.logger.debug({ err: error }, 'leader epoch validation failed');
      for (const p of parts) p.needsValidation = false;
    } finally {
      for (const p of parts) {
        p.validating = false;
        if (p.needsValidation) p.retryAt = Date.now() + this.config.retryBackoffMs;
      }
      this.wake();
    }
  }
}
