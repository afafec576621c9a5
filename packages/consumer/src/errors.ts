import { RunnelError } from '@runnel/codec';

/** A consumer option has a wrong type or value; thrown by the constructor, naming the option. */
export class ConfigError extends RunnelError {
  /** False: the same options fail the same way. */
  readonly retriable = false;
  /** The option's name as the consumer's config spells it, e.g. `sessionTimeoutMs`. */
  readonly key: string;

  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('ERR_CONSUMER_CONFIG', `${key}: ${message}`, options);
    this.key = key;
  }
}

/**
 * A topic name breaks Kafka's rule (1 to 249 characters of `a-z A-Z 0-9 . _ -`, not `.` or `..`), or a
 * partition is not a non-negative int32; thrown by `assign` and `subscribe` before anything changes.
 */
export class InvalidTopicError extends RunnelError {
  /** The value that was refused, as given. */
  readonly value: unknown;

  constructor(value: unknown, message: string) {
    super('ERR_INVALID_TOPIC', message);
    this.value = value;
  }
}

/**
 * The fetch position of a partition is outside the log and `autoOffsetReset` is `none`. The position
 * is kept: the user decides, e.g. with `seek` or `seekToBeginning`.
 */
export class OffsetOutOfRangeError extends RunnelError {
  /** False: the user decides where to go on. */
  readonly retriable = false;
  readonly topic: string;
  readonly partition: number;
  /** The position the consumer tried to fetch from. */
  readonly offset: number;

  constructor(topic: string, partition: number, offset: number) {
    super(
      'ERR_OFFSET_OUT_OF_RANGE',
      `offset ${offset} of ${topic}-${partition} is out of range and autoOffsetReset is none`,
    );
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
  }
}

/** The partition has no committed offset and `autoOffsetReset` is `none`, so there is nowhere to start. */
export class NoOffsetForPartitionError extends RunnelError {
  /** False: the user decides where to start. */
  readonly retriable = false;
  readonly topic: string;
  readonly partition: number;

  constructor(topic: string, partition: number) {
    super(
      'ERR_NO_OFFSET_FOR_PARTITION',
      `${topic}-${partition} has no committed offset and autoOffsetReset is none`,
    );
    this.topic = topic;
    this.partition = partition;
  }
}

/** The consumer was closed; nothing more can be done with it. */
export class ConsumerClosedError extends RunnelError {
  /** False: a closed consumer stays closed. */
  readonly retriable = false;
  constructor() {
    super('ERR_CONSUMER_CLOSED', 'the consumer is closed');
  }
}

/** A call that needs a partition the consumer is not assigned (seek, pause, position...). */
export class NotAssignedError extends RunnelError {
  /** False: the partition stays unassigned until a rebalance or `assign`. */
  readonly retriable = false;
  readonly topic: string;
  readonly partition: number;

  constructor(topic: string, partition: number) {
    super('ERR_NOT_ASSIGNED', `${topic}-${partition} is not assigned to this consumer`);
    this.topic = topic;
    this.partition = partition;
  }
}

/** A call that is wrong in the consumer's current mode (e.g. `assign` after `subscribe`, commit without groupId). */
export class IllegalStateError extends RunnelError {
  /** False: the call is wrong in this mode. */
  readonly retriable = false;
  constructor(message: string) {
    super('ERR_ILLEGAL_STATE', message);
  }
}

/**
 * A call of the consumer (`commit`, `committed`, `position`, `offsetsForTimes`, `describeGroup`...) did
 * not finish within its configured time (`defaultApiTimeoutMs`, or the close timeout). `cause` is what
 * failed last (a broker error, a connection error), when something did.
 */
export class ConsumerTimeoutError extends RunnelError {
  /** True, as Kafka's TimeoutException: the operation may finish given more time. */
  readonly retriable = true;
  readonly operation: string;
  /** The configured time limit, in ms. */
  readonly timeoutMs: number;

  constructor(operation: string, timeoutMs: number, options?: { cause?: unknown }) {
    const cause = options?.cause;
    const last = cause instanceof Error ? `; last error: ${cause.message}` : '';
    super('ERR_CONSUMER_TIMEOUT', `${operation} did not finish within ${timeoutMs} ms${last}`, options);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * No broker could be reached for `allBrokersDownTimeoutMs`: every connection attempt failed and no
 * connection was open. The iterator and `run` fail with it; `cause` is the last connection error.
 */
export class AllBrokersDownError extends RunnelError {
  readonly timeoutMs: number;
  /** When (ms since the epoch) the last broker became unreachable. */
  readonly since: number;

  constructor(timeoutMs: number, since: number, options?: { cause?: unknown }) {
    const cause = options?.cause;
    const last = cause instanceof Error ? `: ${cause.message}` : '';
    super(
      'ERR_ALL_BROKERS_DOWN',
      `no broker was reachable for ${timeoutMs} ms (allBrokersDownTimeoutMs)${last}`,
      options,
    );
    this.timeoutMs = timeoutMs;
    this.since = since;
  }
}

/**
 * A partition's Fetch answers held no complete record batch, even at the largest fetch size
 * (`fetchMaxBytes`): a record larger than that on a broker without KIP-74, or a truncated response. The
 * partition stops at `offset` until the user seeks past it (Java's RecordTooLargeException).
 */
export class RecordTooLargeError extends RunnelError {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The largest partition fetch size tried, in bytes. */
  readonly fetchSize: number;

  constructor(topic: string, partition: number, offset: number, fetchSize: number) {
    super(
      'ERR_RECORD_TOO_LARGE',
      `no complete record batch at offset ${offset} of ${topic}-${partition} within ${fetchSize} bytes: a record larger than fetchMaxBytes, or a truncated response; seek past it to go on`,
    );
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.fetchSize = fetchSize;
  }
}

/** Committing offsets failed for some partitions; `failures` names each one with its error. */
export class CommitFailedError extends RunnelError {
  /** False: see `failures` for what went wrong with each partition. */
  readonly retriable = false;
  readonly failures: ReadonlyArray<{ topic: string; partition: number; error: Error }>;

  constructor(failures: ReadonlyArray<{ topic: string; partition: number; error: Error }>) {
    const first = failures[0];
    super(
      'ERR_COMMIT_FAILED',
      `offset commit failed for ${failures.length} partition(s)${first ? `, first ${first.topic}-${first.partition}: ${first.error.message}` : ''}`,
      first ? { cause: first.error } : undefined,
    );
    this.failures = failures;
  }
}
