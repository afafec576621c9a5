import { ClusterClient, DeadlineExceededError, TlsError } from '@runnel/network';
import type { AssignedPartition } from './assigned-partition.js';
import { type ConsumerBatch, partitionKey, type TopicPartition } from './batch.js';
import { BrokersDownWatch } from './brokers-down-watch.js';
import { type ConsumerConfig, type ResolvedConfig, resolveConfig, resolveSecurity } from './config.js';
import type {
  BatchesOptions,
  CloseOptions,
  ConsumerHealth,
  GroupHealth,
  PartitionLag,
  RebalanceListener,
  RunOptions,
  SubscriptionPattern,
} from './consumer-types.js';
import {
  ConfigError,
  ConsumerClosedError,
  ConsumerTimeoutError,
  IllegalStateError,
  NotAssignedError,
} from './errors.js';
import { type Delivery, Fetcher } from './fetcher.js';
import { describeGroup, type GroupDescription } from './group-description.js';
import { GroupDriver } from './group-driver.js';
import { KeepAlive } from './keep-alive.js';
import {
  type CommitGeneration,
  type CommittedOffset,
  commitOffsets,
  type Deadline,
  deadlineIn,
  EARLIEST_TIMESTAMP,
  fetchCommittedOffsets,
  LATEST_TIMESTAMP,
  type ListedOffset,
  listOffsets,
  type OffsetToCommit,
} from './offset-requests.js';
import { CONSUMER_VERSION } from './package-version.js';
import { runHandlers } from './run-loop.js';
import { listTopics } from './topic-listing.js';
import { checkTopicList, checkTopicPartitions } from './topic-validation.js';

const NO_GENERATION: CommitGeneration = { generationId: -1, memberId: '', groupInstanceId: null };

/**
 * A Kafka consumer. `assign` partitions, then read them with `for await (const batch of consumer)` or
 * `run({ eachBatch })`; commit with `commit()` or let auto-commit do it; `close()` when done.
 */
export class Consumer implements AsyncDisposable {
  /** The configuration with defaults applied. */
  readonly config: ResolvedConfig;
  private readonly client: ClusterClient;
  private readonly fetcher: Fetcher;
  private mode: 'none' | 'assign' | 'subscribe' = 'none';
  private group: GroupDriver | null = null;
  private listener: RebalanceListener = {};
  private fatalError: Error | null = null;
  private waiting = 0;
  private readonly handlerStarts = new Set<{ readonly at: number }>();
  private patternTimer: ReturnType<typeof setTimeout> | undefined;
  private state: 'running' | 'closing' | 'closed' = 'running';
  private autoCommitTimer: ReturnType<typeof setTimeout> | undefined;
  private committing: Promise<void> = Promise.resolve();
  private lastCommitAt: number | null = null;
  private lastCommitError: Error | null = null;
  private lastDescription: GroupDescription | null = null;
  private describeError: Error | null = null;
  private readonly active = new Set<Promise<void>>();
  private readonly stopControllers = new Set<AbortController>();
  private closePromise: Promise<void> | null = null;
  private readonly keepAlive = new KeepAlive();
  private readonly brokersDown: BrokersDownWatch;

