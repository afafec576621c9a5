import { RunnelError } from '@runnel/codec';

/**
 * Why a connection is unusable:
 * - `refused`: the broker actively refused the TCP connection (ECONNREFUSED);
 * - `reset`: the peer reset the connection (ECONNRESET, EPIPE);
 * - `closed`: the peer or this client closed the connection (including end of stream mid-frame);
 * - `connect-timeout`: the connection was not established within the connect timeout;
 * - `protocol`: the broker broke the framing rules, so the byte stream can no longer be trusted;
 * - `request-timeout`: an in-flight request timed out, which closes the connection (see the README);
 * - `network`: any other socket error (host unreachable, DNS failure...), see `cause`;
 * - `unknown-broker`: a request was addressed to a node id the metadata does not list.
 */
export type ConnectionErrorReason =
  | 'refused'
  | 'reset'
  | 'closed'
  | 'connect-timeout'
  | 'protocol'
  | 'request-timeout'
  | 'network'
  | 'unknown-broker';

/**
 * A connection to a broker could not be established or broke; every request pending on it fails with
 * this error (or, for the one request a protocol violation or timeout is about, with the more specific
 * error below). Retrying on a fresh connection is safe for idempotent requests.
 */
export class ConnectionError extends RunnelError {
  /** True: a fresh connection may succeed (Kafka's NetworkException is retriable). */
  readonly retriable = true;
  /** The broker as `host:port`. */
  readonly broker: string;
  readonly reason: ConnectionErrorReason;

  constructor(broker: string, reason: ConnectionErrorReason, message: string, options?: { cause?: unknown }) {
    super('ERR_CONNECTION', `${message} (broker ${broker})`, options);
    this.broker = broker;
    this.reason = reason;
  }
}

/** A request got no response within its timeout. */
export class RequestTimeoutError extends RunnelError {
  /** True: the request may succeed on a fresh connection (as Kafka's TimeoutException). */
  readonly retriable = true;
  /** The broker as `host:port`. */
  readonly broker: string;
  readonly apiKey: number;
  readonly timeoutMs: number;

  constructor(broker: string, apiKey: number, timeoutMs: number) {
    super(
      'ERR_REQUEST_TIMEOUT',
      `request (api key ${apiKey}) timed out after ${timeoutMs} ms (broker ${broker})`,
    );
    this.broker = broker;
    this.apiKey = apiKey;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A response frame announced a size above the configured maximum, or a negative size. Detected from the
 * 4-byte size prefix alone, before any buffer is allocated for the frame; the connection is closed.
 */
export class FrameTooLargeError extends RunnelError {
  /** False: the broker sends the same frame again. */
  readonly retriable = false;
  /** The broker as `host:port`. */
  readonly broker: string;
  /** The size the frame announced (negative when the prefix was garbage). */
  readonly size: number;
  readonly maxSize: number;

  constructor(broker: string, size: number, maxSize: number) {
    super(
      'ERR_FRAME_TOO_LARGE',
      size < 0
        ? `response frame announced a negative size ${size} (broker ${broker})`
        : `response frame of ${size} bytes exceeds the maximum of ${maxSize} bytes (broker ${broker})`,
    );
    this.broker = broker;
    this.size = size;
    this.maxSize = maxSize;
  }
}

/**
 * A response carried a correlation id other than the one of the oldest in-flight request. Kafka answers
 * the requests of one connection in order, so this means the stream is corrupt; the connection is closed.
 */
export class CorrelationMismatchError extends RunnelError {
  /** True: the connection is closed, and a fresh one starts a clean stream. */
  readonly retriable = true;
  /** The broker as `host:port`. */
  readonly broker: string;
  /** The correlation id of the oldest in-flight request, or -1 when none was in flight. */
  readonly expected: number;
  readonly received: number;

  constructor(broker: string, expected: number, received: number) {
    super(
      'ERR_CORRELATION_MISMATCH',
      expected < 0
        ? `response with correlation id ${received} arrived with no request in flight (broker ${broker})`
        : `response correlation id ${received} does not match the oldest in-flight request ${expected} (broker ${broker})`,
    );
    this.broker = broker;
    this.expected = expected;
    this.received = received;
  }
}

/** A request could not be completed before its deadline, retries included. */
export class DeadlineExceededError extends RunnelError {
  /** True, as Kafka's TimeoutException: a caller with time left may try again. */
  readonly retriable = true;
  readonly api: string;
  readonly deadlineMs: number;

  constructor(api: string, deadlineMs: number, options?: { cause?: unknown }) {
    super('ERR_DEADLINE_EXCEEDED', `${api} did not complete within ${deadlineMs} ms`, options);
    this.api = api;
    this.deadlineMs = deadlineMs;
  }
}

/** The client (broker pool or cluster client) was closed; nothing more can be sent through it. */
export class ClientClosedError extends RunnelError {
  /** False: nothing more can be sent through a closed client. */
  readonly retriable = false;
  constructor() {
    super('ERR_CLIENT_CLOSED', 'the client is closed');
  }
}
