/**
 * The Consumer: a thin facade. It checks each call's arguments and state, then hands the work to the
 * part that owns it (see docs/architecture.md, "The consumer"): the fetch loop and positions
 * (Fetcher, Positions), deliveries to the user (Deliveries, run-loop), commits (Commits), the group
 * (GroupDriver, Rebalances, the pattern listing), the max-poll check, health, describe and close.
 * Every part runs on one ConsumerContext: the resolved config, the cluster client and one clock.
 */
import type { GroupGeneration } from '@runnel/group';
import type { AssignedPartition } from './assigned-partition.js';
import { type ConsumerBatch, partitionKey, type TopicPartition } from './batch.js';
import type { BrokersDownWatch } from './brokers-down-watch.js';
import { closeConsumer } from './close.js';
import type { Commits } from './commits.js';
import { type ConsumerConfig, type ResolvedConfig, resolveConfig } from './config.js';
import { wireConsumer } from './consumer-parts.js';
import type {
  BatchesOptions,
  CloseOptions,
  ConsumerEnvironment,
  ConsumerHealth,
  PartitionLag,
  RebalanceListener,
  RunOptions,
  SubscriptionPattern,
} from './consumer-types.js';
import type { ConsumerContext, ConsumerParts } from './context.js';
import type { Deliveries } from './deliveries.js';
import type { GroupDescriber } from './describe.js';
import type { Deserialized, Deserializer } from './deserializers.js';
import type { ConsumerIdentity } from './diagnostics.js';
import { ConsumerClosedError, IllegalStateError, NotAssignedError } from './errors.js';
import type { ConsumerEventListener, ConsumerEventName, ConsumerEvents } from './events.js';
import type { Fetcher } from './fetcher.js';
import type { GroupDescription } from './group-description.js';
import { GroupDriver } from './group-driver.js';
import { createGroupMember } from './group-member-factory.js';
import { healthOf, lagOf } from './health.js';
import type { ConsumerLifecycle } from './lifecycle.js';
import type { MaxPollCheck } from './max-poll.js';
import { committedOffsets, offsetsForTimes, watermarks } from './offset-queries.js';
import type { CommittedOffset, ListedOffset, OffsetToCommit } from './offset-requests.js';
import type { TopicPartitionMap } from './partition-map.js';
import type { Rebalances } from './rebalance.js';
import { deadlineIn } from './retry.js';
import { RunRegistry, runHandlers } from './run-loop.js';
import { parseSubscription } from './subscription.js';
import { type ConsumerTelemetry, loadOpenTelemetry } from './telemetry.js';
import { type PartitionInfo, topicsOf } from './topic-listing.js';
import { checkTopicList, checkTopicPartitions } from './topic-validation.js';

/**
 * A Kafka consumer. `assign` partitions, then read them with `for await (const batch of consumer)` or
 * `run({ eachBatch })`; commit with `commit()` or let auto-commit do it; `close()` when done.
 */
