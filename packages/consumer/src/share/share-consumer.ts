/**
 * A consumer of a share group (KIP-932, queues for Kafka): members of one share group consume the same
 * partitions cooperatively; the broker hands each record to one member at a time, under an acquisition
 * lock, and the member acknowledges it (accept, release, reject). Built on the consumer's conventions:
 * its config checks, errors, logger, TLS/SASL, the one handle that keeps the process alive while work
 * is awaited, health, and the memory bound of fetched data.
 */
import { ShareGroupMember } from '@runnel/group';
import type { TopicPartition } from '../batch.js';
import { type BrokersDownWatch, consumerBrokersDownWatch } from '../brokers-down-watch.js';
import { contextFor } from '../consumer-client.js';
import type { ConsumerEnvironment } from '../consumer-types.js';
import type { ClientContext } from '../context.js';
import type { Deserialized, Deserializer } from '../deserializers.js';
import {
  acknowledgementChannel,
  isTraced,
  type ProcessMessage,
  processChannel,
  processEnded,
  processStarted,
} from '../diagnostics.js';
import { IllegalStateError } from '../errors.js';
import { ConsumerEvents, type RebalanceKind, reportReachability } from '../events.js';
import { GroupDriver } from '../group-driver.js';
import { heartbeatAgeMs } from '../health.js';
import { ConsumerLifecycle } from '../lifecycle.js';
import { changedOrAborted } from '../loop-signal.js';
import { processTracer, RunRegistry, runBatches } from '../run-loop.js';
import { ConsumerTelemetry, loadOpenTelemetry } from '../telemetry.js';
import { checkTopicList } from '../topic-validation.js';
import { type ResolvedShareConfig, resolveShareConfig, type ShareConsumerConfig } from './share-config.js';
import type { AcknowledgeType } from './share-errors.js';
import type {
  ShareConsumerEventListener,
  ShareConsumerEventMap,
  ShareConsumerEventName,
} from './share-events.js';
import { type AcknowledgementResult, ShareFetcher } from './share-fetcher.js';
import { ackCodeOf, type ShareBatch, ShareDelivery, type ShareRecord } from './share-records.js';
import type { ShareConsumerHealth, ShareRunOptions } from './share-types.js';

/**
 * A share group consumer. `subscribe` to topics, then read with `for await (const batch of consumer)`
 * or `run({ eachRecord })`; acknowledge records (implicitly, or with `acknowledge` in explicit mode);
 * `close()` when done. `KD` and `VD` are the deserializers' types, as the consumer's.
 */
