/**
 * KafkaJS's Consumer on a Runnel Consumer. `subscribe` collects topics; `run` builds the Runnel
 * consumer (KafkaJS's `fromBeginning` is Runnel's `autoOffsetReset`), subscribes, and runs the user's
 * handlers through the runner, restarting after handler errors as KafkaJS's retry settings say.
 * Commits are KafkaJS's: resolved offsets, committed by the auto-commit policy, on revocation and on
 * stop. Heartbeats are Runnel's own timers, so a long handler never stalls them (see the README).
 */
import {
  type ConsumerBatch,
  Consumer as RunnelConsumer,
  type Logger as RunnelLogger,
  type TopicPartition as RunnelTopicPartition,
} from '@runnel/consumer';
import { runnelConfigOf } from './config-map.js';
import { toKafkaJSError } from './errors.js';
import { EventBridge } from './event-bridge.js';
import { CONSUMER_EVENTS, type ConsumerEventName, type ConsumerEvents, EventHub } from './events.js';
import { describeForKafkaJS } from './group.js';
import { byTopic, OffsetBook } from './offset-book.js';
import { type RunnerHost, runBatch } from './runner.js';
import type {
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  GroupDescription,
  InstrumentationEvent,
  KafkaConfig,
  Logger,
  Offsets,
  TopicPartition,
  TopicPartitionOffset,
  TopicPartitionOffsetAndMetadata,
  TopicPartitions,
} from './types.js';

const keyOf = (tp: TopicPartition) => OffsetBook.key(tp.topic, tp.partition);

