import { RunnelError } from '@runnel/codec';

/** A consumer option has a wrong type or value; thrown by the constructor, naming the option. */
export class ConfigError extends RunnelError {
  /** False: the same options fail the same way. */
  readonly retriable = false;
  /** The option's name as the consumer's config spells it, e.g. `sessionTimeoutMs`. */
  readonly key: string;

  constructor(key: string, message: string) {
    super('ERR_CONSUMER_CONFIG', `${key}: ${message}`);
    this.key = key;
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

/** An operation did not finish within its time limit. */
export class ConsumerTimeoutError extends RunnelError {
  /** True, as Kafka's TimeoutException: the operation may finish given more time. */
  readonly retriable = true;
  readonly operation: string;
  readonly timeoutMs: number;

  constructor(operation: string, timeoutMs: number, options?: { cause?: unknown }) {
    super('ERR_CONSUMER_TIMEOUT', `${operation} did not finish within ${timeoutMs} ms`, options);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
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