  /**
   * Checks the configuration; connects nothing yet, and holds nothing that keeps the process alive.
   * @throws ConfigError naming the option that is missing, unknown or out of range, or `tls` when its
   *   CA, certificate or key cannot be loaded (with the TlsError as `cause`).
   */
  constructor(config: ConsumerConfig) {
    this.config = resolveConfig(config);
    // Handed to the client and not kept: the pool holds no reference to them either, so no object
    // reachable from the consumer shows a key or password.
    const { tls, sasl } = resolveSecurity(config);
    try {
      this.client = new ClusterClient({
        ...(tls === undefined ? {} : { tls }),
        ...(sasl === undefined ? {} : { sasl }),
        bootstrapServers: this.config.brokers,
        connection: {
          clientId: this.config.clientId,
          requestTimeoutMs: this.config.requestTimeoutMs,
          // A Fetch answer may reach fetchMaxBytes plus one oversized first batch (KIP-74).
          maxResponseSize: Math.max(128 * 1024 * 1024, this.config.fetchMaxBytes + 16 * 1024 * 1024),
        },
        retryBackoffMs: this.config.retryBackoffMs,
        reconnectBackoffMs: this.config.reconnectBackoffMs,
        reconnectBackoffMaxMs: this.config.reconnectBackoffMaxMs,
        metadataMaxAgeMs: this.config.metadataMaxAgeMs,
        defaultDeadlineMs: this.config.defaultApiTimeoutMs,
        logger: this.config.logger,
        clientSoftware: { name: 'runnel', version: CONSUMER_VERSION },
      });
    } catch (error) {
      if (error instanceof TlsError) throw new ConfigError('tls', error.message, { cause: error });
      throw error;
    }
    this.fetcher = new Fetcher(this.client, this.config);
    this.brokersDown = new BrokersDownWatch(
      this.client.pool,
      this.config.allBrokersDownTimeoutMs,
      (error) => {
        this.config.logger.error({ err: error }, 'no broker reachable, giving up');
        this.fatalError ??= error;
        // Nothing more is fetched or joined: the user learns it from the iterator, and closes.
        this.group?.close();
        this.fetcher.close();
      },
    );
  }

  /**
   * Assigns partitions by hand, without a group; replaces the previous assignment. Each new partition
   * starts at the group's committed offset (when `groupId` is set) or per `autoOffsetReset`.
   * @throws ConsumerClosedError after close; IllegalStateError after subscribe; InvalidTopicError on a
   *   topic name Kafka would refuse or a partition that is not a non-negative int32 (nothing changes).
   */
  assign(partitions: readonly TopicPartition[]): void {
    this.ensureOpen();
    checkTopicPartitions(partitions);
    if (this.mode === 'subscribe') throw new IllegalStateError('assign() cannot follow subscribe()');
    this.mode = 'assign';
    this.fetcher.setAssignment(partitions);
    this.client.startMetadataRefresh();
    this.brokersDown.start();
    this.startAutoCommit();
  }