/** @returns a RegExp matching the names and patterns together, or the plain list when all are names. */
function subscriptionOf(topics: readonly (string | RegExp)[]): string[] | RegExp {
  if (topics.every((t) => typeof t === 'string')) return [...new Set(topics as string[])];
  const exactly = (name: string) => `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  return new RegExp(topics.map((t) => (typeof t === 'string' ? exactly(t) : `(?:${t.source})`)).join('|'));
}

export class Consumer {
  /** The event names for {@link on}. */
  readonly events: ConsumerEvents = CONSUMER_EVENTS;
  private readonly hub: EventHub;
  private readonly bridge: EventBridge;
  private readonly topics: (string | RegExp)[] = [];
  private fromBeginning = false;
  private runnel: RunnelConsumer | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private stopRun: AbortController | null = null;
  private offsets = new OffsetBook();
  private readonly epochs = new Map<string, number>();
  private readonly pausedTopics = new Map<string, Set<number> | 'all'>();
  private readonly pendingSeeks = new Map<string, TopicPartitionOffset>();
  private runConfig: ConsumerRunConfig = {};
  private lastCommitAt = Date.now();
  private commitChain: Promise<void> = Promise.resolve();

  /** Made by `kafka.consumer(config)`. */
  constructor(
    private readonly client: KafkaConfig,
    private readonly config: ConsumerConfig,
    private readonly log: Logger,
    private readonly runnelLogger: RunnelLogger,
  ) {
    this.hub = new EventHub(
      (error, type) => log.error(`listener of ${type} failed`, { error: String(error) }),
      (type) => this.bridge.sync(type),
    );
    this.bridge = new EventBridge(this.hub, client.clientId ?? 'kafkajs');
  }

  /** Connects lazily (Runnel opens connections at `run`). @returns once the CONNECT event was emitted. */
  async connect(): Promise<void> {
    this.hub.emit(CONSUMER_EVENTS.CONNECT, null);
  }

  /**
   * Adds topics (names or RegExps) to the subscription used by the next `run`.
   * @throws KafkaJSNonRetriableError while running (as KafkaJS).
   */
  async subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    if (this.running) throw toKafkaJSError(new Error('Cannot subscribe to topic while consumer is running'));
    const list = 'topics' in subscription ? subscription.topics : [subscription.topic];
    this.topics.push(...list);
    this.fromBeginning ||= subscription.fromBeginning === true;
  }

  /**
   * Joins the group and starts consuming with `eachMessage` or `eachBatch`, in the background.
   * @returns once consumption started (as KafkaJS, it does not wait for it to end).
   * @throws KafkaJSNonRetriableError when already running or nothing was subscribed.
   */
  async run(config: ConsumerRunConfig = {}): Promise<void> {
    if (this.running) throw toKafkaJSError(new Error('Consumer is already running'));
    if (this.topics.length === 0)
      throw toKafkaJSError(new Error('Consumer has no subscription: call subscribe()'));
    // A run after stop() starts over on a new Runnel consumer: the stopped one leaves the group first.
    await this.runnel?.close();
    const brokers =
      typeof this.client.brokers === 'function' ? await this.client.brokers() : this.client.brokers;
    const runnel = new RunnelConsumer(
      runnelConfigOf(this.client, this.config, brokers, this.fromBeginning, this.runnelLogger),
    );
    this.runnel = runnel;
    this.bridge.attach(runnel);
    this.runConfig = config;
    this.running = true;
    this.offsets = new OffsetBook();
    runnel.subscribe(subscriptionOf(this.topics), {
      onAssigned: (added) => this.onAssigned(added),
      onRevoked: (revoked) => this.onRevoked(revoked),
      onLost: (lost) => this.forget(lost),
    });
    this.loop = this.consume(runnel, config);
  }

  /** Stops consuming: handlers in progress finish, resolved offsets are committed. @returns once stopped. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopRun?.abort();
    await this.loop;
    await this.commitResolved();
    this.hub.emit(CONSUMER_EVENTS.STOP, null);
  }

  /** Stops, leaves the group and closes every connection. @returns once closed. */
  async disconnect(): Promise<void> {
    await this.stop();
    await this.runnel?.close();
    this.runnel = null;
    this.bridge.detach();
    this.hub.emit(CONSUMER_EVENTS.DISCONNECT, null);
  }

  /**
   * Commits these offsets (the next offset to read, as strings) for the group.
   * @throws the KafkaJS error for what the coordinator refused, or KafkaJSTimeout.
   */
  async commitOffsets(topicPartitions: Array<TopicPartitionOffsetAndMetadata>): Promise<void> {
    const offsets = topicPartitions.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: Number(o.offset),
      ...(o.metadata == null ? {} : { metadata: o.metadata }),
    }));
    await this.sendCommit(offsets);
  }

  /** Moves a partition's position; the rest of a batch in progress is dropped. Applied on assignment when not assigned yet. */
  seek({ topic, partition, offset }: TopicPartitionOffset): void {
    const tp = { topic, partition };
    this.bump(tp);
    this.pendingSeeks.set(keyOf(tp), { topic, partition, offset });
    this.applySeeks();
  }

  /** Pauses topics, or some of their partitions; applies to partitions assigned later too. */
  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    for (const { topic, partitions } of topics) {
      const before = this.pausedTopics.get(topic);
      if (!partitions) this.pausedTopics.set(topic, 'all');
      else if (before !== 'all') this.pausedTopics.set(topic, new Set([...(before ?? []), ...partitions]));
    }
    this.applyPauses();
  }

  /** Undoes `pause` for topics or partitions. */
  resume(topics: Array<{ topic: string; partitions?: number[] }>): void {
    const resumed: RunnelTopicPartition[] = [];
    for (const { topic, partitions } of topics) {
      const before = this.pausedTopics.get(topic);
      if (!partitions || before === 'all') this.pausedTopics.delete(topic);
      else for (const p of partitions) before?.delete(p);
      for (const tp of this.assigned()) {
        if (tp.topic === topic && (!partitions || partitions.includes(tp.partition))) resumed.push(tp);
      }
    }
    this.runnel?.resume(resumed);
  }

  /** @returns the paused partitions, grouped by topic. */
  paused(): TopicPartitions[] {
    const byTopicMap = new Map<string, number[]>();
    for (const tp of this.runnel?.paused() ?? []) {
      byTopicMap.set(tp.topic, [...(byTopicMap.get(tp.topic) ?? []), tp.partition]);
    }
    return [...byTopicMap].map(([topic, partitions]) => ({ topic, partitions }));
  }

  /** @returns the group as the coordinator describes it, in KafkaJS's shape. @throws KafkaJSError. */
  async describeGroup(): Promise<GroupDescription> {
    if (!this.runnel) throw toKafkaJSError(new Error('describeGroup needs a running consumer'));
    try {
      return describeForKafkaJS(await this.runnel.describeGroup());
    } catch (error) {
      throw toKafkaJSError(error);
    }
  }

  /**
   * Adds a listener for one of `consumer.events`.
   * @returns a function that removes it.
   * @throws TypeError for another name.
   */
  // biome-ignore lint/suspicious/noExplicitAny: KafkaJS types each event's payload through overloads.
  on(eventName: ConsumerEventName, listener: (event: InstrumentationEvent<any>) => void): () => void {
    return this.hub.on(eventName, listener);
  }

  /** @returns the consumer's logger. */
  logger(): Logger {
    return this.log;
  }

  private async consume(runnel: RunnelConsumer, config: ConsumerRunConfig): Promise<void> {
    const retry = { ...this.client.retry, ...this.config.retry };
    // Handler failures in a row: a batch that succeeds starts the count again.
    let failures = 0;
    const host = this.runnerHost();
    const eachBatch = async (batch: ConsumerBatch) => {
      await runBatch(host, config, batch);
      failures = 0;
    };
    while (this.running) {
      this.stopRun = new AbortController();
      try {
        await runnel.run({
          concurrency: config.partitionsConsumedConcurrently ?? 1,
          signal: this.stopRun.signal,
          eachBatch,
        });
        return;
      } catch (caught) {
        const error = toKafkaJSError(caught);
        failures++;
        this.log.error('Error when calling eachMessage/eachBatch', {
          error: error.message,
          retryCount: failures,
        });
        await this.commitResolved().catch(() => undefined);
        if (failures > (retry.retries ?? 5)) {
          const restart = (await retry.restartOnFailure?.(error).catch(() => false)) ?? true;
          this.hub.emit(CONSUMER_EVENTS.CRASH, { error, groupId: this.config.groupId, restart });
          if (!restart) {
            this.running = false;
            return;
          }
          failures = 0;
        }
        const wait = Math.min(
          (retry.initialRetryTime ?? 300) * 2 ** (failures - 1),
          retry.maxRetryTime ?? 30_000,
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  private runnerHost(): RunnerHost {
    return {
      offsets: this.offsets,
      events: this.hub,
      isRunning: () => this.running,
      epochOf: (tp) => this.epochs.get(keyOf(tp)) ?? 0,
      isPaused: (tp) => {
        const p = this.pausedTopics.get(tp.topic);
        return p === 'all' || (p?.has(tp.partition) ?? false);
      },
      pauseOne: (tp) => {
        this.pause([{ topic: tp.topic, partitions: [tp.partition] }]);
        return () => this.resume([{ topic: tp.topic, partitions: [tp.partition] }]);
      },
      rewind: (tp, offset) => {
        try {
          this.runnel?.seek(tp, offset);
        } catch {
          // No longer assigned: the next owner starts from the committed offset.
        }
      },
      commitIfNecessary: () => this.commitIfNecessary(),
      commit: (offsets: Offsets) =>
        this.sendCommit(
          offsets.topics.flatMap((t) =>
            t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })),
          ),
        ),
    };
  }

  /**
   * KafkaJS's policy: by threshold, by interval, or (neither set) after every batch and message.
   * @returns the commit's promise, or undefined when none is due (no promise to wait for per message).
   */
  private commitIfNecessary(): Promise<void> | undefined {
    const { autoCommit, autoCommitInterval, autoCommitThreshold } = this.runConfig;
    if (autoCommit === false) return undefined;
    const interval = autoCommitInterval ?? null;
    const threshold = autoCommitThreshold ?? null;
    const due =
      (interval === null && threshold === null) ||
      (threshold !== null && this.offsets.resolvedSinceCommit >= threshold) ||
      (interval !== null && Date.now() - this.lastCommitAt >= interval);
    return due ? this.commitResolved() : undefined;
  }

  /** Commits the resolved offsets not committed yet (of `only` when given), when auto-commit is on. */
  private async commitResolved(only?: readonly RunnelTopicPartition[]): Promise<void> {
    if (this.runConfig.autoCommit === false || !this.runnel) return;
    const keys = only ? new Set(only.map(keyOf)) : undefined;
    const offsets = this.offsets.uncommitted(keys);
    if (offsets.length > 0) await this.sendCommit(offsets);
  }

  /** Commits one set of offsets after the previous commit settled, and emits COMMIT_OFFSETS. */
  private sendCommit(
    offsets: ReadonlyArray<{ topic: string; partition: number; offset: number; metadata?: string }>,
  ) {
    const runnel = this.runnel;
    if (!runnel) return Promise.reject(toKafkaJSError(new Error('commitOffsets needs a running consumer')));
    const send = async () => {
      try {
        await runnel.commit(offsets);
      } catch (error) {
        throw toKafkaJSError(error);
      }
      this.offsets.committed(offsets);
      this.lastCommitAt = Date.now();
      if (this.hub.has(CONSUMER_EVENTS.COMMIT_OFFSETS)) {
        const { groupId, generationId, memberId } = runnel.groupMetadata();
        const topics = byTopic(offsets).topics;
        this.hub.emit(CONSUMER_EVENTS.COMMIT_OFFSETS, {
          groupId,
          memberId,
          groupGenerationId: generationId,
          topics,
        });
      }
    };
    const result = this.commitChain.then(send, send);
    this.commitChain = result.catch(() => undefined);
    return result;
  }

  private onAssigned(added: readonly RunnelTopicPartition[]): void {
    if (!this.runnel) return;
    this.applySeeks();
    this.applyPauses();
    this.log.debug('partitions assigned', { added: added.length });
  }

  private async onRevoked(revoked: readonly RunnelTopicPartition[]): Promise<void> {
    if (this.runnel) {
      const { groupId, memberId } = this.runnel.groupMetadata();
      this.hub.emit(CONSUMER_EVENTS.REBALANCING, { groupId, memberId });
    }
    await this.commitResolved(revoked).catch((error: unknown) =>
      this.log.warn('commit on revocation failed', { error: String(error) }),
    );
    this.forget(revoked);
  }

  private forget(partitions: readonly RunnelTopicPartition[]): void {
    for (const tp of partitions) this.bump(tp);
    this.offsets.forget(partitions);
  }

  private bump(tp: TopicPartition): void {
    this.epochs.set(keyOf(tp), (this.epochs.get(keyOf(tp)) ?? 0) + 1);
  }

  private assigned(): RunnelTopicPartition[] {
    return this.runnel?.assignment() ?? [];
  }

  private applySeeks(): void {
    const assigned = new Set(this.assigned().map(keyOf));
    for (const [key, { topic, partition, offset }] of this.pendingSeeks) {
      if (!assigned.has(key)) continue;
      this.pendingSeeks.delete(key);
      this.runnel!.seek({ topic, partition }, Number(offset));
      this.offsets.resolve(topic, partition, Number(offset), 0);
    }
  }

  private applyPauses(): void {
    const host = this.runnerHost();
    const pause = this.assigned().filter((tp) => host.isPaused(tp));
    this.runnel?.pause(pause);
  }
}