export class ShareConsumer<KD extends Deserializer = 'buffer', VD extends Deserializer = 'buffer'>
  implements AsyncDisposable
{
  /** The configuration with defaults applied. */
  readonly config: ResolvedShareConfig;
  private readonly context: ClientContext<ResolvedShareConfig>;
  private readonly events: ConsumerEvents<ShareConsumerEventMap>;
  private readonly lifecycle: ConsumerLifecycle;
  private readonly member: ShareGroupMember;
  private readonly driver: GroupDriver;
  private readonly fetcher: ShareFetcher;
  private readonly brokersDown: BrokersDownWatch;
  private readonly runs = new RunRegistry();
  private readonly telemetry: ConsumerTelemetry | null = null;
  private topics: readonly string[] = [];
  private closePromise: Promise<void> | null = null;
  private callback: ((results: readonly AcknowledgementResult[]) => void) | null = null;
  private lastCommitAt: number | null = null;

  /**
   * Checks the configuration; connects nothing yet, and holds nothing that keeps the process alive.
   * @param environment the clock and connections to run on, for tests; a program leaves it out.
   * @throws ConfigError naming the option that is missing, unknown or out of range (a consumer option
   *   share groups do not have says what to use instead), `tls` when its material cannot be loaded, or
   *   `telemetry` when it is asked for and `@opentelemetry/api` is not installed.
   */
  constructor(config: ShareConsumerConfig<KD, VD>, environment: ConsumerEnvironment = {}) {
    this.config = resolveShareConfig(config);
    // Before anything is built: a missing @opentelemetry/api fails the constructor cleanly.
    const openTelemetry = this.config.telemetry ? loadOpenTelemetry() : null;
    this.events = new ConsumerEvents<ShareConsumerEventMap>(this.config.logger);
    this.lifecycle = new ConsumerLifecycle(this.events);
    this.context = contextFor(config, this.config, environment, this.events);
    reportReachability(this.context.client.pool.reachability, this.events);
    const { retryBackoffMs, requestTimeoutMs, groupId, rack } = this.config;
    this.member = new ShareGroupMember({
      groupId,
      clientRack: rack,
      requestTimeoutMs,
      retryBackoffMs: Math.max(1, retryBackoffMs),
    });
    const { identity } = this.context;
    this.fetcher = new ShareFetcher(this.context, this.member.memberId, (results) => {
      if (this.events.has('acknowledgement'))
        for (const r of results) this.events.emit('acknowledgement', { groupId, ...r });
      if (acknowledgementChannel.hasSubscribers)
        for (const r of results) acknowledgementChannel.publish({ consumer: identity, ...r });
      this.callback?.(results);
    });
    // A share member has no listeners to run: partitions start or stop being fetched at once.
    const apply = (kind: RebalanceKind, partitions: readonly TopicPartition[], all: TopicPartition[]) => {
      const started = this.context.clock.now();
      this.fetcher.setAssignment(all);
      const durationMs = this.context.clock.now() - started;
      this.events.emit(kind, { partitions, assignment: all, groupId, durationMs });
    };
    const drop = (kind: RebalanceKind) => async (partitions: readonly TopicPartition[]) => {
      const gone = new Set(partitions.map((p) => `${p.topic}:${p.partition}`));
      const left = this.fetcher.assignment().filter((p) => !gone.has(`${p.topic}:${p.partition}`));
      apply(kind, partitions, left);
    };
    const assignment = {
      assigned: async (added: readonly TopicPartition[], all: readonly TopicPartition[]) => {
        this.config.logger.info({ partitions: all.length }, 'share partitions assigned');
        apply('assigned', added, [...all]);
      },
      revoked: drop('revoked'),
      lost: drop('lost'),
    };
    const hooks = {
      fatal: (error: Error) => {
        this.lifecycle.fail(error);
        this.fetcher.wake();
      },
      isPolling: () => false,
    };
    this.driver = new GroupDriver(this.context, assignment, hooks, this.member);
    this.brokersDown = consumerBrokersDownWatch(this.context, this.lifecycle, () => {
      this.driver.close();
      this.fetcher.close();
    });
    if (this.config.telemetry && openTelemetry) {
      const sources = {
        health: () => ({
          bufferedBytes: this.fetcher.bufferedBytes,
          connections: this.context.client.pool.openConnections,
          group: { heartbeatAgeMs: heartbeatAgeMs(this.member.lastHeartbeatAt, this.context.clock.now()) },
        }),
      };
      this.telemetry = new ConsumerTelemetry(this.context, this.config.telemetry, sources, openTelemetry);
      this.telemetry.start();
    }
  }

  /**
   * Adds a listener of a lifecycle event (`ShareConsumerEventMap` gives each payload): `assigned`,
   * `revoked`, `lost`, `acknowledgement`, `fetchError`, `brokerDown`, `brokerUp`, `fatal`. A listener
   * that throws or rejects is logged and skipped; it never disturbs consumption.
   * @returns the share consumer, for chaining.
   */
  on<E extends ShareConsumerEventName>(name: E, listener: ShareConsumerEventListener<E>): this {
    this.events.on(name, listener);
    return this;
  }

  /** Removes a listener added with {@link on}. @returns the share consumer, for chaining. */
  off<E extends ShareConsumerEventName>(name: E, listener: ShareConsumerEventListener<E>): this {
    this.events.off(name, listener);
    return this;
  }

  /**
   * Joins the share group (`groupId`) for these topics; calling it again changes the subscription.
   * @throws ConsumerClosedError after close; InvalidTopicError on a name Kafka would refuse; TypeError
   *   on an argument that is not a list of names. Nothing changes when it throws.
   */
  subscribe(topics: readonly string[]): void {
    this.lifecycle.ensureOpen();
    if (!Array.isArray(topics)) {
      throw new TypeError('a share consumer subscribes to a list of topic names');
    }
    checkTopicList(topics);
    if (topics.length === 0) throw new TypeError('subscribe needs at least one topic');
    this.topics = [...new Set(topics)].sort();
    this.driver.subscribeTo({ kind: 'topics', topics: this.topics });
    this.context.client.startMetadataRefresh();
    this.brokersDown.start();
  }

  /** @returns the subscribed topics, sorted. */
  subscription(): string[] {
    return [...this.topics];
  }

  /** @returns the partitions the group assigned to this member now (other members may share them). */
  assignment(): { topic: string; partition: number }[] {
    return this.fetcher.assignment();
  }

  /**
   * Iterates batches of acquired records. Asking for the next batch (or leaving the loop) finishes the
   * previous one: in implicit mode its records not acknowledged yet are accepted; in explicit mode every
   * record must have been acknowledged (leaving the loop releases those that were not).
   * @returns an async iterator that ends when the consumer closes or `signal` aborts; `next()` throws
   *   IllegalStateError in explicit mode while records of the previous batch are not acknowledged (they
   *   stay acquired: acknowledge them and ask again), CorruptRecordError or DecodeError for data that
   *   cannot be read (its records are released), GroupFatalError when the group member cannot go on,
   *   AuthenticationError once credentials were refused, AllBrokersDownError.
   */
  batches(
    options: { signal?: AbortSignal } = {},
  ): AsyncIterableIterator<ShareBatch<Deserialized<KD>, Deserialized<VD>>> {
    let current: ShareDelivery | null = null;
    // The batch in the user's hands, as the process channel saw it start; null when nobody listens.
    let traced: ProcessMessage | null = null;
    const { identity } = this.context;
    const ended = () => {
      current = null;
      if (traced) processEnded(traced);
      traced = null;
    };
    const iterator: AsyncIterableIterator<ShareBatch> = {
      next: async () => {
        // Throws in explicit mode while records are not acknowledged: the batch stays the user's.
        if (current !== null) this.fetcher.finish(current, this.config.acknowledgementMode);
        ended();
        const delivery = await this.lifecycle.keepAlive.during(() => this.nextDelivery(options.signal));
        if (delivery === null) return { done: true, value: undefined };
        current = delivery;
        if (isTraced(processChannel)) {
          traced = { consumer: identity, kind: 'iterator', batch: delivery.batch };
          processStarted(traced);
        }
        return { done: false, value: delivery.batch };
      },
      return: async () => {
        if (current !== null) {
          if (this.config.acknowledgementMode === 'implicit') this.fetcher.finish(current, 'implicit');
          else this.fetcher.release(current, 'explicit');
        }
        ended();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    // The records' class deserializes (or not) as the config's deserializers say, which KD and VD type.
    return iterator as AsyncIterableIterator<never>;
  }

  /** @returns an iterator over batches, as {@link batches} without options. */
  [Symbol.asyncIterator](): AsyncIterableIterator<ShareBatch<Deserialized<KD>, Deserialized<VD>>> {
    return this.batches();
  }

  /**
   * Processes batches with `eachBatch` (or records with `eachRecord`) until the consumer closes or
   * `signal` aborts, with up to `concurrency` batches at a time. A batch is finished when its handler
   * resolves (implicit mode: the records not acknowledged are accepted; explicit mode: each must have
   * been acknowledged, or `run` fails with IllegalStateError). When a handler throws, no new batch
   * starts, the others finish, the failed batch's records from the one that failed on are released (so
   * that they are delivered again, with a higher delivery count), and `run` rejects with the error.
   * @returns a promise that resolves when consumption stopped (close or abort).
   * @throws (as a rejection) what a handler threw, or what {@link batches} throws; TypeError when
   *   neither handler is given or concurrency is not a positive integer.
   */
  async run(options: ShareRunOptions<Deserialized<KD>, Deserialized<VD>>): Promise<void> {
    this.lifecycle.ensureOpen();
    const mode = this.config.acknowledgementMode;
    const deliveries = {
      next: (signal: AbortSignal | undefined) => this.nextDelivery(signal),
      finish: (delivery: ShareDelivery) => this.fetcher.finish(delivery, mode),
      rewind: (delivery: ShareDelivery, offset: number) => {
        const from = delivery.batch.records.findIndex((r) => r.offset >= offset);
        this.fetcher.release(delivery, mode, from < 0 ? delivery.batch.records.length : from);
      },
    };
    // With telemetry, a handler runs with its process span active: spans it starts are its children.
    const traced = processTracer(this.context.identity, this.telemetry?.handlerScope ?? null);
    const host = { deliveries, maxPoll: null, runs: this.runs, traced };
    return this.lifecycle.keepAlive.during(() => runBatches(host, options as ShareRunOptions));
  }

  /**
   * Acknowledges one record handed out by this consumer: `accept` (processed), `release` (deliver it
   * again, to any member) or `reject` (never deliver it again). It is sent to the broker with the next
   * ShareFetch, or at once by `commit()`. In implicit mode it overrides the accept the record would get.
   * @throws InvalidAcknowledgeTypeError for another type; RecordNotAcquiredError for a record this
   *   consumer did not hand out (or whose batch is finished); RecordAlreadyAcknowledgedError;
   *   AcquisitionLockTimeoutError once the record's lock ran out. Nothing is recorded when it throws.
   */
  acknowledge(record: ShareRecord<unknown, unknown>, type: AcknowledgeType = 'accept'): void {
    const code = ackCodeOf(type);
    const { delivery, index } = ShareDelivery.of(record, this);
    delivery.acknowledge(index, code, this.context.clock.wallClockMs());
  }

  /**
   * Sends the acknowledgements made so far (in implicit mode, those of finished batches too) at once,
   * and waits for the brokers' answers, as Java's `commitSync`.
   * @returns one result per partition: the offsets acknowledged and null, or the error that refused
   *   them (KafkaProtocolError, e.g. INVALID_RECORD_STATE; AcquisitionLockTimeoutError;
   *   ConsumerTimeoutError for those not answered within `defaultApiTimeoutMs`, which stay queued).
   * @throws ConsumerClosedError after close.
   */
  async commit(): Promise<AcknowledgementResult[]> {
    this.lifecycle.ensureOpen();
    const results = await this.lifecycle.keepAlive.during(() =>
      this.fetcher.flush(this.config.defaultApiTimeoutMs),
    );
    this.lastCommitAt = this.context.clock.wallClockMs();
    return results;
  }

  /**
   * Sets the function told of every acknowledgement's answer (Java's `AcknowledgementCommitCallback`):
   * implicit, explicit, piggybacked or committed, one call per answer with a result per partition.
   * What it throws is logged. `null` removes it.
   */
  setAcknowledgementCommitCallback(
    callback: ((results: readonly AcknowledgementResult[]) => void) | null,
  ): void {
    this.callback = callback;
  }

  /** @returns a snapshot of the consumer's state and counters. Never throws. */
  health(): ShareConsumerHealth {
    const member = this.member.health();
    return {
      state: this.lifecycle.state,
      memberState: member.state,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      assigned: this.fetcher.assignment().length,
      bufferedBytes: this.fetcher.bufferedBytes,
      requestsInFlight: this.fetcher.requestsInFlight,
      ...this.fetcher.stats,
      acquisitionLockTimeoutMs: this.fetcher.lockTimeoutMs,
      lastCommitAt: this.lastCommitAt,
      allBrokersDownSince: this.brokersDown.downSince,
      lastConnectionError: this.context.client.pool.lastConnectionError,
      fatalError: this.lifecycle.fatalError ?? this.member.fatalError,
    };
  }

  /**
   * Stops consuming, waits for handlers in progress, releases every record acquired and not
   * acknowledged (buffered, or handed out and not finished), sends the acknowledgements left while
   * closing each share session, leaves the group, and closes every connection and timer. Never takes
   * longer than `timeoutMs` (default 30 000); what is not done by then is abandoned (the broker releases
   * the records when their locks run out). Calling it again returns the same promise.
   * @returns once everything is closed; it never rejects.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    const { keepAlive } = this.lifecycle;
    this.closePromise ??= keepAlive
      .during(() => this.doClose(options.timeoutMs ?? 30_000))
      .finally(() => {
        keepAlive.stop();
        this.telemetry?.stop();
      });
    return this.closePromise;
  }

  /** Closes the consumer (`await using consumer = new ShareConsumer(...)`). @returns once closed. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async doClose(timeoutMs: number): Promise<void> {
    const { clock, client } = this.context;
    this.lifecycle.moveTo('closing');
    const deadline = clock.now() + timeoutMs;
    this.runs.stopAll();
    this.brokersDown.stop();
    this.fetcher.wake();
    let timer: unknown;
    // The clock's timer is unref'd; the keep-alive holds the process until close is done.
    const timeout = new Promise<void>((resolve) => {
      timer = clock.setTimeout(resolve, timeoutMs);
    });
    const graceful = (async () => {
      await this.runs.settled();
      await this.fetcher.closeSessions(deadline);
      if (this.topics.length > 0) await this.driver.leave(deadline);
    })();
    await Promise.race([graceful, timeout]);
    this.driver.close();
    this.fetcher.close();
    await Promise.race([client.close().catch(() => undefined), timeout]);
    clock.clearTimeout(timer);
    this.lifecycle.moveTo('closed');
  }

  private async nextDelivery(signal: AbortSignal | undefined): Promise<ShareDelivery | null> {
    for (;;) {
      if (!this.lifecycle.running || signal?.aborted) return null;
      if (this.lifecycle.fatalError) throw this.lifecycle.fatalError;
      const taken = this.fetcher.take(this);
      if (taken !== null) {
        if ('error' in taken) throw taken.error;
        return taken.delivery;
      }
      if (this.topics.length === 0) throw new IllegalStateError('nothing to consume: call subscribe() first');
      await changedOrAborted(this.fetcher.changed(), signal);
    }
  }
}
