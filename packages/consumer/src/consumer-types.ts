/** The option, listener and snapshot types of the Consumer's API. */
import type { Clock, ClusterClientOptions } from '@runnel/network';
import type { ConsumerBatch, ConsumerRecord, TopicPartition } from './batch.js';
import type { GroupProtocol } from './config.js';
import type { GroupDescription } from './group-description.js';

/**
 * What a consumer runs on besides its configuration: the second argument of `new Consumer`, for tests.
 * A program never needs to pass it.
 */
export interface ConsumerEnvironment {
  /**
   * The clock of every deadline, backoff and timer of the consumer and its cluster client (default:
   * @runnel/network's `systemClock`, whose timers never keep the process alive), e.g. a `FakeClock`
   * from `@runnel/network/testing`.
   */
  readonly clock?: Clock;
  /** Opens broker connections (default: TCP or TLS sockets), e.g. a `FakeCluster`'s `factory`. */
  readonly connectionFactory?: ClusterClientOptions['connectionFactory'];
  /** Uniform numbers in [0, 1) for the jitter of backoffs (default `Math.random`). */
  readonly random?: () => number;
}

/** Options of {@link Consumer.run}. */
export interface RunOptions<K = Uint8Array, V = Uint8Array> {
  /** Called with each batch (one partition's records from one fetch); the batch counts as processed when it resolves. */
  eachBatch?: (batch: ConsumerBatch<K, V>) => Promise<void> | void;
  /** Called with each record, one at a time per partition; used when `eachBatch` is not given. */
  eachRecord?: (record: ConsumerRecord<K, V>) => Promise<void> | void;
  /**
   * How many partitions are processed at the same time (default 1), with ordering 'partition'. Order
   * within a partition is always kept.
   */
  concurrency?: number;
  /**
   * The order `eachRecord` keeps (default 'partition'): 'partition', one record at a time per
   * partition; 'key', records with the same key one at a time in offset order and different keys
   * concurrently (each record with a null key on its own); 'none', any order. Under 'key' and 'none' a
   * partition's commits only cover offsets below its first record not yet done (its watermark).
   */
  ordering?: 'partition' | 'key' | 'none';
  /** With ordering 'key' or 'none': the most records processed at the same time (default 16). */
  maxInFlight?: number;
  /**
   * With ordering 'key' or 'none': how many times a record whose handler threw is tried again (default
   * 0) before `run` stops with the error. A record is never skipped.
   */
  retries?: number;
  /** The wait before the first retry (default 100 ms); it doubles with each, up to 30 s. */
  retryBackoffMs?: number;
  /** Stops `run` (after the handlers in progress finish) when aborted. */
  signal?: AbortSignal;
}

/**
 * Called around rebalances (subscribe mode). Each may be async: the rebalance waits for it. Partitions
 * are those added (`onAssigned`), given up in order after their handlers finished and, with auto-commit,
 * their offsets were committed (`onRevoked`), or lost without a chance to commit (`onLost`).
 */
export interface RebalanceListener {
  /** Partitions added to this member's assignment; the member acknowledges the assignment after it returns. */
  onAssigned?(partitions: readonly TopicPartition[]): Promise<void> | void;
  /** Partitions given up in a rebalance, after their handlers finished and (with auto-commit) their offsets were committed. */
  onRevoked?(partitions: readonly TopicPartition[]): Promise<void> | void;
  /** Partitions lost without a chance to commit (the member was fenced or its session expired). */
  onLost?(partitions: readonly TopicPartition[]): Promise<void> | void;
}

/** Options of {@link Consumer.batches}. */
export interface BatchesOptions {
  /** Ends the iteration when aborted. */
  signal?: AbortSignal;
}

/** Options of {@link Consumer.close}. */
export interface CloseOptions {
  /** The longest `close` takes, handlers and the final commit included (default 30 000 ms). */
  timeoutMs?: number;
}

/** The consumer's view of one partition, for monitoring. */
export interface PartitionLag extends TopicPartition {
  /** The next offset to hand out; null before the position is known. */
  readonly position: number | null;
  /** The offset after the last processed record; what a commit stores. */
  readonly consumed: number | null;
  readonly highWatermark: number;
  /** Records from `consumed` to the end of the log in the isolation level in use; null while unknown. */
  readonly lag: number | null;
  readonly paused: boolean;
  /**
   * The node id of the preferred read replica (KIP-392) the partition is fetched from, when its
   * leader named one for the consumer's `rack`; null while it is fetched from its leader.
   */
  readonly preferredReadReplica: number | null;
}

/**
 * A subscription by a regular expression that the broker resolves (KIP-848; Java's
 * `SubscriptionPattern`), under `groupProtocol: 'consumer'` only. `regex` is in RE2/J syntax and must
 * match a whole topic name. Brokers without ConsumerGroupHeartbeat v1 (Kafka 3.9) cannot resolve it:
 * the consumer then matches it itself, as a JavaScript regular expression, against a listing of every
 * topic renewed every `metadataMaxAgeMs`.
 */
export interface SubscriptionPattern {
  readonly regex: string;
}

/** The consumer's group membership in a health snapshot. */
export interface GroupHealth {
  readonly groupProtocol: GroupProtocol;
  /** The member's state as its state machine names it (e.g. `STABLE`, `RECONCILING`); null before subscribe. */
  readonly memberState: string | null;
  /** The member id: '' until a classic coordinator hands one out; a consumer-protocol member makes its own. */
  readonly memberId: string;
  /** The member epoch (consumer protocol) or generation id (classic); 0 or -1 while not in the group. */
  readonly memberEpoch: number;
  /**
   * Milliseconds since the coordinator last accepted a heartbeat of this member (Heartbeat, classic;
   * ConsumerGroupHeartbeat, consumer protocol); null before the first. It grows past the heartbeat
   * interval while the coordinator does not answer.
   */
  readonly heartbeatAgeMs: number | null;
  /**
   * True while fetched records wait because the coordinator has not confirmed the membership since a
   * heartbeat failed (consumer protocol: it may have expired the member and given its partitions to
   * another); always false under the classic protocol.
   */
  readonly membershipInDoubt: boolean;
  /** The last answer of {@link Consumer.describeGroup}, or null before the first. */
  readonly description: GroupDescription | null;
  /** Why the last {@link Consumer.describeGroup} failed, or null when it succeeded or none ran. */
  readonly describeError: Error | null;
}

/** A point-in-time health snapshot. */
export interface ConsumerHealth {
  readonly state: 'running' | 'closing' | 'closed';
  readonly assigned: number;
  readonly paused: number;
  readonly bufferedBytes: number;
  readonly fetchesInFlight: number;
  readonly fetchesSent: number;
  readonly fetchErrors: number;
  readonly bytesFetched: number;
  readonly lastCommitAt: number | null;
  readonly lastCommitError: Error | null;
  /**
   * Since when (ms since the epoch) no broker has been reachable: every connection attempt since then
   * failed and no connection is open. Null while a broker is reachable.
   */
  readonly allBrokersDownSince: number | null;
  /** The last connection error while no broker is reachable; null otherwise. */
  readonly lastConnectionError: Error | null;
  /** Broker connections open now (handshaken; one per broker and kind of traffic in use). */
  readonly connections: number;
  readonly totalLag: number;
  /** The group membership and its last description; null without `groupId`. */
  readonly group: GroupHealth | null;
}