  /** @returns the partitions assigned now. */
  assignment(): TopicPartition[] {
    return [...this.fetcher.partitions.values()].map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  /**
   * Joins the consumer group (`groupId`) for these topics; for every topic whose name the RegExp
   * matches (`test`, checked here against the cluster's topics every `metadataMaxAgeMs`); or, under
   * `groupProtocol: 'consumer'`, for a {@link SubscriptionPattern} the broker resolves. Calling it again
   * changes the subscription. Partitions come and go with rebalances, reported to `listener`.
   * @throws IllegalStateError without `groupId`, after `assign`, or for a SubscriptionPattern under the
   *   classic protocol; ConsumerClosedError after close; InvalidTopicError on a topic name Kafka would
   *   refuse; TypeError on an empty regex or an argument of another kind (a single string among them).
   *   Nothing changes when it throws.
   */
  subscribe(
    topics: readonly string[] | RegExp | SubscriptionPattern,
    listener: RebalanceListener = {},
  ): void {
    this.ensureOpen();
    this.requireGroup('subscribe');
    if (this.mode === 'assign') throw new IllegalStateError('subscribe() cannot follow assign()');
    if (typeof topics === 'string') {
      throw new TypeError(
        `subscribe takes a list of topics, a RegExp or { regex }, not a string: write subscribe([${JSON.stringify(topics)}])`,
      );
    }
    if (Array.isArray(topics)) checkTopicList(topics);
    const brokerPattern = !(topics instanceof RegExp) && !Array.isArray(topics);
    if (brokerPattern) {
      if (typeof topics !== 'object' || topics === null || !('regex' in topics)) {
        throw new TypeError('subscribe takes a list of topics, a RegExp or { regex }');
      }
      const { regex } = topics as SubscriptionPattern;
      if (typeof regex !== 'string' || regex === '') {
        throw new TypeError(`not a regular expression: ${JSON.stringify(regex)}`);
      }
      if (this.config.groupProtocol !== 'consumer') {
        throw new IllegalStateError("a SubscriptionPattern needs groupProtocol 'consumer'; use a RegExp");
      }
    }
    this.mode = 'subscribe';
    this.listener = listener;
    if (!this.group) {
      this.group = new GroupDriver(this.client, this.config, {
        assigned: (added, assignment) => this.onAssigned(added, assignment),
        revoked: (partitions) => this.onRevoked(partitions),
        lost: (partitions) => this.onLost(partitions),
        fatal: (error) => {
          this.fatalError = error;
          this.fetcher.wake();
        },
        isPolling: () => this.isPolling(),
      });
      this.client.startMetadataRefresh();
      this.brokersDown.start();
      this.startAutoCommit();
    }
    if (this.patternTimer !== undefined) clearTimeout(this.patternTimer);
    this.patternTimer = undefined;
    if (topics instanceof RegExp) {
      void this.followPattern(topics);
      return;
    }
    if (brokerPattern) {
      this.group.subscribePattern((topics as SubscriptionPattern).regex);
      return;
    }
    this.group.subscribe(topics as readonly string[]);
  }

  /**
   * Iterates batches, one partition's records from one fetch at a time. Asking for the next batch (or
   * leaving the loop) marks the previous one processed, so a commit includes it.
   * @returns an async iterator that ends when the consumer closes or `signal` aborts; `next()` throws
   *   OffsetOutOfRangeError, NoOffsetForPartitionError, CorruptRecordError or KafkaProtocolError for a
   *   partition that needs the user's attention (the other partitions go on); AuthenticationError
   *   (TlsError, SaslAuthenticationError, SaslRequiredError) on every call once credentials were refused.
   */
  batches(options: BatchesOptions = {}): AsyncIterableIterator<ConsumerBatch> {
    let current: Delivery | null = null;
    const finishCurrent = () => {
      if (current) this.fetcher.finish(current);
      current = null;
    };
    const iterator: AsyncIterableIterator<ConsumerBatch> = {
      next: async () => {
        finishCurrent();
        // While the user waits here the process must stay alive, sockets or not.
        const delivery = await this.keepAlive.during(() => this.nextDelivery(options.signal));
        if (!delivery) return { done: true, value: undefined };
        current = delivery;
        return { done: false, value: delivery.batch };
      },
      return: async () => {
        finishCurrent();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** @returns an iterator over batches, as {@link batches} without options. */
  [Symbol.asyncIterator](): AsyncIterableIterator<ConsumerBatch> {
    return this.batches();
  }

  /**
   * Processes batches with `eachBatch` (or records with `eachRecord`) until the consumer closes or
   * `signal` aborts, with up to `concurrency` partitions at a time and order kept within each partition.
   * When a handler throws, no new batch starts, the handlers in progress finish, the failed partition
   * is moved back to the first unprocessed record, and `run` rejects with the error.
   * @returns a promise that resolves when consumption stopped (close or abort).
   * @throws (as a rejection) what a handler threw, or a partition error as {@link batches} does;
   *   TypeError when neither handler is given or concurrency is not a positive integer.
   */
  async run(options: RunOptions): Promise<void> {
    this.ensureOpen();
    const { eachBatch, eachRecord } = options;
    if (!eachBatch && !eachRecord) throw new TypeError('run needs eachBatch or eachRecord');
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new TypeError('concurrency must be a positive integer');
    return this.keepAlive.during(() =>
      runHandlers(
        {
          nextDelivery: (signal) => this.nextDelivery(signal),
          finish: (delivery) => this.fetcher.finish(delivery),
          rewind: (delivery, offset) => this.rewind(delivery, offset),
          handlerStarts: this.handlerStarts,
          active: this.active,
          stopControllers: this.stopControllers,
          notePoll: () => this.notePoll(),
        },
        options,
        concurrency,
      ),
    );
  }

  /**
   * Commits offsets to the group: without arguments, the consumed position of every assigned partition
   * that moved since the last commit; with arguments, exactly those offsets (with optional metadata).
   * @returns once the coordinator stored them.
   * @throws IllegalStateError without `groupId`; CommitFailedError for partitions the coordinator
   *   refused; ConsumerTimeoutError when it did not finish within `defaultApiTimeoutMs`.
   */
  commit(offsets?: readonly OffsetToCommit[]): Promise<void> {
    this.ensureOpen();
    return this.keepAlive.during(() => this.commitNow(offsets, deadlineIn(this.config.defaultApiTimeoutMs)));
  }

  /**
   * Moves the fetch position of a partition; no batch fetched before the seek is handed out after it.
   * @throws NotAssignedError when the partition is not assigned; TypeError on a negative or unsafe offset.
   */
  seek(tp: TopicPartition, offset: number): void {
    this.ensureOpen();
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new TypeError(`offset must be a non-negative integer, got ${offset}`);
    const p = this.partitionOf(tp);
    p.seek({ offset, leaderEpoch: -1 });
    this.fetcher.purge(p);
    this.fetcher.wake();
  }

  /** Moves partitions (default: all assigned) to their log start. @throws NotAssignedError. */
  seekToBeginning(partitions?: readonly TopicPartition[]): void {
    this.resetTo(partitions, 'earliest');
  }

  /** Moves partitions (default: all assigned) to their log end (the LSO under read_committed). @throws NotAssignedError. */
  seekToEnd(partitions?: readonly TopicPartition[]): void {
    this.resetTo(partitions, 'latest');
  }

  /**
   * @returns the next offset the consumer will hand out for the partition, waiting for it to be looked up.
   * @throws NotAssignedError; ConsumerTimeoutError when it is not known within `defaultApiTimeoutMs`;
   *   the partition's halting error (e.g. NoOffsetForPartitionError); AuthenticationError when the
   *   consumer's TLS or SASL credentials were refused.
   */
  async position(tp: TopicPartition): Promise<number> {
    this.ensureOpen();
    const p = this.partitionOf(tp);
    const timeoutMs = this.config.defaultApiTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    return this.keepAlive.during(async () => {
      while (p.position === null) {
        if (p.halted) throw p.halted;
        if (this.fetcher.fatalError) throw this.fetcher.fatalError;
        if (this.fatalError) throw this.fatalError;
        if (this.state !== 'running') throw new ConsumerClosedError();
        if (Date.now() >= deadline) {
          const cause = p.lastError ?? this.client.pool.lastConnectionError;
          throw new ConsumerTimeoutError('position', timeoutMs, cause ? { cause } : undefined);
        }
        this.fetcher.wake();
        await Promise.race([this.fetcher.changed(), delay(50)]);
      }
      return p.position.offset;
    });
  }

  /**
   * Reads the group's committed offsets.
   * @returns one entry per partition: the committed offset, leader epoch and metadata, or null when none.
   * @throws IllegalStateError without `groupId`; KafkaProtocolError; ConsumerTimeoutError.
   */
  async committed(
    partitions: readonly TopicPartition[],
  ): Promise<Map<TopicPartition, CommittedOffset | null>> {
    this.ensureOpen();
    const groupId = this.requireGroup('committed');
    const found = await this.keepAlive.during(() =>
      fetchCommittedOffsets(
        this.client,
        groupId,
        partitions,
        deadlineIn(this.config.defaultApiTimeoutMs),
        this.config.retryBackoffMs,
      ),
    );
    return new Map(partitions.map((tp) => [tp, found.get(partitionKey(tp.topic, tp.partition)) ?? null]));
  }

  /**
   * Looks up, per partition, the earliest offset whose timestamp is at or after the given time.
   * @returns one entry per partition: offset, timestamp and leader epoch, or null when no record is that recent.
   * @throws KafkaProtocolError; ConsumerTimeoutError.
   */
  async offsetsForTimes(
    query: ReadonlyArray<TopicPartition & { timestamp: number }>,
  ): Promise<Map<TopicPartition, ListedOffset | null>> {
    this.ensureOpen();
    const found = await this.keepAlive.during(() =>
      listOffsets(
        this.client,
        query,
        this.isolation(),
        deadlineIn(this.config.defaultApiTimeoutMs),
        this.config.retryBackoffMs,
      ),
    );
    return new Map(query.map((q) => [q, found.get(partitionKey(q.topic, q.partition)) ?? null]));
  }

  /**
   * @returns the log start (`earliest`) or end (`latest`) offset of each partition.
   * @throws KafkaProtocolError; ConsumerTimeoutError.
   */
  async watermarks(
    partitions: readonly TopicPartition[],
    which: 'earliest' | 'latest',
  ): Promise<Map<TopicPartition, number>> {
    this.ensureOpen();
    const timestamp = which === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
    const found = await this.keepAlive.during(() =>
      listOffsets(
        this.client,
        partitions.map((p) => ({ ...p, timestamp })),
        this.isolation(),
        deadlineIn(this.config.defaultApiTimeoutMs),
        this.config.retryBackoffMs,
      ),
    );
    return new Map(partitions.map((p) => [p, found.get(partitionKey(p.topic, p.partition))?.offset ?? -1]));
  }

  /** Stops handing out and fetching these partitions until `resume`; buffered data is kept. @throws NotAssignedError. */
  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.partitionOf(tp).paused = true;
    this.fetcher.wake();
  }

  /** Undoes `pause`. @throws NotAssignedError. */
  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.partitionOf(tp).paused = false;
    this.fetcher.wake();
  }

  /** @returns the paused partitions. */
  paused(): TopicPartition[] {
    return [...this.fetcher.partitions.values()]
      .filter((p) => p.paused)
      .map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  /** @returns per assigned partition its position, consumed offset, high watermark and lag. */
  lag(): PartitionLag[] {
    const readCommitted = this.config.isolationLevel === 'read_committed';
    return [...this.fetcher.partitions.values()].map((p) => {
      const end = readCommitted && p.lastStableOffset >= 0 ? p.lastStableOffset : p.highWatermark;
      const consumed = p.consumed?.offset ?? null;
      return {
        topic: p.topic,
        partition: p.partition,
        position: p.position?.offset ?? null,
        consumed,
        highWatermark: p.highWatermark,
        lag: consumed === null || end < 0 ? null : Math.max(0, end - consumed),
        paused: p.paused,
      };
    });
  }

  /**
   * Asks the group's coordinator how it sees the group: ConsumerGroupDescribe under
   * `groupProtocol: 'consumer'`, DescribeGroups under `classic`. The answer (or the error) also shows in
   * {@link health} until the next call.
   * @returns the group's state, epochs, assignor and members (with their current and, under the
   *   consumer protocol, target assignments), and this consumer's own entry as `self`.
   * @throws IllegalStateError without `groupId`; ConsumerClosedError after close; KafkaProtocolError for
   *   the group's error code (GROUP_ID_NOT_FOUND when the group does not exist or uses the other
   *   protocol, GROUP_AUTHORIZATION_FAILED...); UnsupportedVersionError when the broker lacks the
   *   describe API (ConsumerGroupDescribe needs Kafka 3.7+ with the consumer protocol enabled);
   *   ConsumerTimeoutError when the coordinator did not answer within `defaultApiTimeoutMs`.
   */
  async describeGroup(): Promise<GroupDescription> {
    this.ensureOpen();
    const groupId = this.requireGroup('describeGroup');
    const timeoutMs = this.config.defaultApiTimeoutMs;
    try {
      const description = await this.keepAlive.during(() =>
        describeGroup(
          this.client,
          groupId,
          this.config.groupProtocol,
          this.group?.membership().memberId ?? '',
          timeoutMs,
        ).catch((error: unknown) => {
          if (!(error instanceof DeadlineExceededError)) throw error;
          const cause = error.cause;
          throw new ConsumerTimeoutError('describeGroup', timeoutMs, cause ? { cause } : undefined);
        }),
      );
      this.lastDescription = description;
      this.describeError = null;
      return description;
    } catch (error) {
      this.describeError = error as Error;
      throw error;
    }
  }

  /** @returns a snapshot of the consumer's state and counters. */
  health(): ConsumerHealth {
    const lags = this.lag();
    return {
      state: this.state,
      assigned: lags.length,
      paused: lags.filter((l) => l.paused).length,
      bufferedBytes: this.fetcher.bufferedBytes,
      fetchesInFlight: this.fetcher.fetchesInFlight,
      ...this.fetcher.stats,
      lastCommitAt: this.lastCommitAt,
      lastCommitError: this.lastCommitError,
      allBrokersDownSince: this.brokersDown.downSince,
      lastConnectionError: this.client.pool.lastConnectionError,
      totalLag: lags.reduce((sum, l) => sum + (l.lag ?? 0), 0),
      group: this.groupHealth(),
    };
  }

  private groupHealth(): GroupHealth | null {
    if (this.config.groupId === null) return null;
    const membership = this.group?.membership();
    return {
      groupProtocol: this.config.groupProtocol,
      memberState: membership?.state ?? null,
      memberId: membership?.memberId ?? '',
      memberEpoch: membership?.memberEpoch ?? -1,
      description: this.lastDescription,
      describeError: this.describeError,
    };
  }

  /**
   * Stops consuming, waits for handlers in progress, commits the consumed positions (when auto-commit is
   * on), and closes every connection and timer. Never takes longer than `timeoutMs`, even when brokers
   * are unreachable: what is not done by then is abandoned. Calling it again returns the same promise.
   * @returns once everything is closed; it never rejects (a failed final commit is logged).
   */
  close(options: CloseOptions = {}): Promise<void> {
    // Held until closed, so that `await consumer.close()` at the end of a program is waited for; the
    // last release lets the program exit.
    this.closePromise ??= this.keepAlive
      .during(() => this.doClose(options.timeoutMs ?? 30_000))
      .finally(() => this.keepAlive.stop());
    return this.closePromise;
  }

  /** Closes the consumer (`await using consumer = new Consumer(...)`). @returns once closed. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async doClose(timeoutMs: number): Promise<void> {
    this.state = 'closing';
    const deadline: Deadline = deadlineIn(timeoutMs);
    for (const c of this.stopControllers) c.abort();
    this.brokersDown.stop();
    this.stopAutoCommit();
    this.fetcher.wake();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    if (this.patternTimer !== undefined) clearTimeout(this.patternTimer);
    this.patternTimer = undefined;
    const graceful = (async () => {
      await Promise.all(this.active);
      if (this.config.autoCommit && this.config.groupId !== null && this.mode !== 'none') {
        try {
          await this.commitNow(undefined, deadline);
        } catch (error) {
          this.config.logger.warn({ err: error }, 'final commit failed');
        }
      }
      await this.group?.leave(deadline.at);
    })();
    await Promise.race([graceful, timeout]);
    this.group?.close();
    this.fetcher.close();
    await Promise.race([this.client.close().catch(() => undefined), timeout]);
    clearTimeout(timer);
    this.state = 'closed';
  }

  /** @returns whether the user keeps up: no handler has run past the max poll interval. */
  private isPolling(): boolean {
    const oldest = Date.now() - this.config.maxPollIntervalMs;
    for (const h of this.handlerStarts) if (h.at < oldest) return false;
    return this.waiting > 0 || this.handlerStarts.size > 0;
  }

  private notePoll(): void {
    if (this.group && this.isPollingNow()) this.group.recordPoll(Date.now());
  }

  private isPollingNow(): boolean {
    const oldest = Date.now() - this.config.maxPollIntervalMs;
    for (const h of this.handlerStarts) if (h.at < oldest) return false;
    return true;
  }

  private async onAssigned(
    added: readonly TopicPartition[],
    assignment: readonly TopicPartition[],
  ): Promise<void> {
    this.fetcher.setAssignment(assignment);
    this.config.logger.info(
      { partitions: added.length, assignment: assignment.length },
      'partitions assigned',
    );
    await this.listener.onAssigned?.(added);
  }

  private async onRevoked(partitions: readonly TopicPartition[]): Promise<void> {
    const owned = partitions
      .map((tp) => this.fetcher.partitions.get(partitionKey(tp.topic, tp.partition)))
      .filter((p): p is AssignedPartition => p !== undefined);
    for (const p of owned) p.revoking = true;
    // Handlers of these partitions finish first (during close they already did, or are abandoned).
    while (owned.some((p) => p.busy) && this.state === 'running') {
      await Promise.race([this.fetcher.changed(), delay(100)]);
    }
    if (this.config.autoCommit) {
      try {
        await this.commitNow(undefined, deadlineIn(this.config.defaultApiTimeoutMs), owned);
      } catch (error) {
        this.config.logger.warn({ err: error }, 'commit on revocation failed');
      }
    }
    try {
      await this.listener.onRevoked?.(partitions);
    } finally {
      this.removePartitions(partitions);
    }
  }

  private async onLost(partitions: readonly TopicPartition[]): Promise<void> {
    this.removePartitions(partitions);
    await this.listener.onLost?.(partitions);
  }

  private removePartitions(partitions: readonly TopicPartition[]): void {
    const gone = new Set(partitions.map((tp) => partitionKey(tp.topic, tp.partition)));
    this.fetcher.setAssignment(
      this.assignment().filter((tp) => !gone.has(partitionKey(tp.topic, tp.partition))),
    );
  }

  private async followPattern(pattern: RegExp): Promise<void> {
    if (this.state !== 'running' || !this.group) return;
    try {
      const names = (await listTopics(this.client))
        .filter((t) => !t.isInternal && pattern.test(t.name))
        .map((t) => t.name);
      if (this.state === 'running') this.group.subscribe(names);
    } catch (error) {
      this.config.logger.warn({ err: error }, 'listing topics for the subscription pattern failed');
    }
    if (this.state !== 'running') return;
    this.patternTimer = setTimeout(() => void this.followPattern(pattern), this.config.metadataMaxAgeMs);
    this.patternTimer.unref();
  }

  private async nextDelivery(signal: AbortSignal | undefined): Promise<Delivery | null> {
    this.notePoll();
    for (;;) {
      if (this.state !== 'running' || signal?.aborted) return null;
      if (this.fatalError) throw this.fatalError;
      const taken = this.fetcher.take();
      if (taken !== null) {
        if ('error' in taken) throw taken.error;
        return taken.delivery;
      }
      if (this.mode === 'none')
        throw new IllegalStateError('nothing to consume: call assign() or subscribe() first');
      this.waiting++;
      try {
        if (!signal) {
          await this.fetcher.changed();
          continue;
        }
        let onAbort: (() => void) | undefined;
        const aborted = new Promise<void>((resolve) => {
          onAbort = () => resolve();
          signal.addEventListener('abort', onAbort, { once: true });
        });
        await Promise.race([this.fetcher.changed(), aborted]);
        signal.removeEventListener('abort', onAbort!);
      } finally {
        this.waiting--;
      }
    }
  }

  private rewind(delivery: Delivery, offset: number): void {
    const p = delivery.partition;
    this.fetcher.finish(delivery, false);
    if (p.generation !== delivery.generation || p.revoked) return;
    p.seek({ offset, leaderEpoch: -1 });
    this.fetcher.purge(p);
    this.fetcher.wake();
  }

  private resetTo(partitions: readonly TopicPartition[] | undefined, source: 'earliest' | 'latest'): void {
    this.ensureOpen();
    const list = partitions
      ? partitions.map((tp) => this.partitionOf(tp))
      : [...this.fetcher.partitions.values()];
    for (const p of list) {
      p.seek(null, source);
      this.fetcher.purge(p);
    }
    this.fetcher.wake();
  }

  private commitNow(
    offsets: readonly OffsetToCommit[] | undefined,
    deadline: Deadline,
    only?: readonly AssignedPartition[],
  ): Promise<void> {
    const groupId = this.requireGroup('commit');
    const run = async () => {
      const candidates = only ?? [...this.fetcher.partitions.values()];
      let list: OffsetToCommit[] = offsets
        ? [...offsets]
        : candidates
            .filter((p) => p.consumed !== null && p.consumed.offset !== p.committedOffset)
            .map((p) => ({
              topic: p.topic,
              partition: p.partition,
              offset: p.consumed!.offset,
              leaderEpoch: p.consumed!.leaderEpoch,
            }));
      if (this.group) {
        // A partition handed to another member must never be committed by this one.
        list = list.filter((o) => this.fetcher.partitions.has(partitionKey(o.topic, o.partition)));
      }
      if (list.length === 0) return;
      const group = this.group;
      // Under KIP-848 the member epoch moves while reconciling: each attempt reads the current one.
      const generation: CommitGeneration | (() => CommitGeneration) = !group
        ? NO_GENERATION
        : this.config.groupProtocol === 'consumer'
          ? () => group.generation()
          : group.generation();
      try {
        await commitOffsets(
          this.client,
          groupId,
          generation,
          list,
          deadline,
          this.config.retryBackoffMs,
          (code, sent) => group?.onCommitError(code, sent.generationId),
        );
        this.lastCommitAt = Date.now();
        this.lastCommitError = null;
        for (const o of list) {
          const p = this.fetcher.partitions.get(partitionKey(o.topic, o.partition));
          if (p) p.committedOffset = o.offset;
        }
      } catch (error) {
        this.lastCommitError = error as Error;
        throw error;
      }
    };
    // One commit at a time, in call order, so an older commit never overwrites a newer one.
    const next = this.committing.then(run, run);
    this.committing = next.catch(() => undefined);
    return next;
  }

  private startAutoCommit(): void {
    if (!this.config.autoCommit || this.config.groupId === null || this.autoCommitTimer !== undefined) return;
    const tick = () => {
      this.autoCommitTimer = undefined;
      if (this.state !== 'running') return;
      this.commitNow(undefined, deadlineIn(this.config.defaultApiTimeoutMs))
        .catch((error: unknown) => this.config.logger.warn({ err: error }, 'auto-commit failed'))
        .finally(() => {
          if (this.state === 'running') {
            this.autoCommitTimer = setTimeout(tick, this.config.autoCommitIntervalMs);
            this.autoCommitTimer.unref();
          }
        });
    };
    this.autoCommitTimer = setTimeout(tick, this.config.autoCommitIntervalMs);
    this.autoCommitTimer.unref();
  }

  private stopAutoCommit(): void {
    if (this.autoCommitTimer !== undefined) clearTimeout(this.autoCommitTimer);
    this.autoCommitTimer = undefined;
  }

  private partitionOf(tp: TopicPartition): AssignedPartition {
    const p = this.fetcher.partitions.get(partitionKey(tp.topic, tp.partition));
    if (!p) throw new NotAssignedError(tp.topic, tp.partition);
    return p;
  }

  private requireGroup(operation: string): string {
    if (this.config.groupId === null) throw new IllegalStateError(`${operation} needs a groupId`);
    return this.config.groupId;
  }

  private isolation(): 0 | 1 {
    return this.config.isolationLevel === 'read_committed' ? 1 : 0;
  }

  private ensureOpen(): void {
    if (this.state !== 'running') throw new ConsumerClosedError();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
  });
}