export class Consumer<KD extends Deserializer = 'buffer', VD extends Deserializer = 'buffer'>
  implements AsyncDisposable
{
  /** The configuration with defaults applied. */
  readonly config: ResolvedConfig;
  private readonly context: ConsumerContext;
  private readonly events: ConsumerEvents;
  private readonly identity: ConsumerIdentity;
  private readonly lifecycle: ConsumerLifecycle;
  private readonly fetcher: Fetcher;
  private readonly commits: Commits;
  private readonly rebalances: Rebalances;
  private readonly maxPoll: MaxPollCheck;
  private readonly deliveries: Deliveries;
  private readonly runs = new RunRegistry();
  private readonly describer: GroupDescriber;
  private readonly brokersDown: BrokersDownWatch;
  /** `idle`: after `unsubscribe`; a loop already running waits for the next assign or subscribe. */
  private mode: 'none' | 'assign' | 'subscribe' | 'idle' = 'none';
  private group: GroupDriver | null = null;
  private closePromise: Promise<void> | null = null;
  private readonly telemetry: ConsumerTelemetry | null;

  /**
   * Checks the configuration; connects nothing yet, and holds nothing that keeps the process alive.
   * @param environment the clock and connections to run on, for tests; a program leaves it out.
   * @throws ConfigError naming the option that is missing, unknown or out of range, `tls` when its
   *   CA, certificate or key cannot be loaded (with the TlsError as `cause`), or `telemetry` when it is
   *   asked for and `@opentelemetry/api` is not installed.
   */
  constructor(config: ConsumerConfig<KD, VD>, environment: ConsumerEnvironment = {}) {
    this.config = resolveConfig(config);
    // Before anything is built: a missing @opentelemetry/api fails the constructor cleanly.
    const openTelemetry = this.config.telemetry ? loadOpenTelemetry() : null;
    const state = {
      group: () => this.group,
      consuming: () => this.mode !== 'none',
      lag: () => this.lag(),
      health: () => this.health(),
    };
    const userConfig = config as ConsumerConfig<never, never>;
    const parts = wireConsumer(this.config, userConfig, environment, state, openTelemetry);
    ({
      context: this.context,
      events: this.events,
      identity: this.identity,
      lifecycle: this.lifecycle,
    } = parts);
    ({ fetcher: this.fetcher, commits: this.commits, rebalances: this.rebalances } = parts);
    ({ maxPoll: this.maxPoll, deliveries: this.deliveries, describer: this.describer } = parts);
    ({ brokersDown: this.brokersDown, telemetry: this.telemetry } = parts);
  }

  /**
   * Adds a listener of a lifecycle event (`ConsumerEventMap` gives each payload). A listener
   * that throws or rejects is logged and skipped; it never disturbs consumption.
   * @returns the consumer, for chaining.
   */
  on<E extends ConsumerEventName>(name: E, listener: ConsumerEventListener<E>): this {
    this.events.on(name, listener);
    return this;
  }

  /** Removes a listener added with {@link on}. @returns the consumer, for chaining. */
  off<E extends ConsumerEventName>(name: E, listener: ConsumerEventListener<E>): this {
    this.events.off(name, listener);
    return this;
  }

  /**
   * Assigns partitions by hand, without a group; replaces the previous assignment. Each new partition
   * starts at the group's committed offset (when `groupId` is set) or per `autoOffsetReset`.
   * @throws ConsumerClosedError after close; IllegalStateError after subscribe; InvalidTopicError on a
   *   topic name Kafka would refuse or a partition that is not a non-negative int32 (nothing changes).
   */
  assign(partitions: readonly TopicPartition[]): void {
    this.lifecycle.ensureOpen();
    checkTopicPartitions(partitions);
    if (this.mode === 'subscribe') throw new IllegalStateError('assign() cannot follow subscribe()');
    this.mode = 'assign';
    this.fetcher.setAssignment(partitions);
    this.startWork();
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
    this.lifecycle.ensureOpen();
    this.requireGroup('subscribe');
    if (this.mode === 'assign') throw new IllegalStateError('subscribe() cannot follow assign()');
    const subscription = parseSubscription(topics, this.config.groupProtocol);
    this.mode = 'subscribe';
    this.rebalances.listener = listener;
    if (!this.group) {
      const hooks = {
        fatal: (error: Error) => {
          this.lifecycle.fail(error);
          this.fetcher.wake();
        },
        isPolling: (now: number) => this.maxPoll.isPolling(now),
        membershipConfirmed: () => this.fetcher.wake(),
      };
      this.group = new GroupDriver(this.context, this.rebalances, hooks, createGroupMember(this.config));
      this.startWork();
    }
    this.group.subscribeTo(subscription);
  }

  /**
   * @returns the topics subscribed to: those named, or those a RegExp matched in the last listing (for
   *   a broker-resolved regex, the topics assigned now); [] without a subscription.
   */
  subscription(): string[] {
    return this.mode === 'subscribe' && this.group ? this.group.subscribedTopics() : [];
  }

  /**
   * Ends the subscription (revoking the partitions: handlers finish, auto-commit commits, `onRevoked`
   * runs, then the member leaves the group) or the manual assignment. `subscribe` or `assign` may follow;
   * an iteration or `run` in progress waits for them.
   * @returns once the member left the group, or `defaultApiTimeoutMs` passed.
   * @throws ConsumerClosedError after close.
   */
  async unsubscribe(): Promise<void> {
    this.lifecycle.ensureOpen();
    const group = this.group;
    this.group = null;
    if (group) {
      group.stopListing();
      const deadline = deadlineIn(this.context.clock, this.config.defaultApiTimeoutMs);
      await this.lifecycle.keepAlive.during(() => group.leave(deadline.at));
      group.close();
    }
    this.fetcher.setAssignment([]);
    if (this.mode !== 'none') this.mode = 'idle';
  }

  /**
   * Asks the group for a rebalance now (Java's `enforceRebalance`); `reason` goes to the coordinator in
   * JoinGroup. Under `groupProtocol: 'consumer'` the broker alone decides, so, as in Java, nothing happens.
   * @returns whether a rebalance was asked for.
   * @throws IllegalStateError without a subscription; ConsumerClosedError after close.
   */
  enforceRebalance(reason = 'the user asked for a rebalance'): boolean {
    this.lifecycle.ensureOpen();
    if (!this.group) throw new IllegalStateError('enforceRebalance() needs a subscription');
    const asked = this.group.enforceRebalance(reason);
    if (!asked)
      this.config.logger.warn({}, 'enforceRebalance() does nothing under the consumer group protocol');
    return asked;
  }

  /**
   * @returns the group membership that a transactional producer sends with `sendOffsetsToTransaction`
   *   (Java's `groupMetadata()`): group id, generation (member epoch under the consumer protocol),
   *   member id and instance id; generation -1 and member id '' while not in the group.
   * @throws IllegalStateError without `groupId`.
   */
  groupMetadata(): GroupGeneration {
    const groupId = this.requireGroup('groupMetadata');
    if (this.group) return this.group.generation();
    const groupInstanceId = this.config.groupInstanceId;
    return { groupId, generationId: -1, memberId: '', groupInstanceId, protocolName: null };
  }

  /**
   * @returns the partitions of `topic` with their leader and replicas; [] when the topic does not exist
   *   (it is never created).
   * @throws KafkaProtocolError (e.g. TOPIC_AUTHORIZATION_FAILED); ConsumerTimeoutError.
   */
  async partitionsFor(topic: string): Promise<PartitionInfo[]> {
    checkTopicList([topic]);
    return (await this.describeTopics([topic])).get(topic) ?? [];
  }

  /**
   * @returns every topic of the cluster but internal ones, with its partitions.
   * @throws KafkaProtocolError; ConsumerTimeoutError.
   */
  listTopics(): Promise<Map<string, PartitionInfo[]>> {
    return this.describeTopics(null);
  }

  /**
   * Iterates batches, one partition's records from one fetch at a time. Asking for the next batch (or
   * leaving the loop) marks the previous one processed, so a commit includes it.
   * @returns an async iterator that ends when the consumer closes or `signal` aborts; `next()` throws
   *   OffsetOutOfRangeError, NoOffsetForPartitionError, CorruptRecordError or KafkaProtocolError for a
   *   partition that needs the user's attention (the other partitions go on); AuthenticationError
   *   (TlsError, SaslAuthenticationError, SaslRequiredError) on every call once credentials were refused.
   */
  batches(
    options: BatchesOptions = {},
  ): AsyncIterableIterator<ConsumerBatch<Deserialized<KD>, Deserialized<VD>>> {
    // The records' class deserializes (or not) as the config's deserializers say, which KD and VD type.
    return this.deliveries.iterate(options) as AsyncIterableIterator<never>;
  }

  /** @returns an iterator over batches, as {@link batches} without options. */
  [Symbol.asyncIterator](): AsyncIterableIterator<ConsumerBatch<Deserialized<KD>, Deserialized<VD>>> {
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
  async run(options: RunOptions<Deserialized<KD>, Deserialized<VD>>): Promise<void> {
    this.lifecycle.ensureOpen();
    const { deliveries, maxPoll, runs, identity } = this;
    const handlerScope = this.telemetry?.handlerScope ?? null;
    const host = { deliveries, maxPoll, runs, identity, handlerScope, clock: this.context.clock };
    return this.lifecycle.keepAlive.during(() => runHandlers(host, options as RunOptions));
  }

  /**
   * Commits offsets to the group: without arguments, the consumed position of every assigned partition
   * that moved since the last commit; with arguments, exactly those offsets (with optional metadata).
   * @returns once the coordinator stored them.
   * @throws IllegalStateError without `groupId`; CommitFailedError for partitions the coordinator
   *   refused; ConsumerTimeoutError when it did not finish within `defaultApiTimeoutMs`.
   */
  commit(offsets?: readonly OffsetToCommit[]): Promise<void> {
    this.lifecycle.ensureOpen();
    const deadline = deadlineIn(this.context.clock, this.config.defaultApiTimeoutMs);
    return this.lifecycle.keepAlive.during(() => this.commits.commit(offsets, deadline));
  }

  /**
   * Moves the fetch position of a partition; no batch fetched before the seek is handed out after it.
   * @throws NotAssignedError when the partition is not assigned; TypeError on a negative or unsafe offset.
   */
  seek(tp: TopicPartition, offset: number): void {
    this.lifecycle.ensureOpen();
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new TypeError(`offset must be a non-negative integer, got ${offset}`);
    this.fetcher.positions.seek([this.partitionOf(tp)], { offset, leaderEpoch: -1 });
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
    this.lifecycle.ensureOpen();
    const p = this.partitionOf(tp);
    return this.lifecycle.keepAlive.during(() =>
      this.fetcher.positions.waitFor(p, this.config.defaultApiTimeoutMs, () => this.stoppedBy()),
    );
  }

  /**
   * Reads the group's committed offsets.
   * @returns one entry per partition: the committed offset, leader epoch and metadata, or null when none.
   * @throws IllegalStateError without `groupId`; KafkaProtocolError; ConsumerTimeoutError.
   */
  async committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionMap<CommittedOffset | null>> {
    this.lifecycle.ensureOpen();
    const groupId = this.requireGroup('committed');
    return this.lifecycle.keepAlive.during(() => committedOffsets(this.context, groupId, partitions));
  }

  /**
   * Looks up, per partition, the earliest offset whose timestamp is at or after the given time.
   * @returns one entry per partition: offset, timestamp and leader epoch, or null when no record is that recent.
   * @throws KafkaProtocolError; ConsumerTimeoutError.
   */
  async offsetsForTimes(
    query: ReadonlyArray<TopicPartition & { timestamp: number }>,
  ): Promise<TopicPartitionMap<ListedOffset | null>> {
    this.lifecycle.ensureOpen();
    return this.lifecycle.keepAlive.during(() => offsetsForTimes(this.context, query));
  }

  /**
   * @returns the log start (`earliest`) or end (`latest`) offset of each partition.
   * @throws KafkaProtocolError; ConsumerTimeoutError.
   */
  async watermarks(
    partitions: readonly TopicPartition[],
    which: 'earliest' | 'latest',
  ): Promise<TopicPartitionMap<number>> {
    this.lifecycle.ensureOpen();
    return this.lifecycle.keepAlive.during(() => watermarks(this.context, partitions, which));
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
    return lagOf(this.fetcher.partitions.values(), this.config.isolationLevel === 'read_committed');
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
    this.lifecycle.ensureOpen();
    const groupId = this.requireGroup('describeGroup');
    const memberId = this.group?.membership().memberId ?? '';
    return this.lifecycle.keepAlive.during(() => this.describer.describe(groupId, memberId));
  }

  /** @returns a snapshot of the consumer's state and counters. */
  health(): ConsumerHealth {
    return healthOf(this.parts());
  }

  /**
   * Stops consuming, waits for handlers in progress, commits the consumed positions (when auto-commit is
   * on), and closes every connection and timer. Never takes longer than `timeoutMs`, even when brokers
   * are unreachable: what is not done by then is abandoned. Calling it again returns the same promise.
   * @returns once everything is closed; it never rejects (a failed final commit is logged).
   */
  close(options: CloseOptions = {}): Promise<void> {
    const { keepAlive } = this.lifecycle;
    // Held until closed, so that `await consumer.close()` at the end of a program is waited for; the
    // last release lets the program exit.
    this.closePromise ??= keepAlive
      .during(() => closeConsumer(this.parts(), options.timeoutMs ?? 30_000))
      .finally(() => {
        keepAlive.stop();
        this.telemetry?.stop();
      });
    return this.closePromise;
  }

  /** Closes the consumer (`await using consumer = new Consumer(...)`). @returns once closed. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private parts(): ConsumerParts {
    const { context, lifecycle, fetcher, commits, runs, brokersDown, describer, group } = this;
    return {
      context,
      lifecycle,
      fetcher,
      commits,
      runs,
      brokersDown,
      describer,
      group,
      consuming: this.mode !== 'none',
    };
  }

  /** The first assign or subscribe: metadata refresh, the brokers-down watch, auto-commit. */
  private startWork(): void {
    this.context.client.startMetadataRefresh();
    this.brokersDown.start();
    this.commits.startAutoCommit();
  }

  /** @returns what stops a wait for good: an authentication failure, a fatal error, or close. */
  private stoppedBy(): Error | null {
    return (
      this.fetcher.fatalError ??
      this.lifecycle.fatalError ??
      (this.lifecycle.running ? null : new ConsumerClosedError())
    );
  }

  private resetTo(partitions: readonly TopicPartition[] | undefined, source: 'earliest' | 'latest'): void {
    this.lifecycle.ensureOpen();
    const list = partitions
      ? partitions.map((tp) => this.partitionOf(tp))
      : [...this.fetcher.partitions.values()];
    this.fetcher.positions.seek(list, null, source);
  }

  private describeTopics(topics: readonly string[] | null): Promise<Map<string, PartitionInfo[]>> {
    this.lifecycle.ensureOpen();
    return this.lifecycle.keepAlive.during(() => topicsOf(this.context, topics));
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
}
