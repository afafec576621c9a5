/**
 * KafkaJS's error classes, with its names, fields and `retriable`, and the mapping of Runnel's errors
 * onto them: what a KafkaJS program catches (`instanceof KafkaJSError`, `error.retriable`,
 * `error.type`) works the same, and the Runnel error stays reachable as `cause`.
 */
import {
  AuthenticationError,
  ConnectionError,
  ConsumerTimeoutError,
  DeadlineExceededError,
  KafkaProtocolError,
  OffsetOutOfRangeError,
  RequestTimeoutError,
  RunnelError,
} from '@runnel/consumer';

/** Extra fields KafkaJS's base error takes. */
export interface KafkaJSErrorMetadata {
  retriable?: boolean;
  topic?: string;
  partitionId?: number;
  metadata?: unknown;
}

/** The base of every error this package throws. */
export class KafkaJSError extends Error {
  override readonly name: string;
  readonly retriable: boolean;
  readonly helpUrl?: string;
  override readonly cause?: Error;

  constructor(e: Error | string, metadata: KafkaJSErrorMetadata = {}) {
    super(typeof e === 'string' ? e : e.message);
    this.name = new.target.name;
    this.retriable = metadata.retriable ?? true;
    if (e instanceof Error) this.cause = e;
  }
}

/** An error that retrying will not fix. */
export class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(e: Error | string) {
    super(e, { retriable: false });
  }
}

/** A broker's error code: `type` is Kafka's name for it, `code` its number. */
export class KafkaJSProtocolError extends KafkaJSError {
  readonly code: number;
  readonly type: string;
  constructor(e: Error | string, metadata: { code?: number; type?: string; retriable?: boolean } = {}) {
    super(e, { retriable: metadata.retriable ?? (e instanceof KafkaProtocolError ? e.retriable : false) });
    this.code = metadata.code ?? (e instanceof KafkaProtocolError ? e.errorCode : -1);
    this.type = metadata.type ?? (e instanceof KafkaProtocolError ? e.errorName : 'UNKNOWN');
  }
}

/** The fetch position is outside the log and no reset policy applies. */
export class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  readonly topic: string;
  readonly partition: number;
  constructor(
    e: Error | string,
    metadata: { topic: string; partition: number } = { topic: '', partition: -1 },
  ) {
    super(e, { code: 1, type: 'OFFSET_OUT_OF_RANGE', retriable: false });
    this.topic = metadata.topic;
    this.partition = metadata.partition;
  }
}

/** An operation was retried until its time ran out. */
export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  readonly retryCount: number;
  readonly retryTime: number;
  constructor(
    e: Error | string,
    metadata: { retryCount: number; retryTime: number } = { retryCount: 0, retryTime: 0 },
  ) {
    super(e);
    this.retryCount = metadata.retryCount;
    this.retryTime = metadata.retryTime;
  }
}

/** A broker could not be reached, or the connection broke. */
export class KafkaJSConnectionError extends KafkaJSError {
  readonly broker: string;
  readonly code?: string;
  constructor(e: Error | string, metadata: { broker?: string; code?: string } = {}) {
    super(e);
    this.broker = metadata.broker ?? '';
    if (metadata.code !== undefined) this.code = metadata.code;
  }
}

/** A request got no answer in time. */
export class KafkaJSRequestTimeoutError extends KafkaJSError {
  readonly broker: string;
  readonly correlationId: number;
  readonly createdAt: number;
  readonly sentAt: number;
  readonly pendingDuration: number;
  constructor(e: Error | string, metadata: { broker?: string; correlationId?: number } = {}) {
    super(e);
    this.broker = metadata.broker ?? '';
    this.correlationId = metadata.correlationId ?? -1;
    this.createdAt = Date.now();
    this.sentAt = this.createdAt;
    this.pendingDuration = 0;
  }
}

/** SASL or TLS credentials were refused. */
export class KafkaJSSASLAuthenticationError extends KafkaJSNonRetriableError {}

/** An operation did not finish in time. */
export class KafkaJSTimeout extends KafkaJSError {}

/** What this package does not offer (the producer, the admin client). */
export class KafkaJSNotImplemented extends KafkaJSNonRetriableError {}

/** No coordinator could be found for the group. */
export class KafkaJSGroupCoordinatorNotFound extends KafkaJSError {}

/** Several errors at once. */
export class KafkaJSAggregateError extends Error {
  readonly errors: (Error | string)[];
  constructor(message: Error | string, errors: (Error | string)[]) {
    super(typeof message === 'string' ? message : message.message);
    this.name = 'KafkaJSAggregateError';
    this.errors = errors;
  }
}

/**
 * @returns `error` as the KafkaJS class a KafkaJS program would catch for it (Runnel's error as its
 *   `cause`); a KafkaJSError or an error of the user's own code is returned unchanged.
 */
export function toKafkaJSError(error: unknown): Error {
  if (error instanceof KafkaJSError || !(error instanceof Error)) return error as Error;
  if (error instanceof OffsetOutOfRangeError) {
    return new KafkaJSOffsetOutOfRange(error, { topic: error.topic, partition: error.partition });
  }
  if (error instanceof KafkaProtocolError) return new KafkaJSProtocolError(error);
  if (error instanceof AuthenticationError) return new KafkaJSSASLAuthenticationError(error);
  if (error instanceof ConnectionError) return new KafkaJSConnectionError(error, { broker: error.broker });
  if (error instanceof RequestTimeoutError)
    return new KafkaJSRequestTimeoutError(error, { broker: error.broker });
  if (error instanceof ConsumerTimeoutError || error instanceof DeadlineExceededError) {
    return new KafkaJSTimeout(error);
  }
  if (error instanceof RunnelError) {
    const retriable = 'retriable' in error && error.retriable === true;
    return new KafkaJSError(error, { retriable });
  }
  return error;
}
