import * as net from 'node:net';
import { Reader, RunnelError, Writer } from '@runnel/codec';
import { Fetch, readResponseHeaderRest, ShareFetch, writeRequestHeader } from '@runnel/protocol';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import type { RequestProgress } from './diagnostics.js';
import {
  ConnectionError,
  type ConnectionErrorReason,
  CorrelationMismatchError,
  RequestTimeoutError,
} from './errors.js';
import { FrameDecoder } from './frame-decoder.js';
import { failure, type Logger, silentLogger } from './logger.js';
import { TlsError } from './security/errors.js';
import { looksLikeTlsRecord, tlsErrorOf } from './security/tls.js';

/** The largest correlation id; the next one after it is 0. */
export const MAX_CORRELATION_ID = 0x7fff_ffff;

/**
 * Opens the socket for a connection. The default is `net.connect`; a TLS factory returns
 * `tls.connect(...)`, and the connection then waits for `secureConnect` instead of `connect`.
 */
export type SocketFactory = (options: { host: string; port: number }) => net.Socket;

/** How a {@link Connection} behaves. Every field is optional except the broker address. */
export interface ConnectionOptions {
  host: string;
  port: number;
  /** Sent in every request header of version >= 1 (default `runnel`). */
  clientId?: string | null;
  /**
   * Response frames announcing more bytes than this close the connection (default 128 MiB). It is the
   * limit of the responses that carry records (Fetch, ShareFetch); every other response is held to the
   * smaller {@link maxNonFetchResponseSize} as well.
   */
  maxResponseSize?: number;
  /**
   * The largest frame of a response that carries no records (Metadata, JoinGroup, OffsetFetch...):
   * default 32 MiB. These responses decode into many small objects, so a huge one costs far more
   * memory than its size; past the limit the connection closes with a FrameTooLargeError.
   */
  maxNonFetchResponseSize?: number;
  /** Requests written but not yet answered; more are queued in order (default 5, as Java). */
  maxInFlightRequests?: number;
  /** Default per-request timeout, counted from `send()` (default 30 000 ms, as Java). */
  requestTimeoutMs?: number;
  /** Time allowed to establish the socket (default 10 000 ms, as Java's connection setup timeout). */
  connectTimeoutMs?: number;
  socketFactory?: SocketFactory;
  clock?: Clock;
  logger?: Logger;
  /** The first correlation id to use (default 0); exposed so tests can reach the wrap-around. */
  initialCorrelationId?: number;
}

/**
 * One request as the connection sees it: the header fields, how to write the body and how to read the
 * response body. The protocol package's API objects are adapted to this shape by the broker pool.
 */
export interface RequestSpec<T> {
  apiKey: number;
  apiVersion: number;
  /** Request header version: 1 for non-flexible versions, 2 for flexible ones (0 for very old APIs). */
  requestHeaderVersion: number;
  /** Response header version: 0 or 1 (flexible). ApiVersions always answers with 0. */
  responseHeaderVersion: number;
  /** Writes the request body after the header. */
  writeBody: (writer: Writer) => void;
  /**
   * Reads the response body; the reader's buffer is the response frame, so returned views stay valid.
   * `null` for requests the broker never answers (Produce with acks=0): the promise then resolves once
   * the bytes have been handed to the operating system.
   */
  readBody: ((reader: Reader) => T) | null;
  /** Overrides the connection's request timeout for this request (e.g. a Fetch long poll). */
  timeoutMs?: number;
  /** A size hint for the request buffer, in bytes. */
  sizeHint?: number;
  /** Where to note the request's sizes, correlation id and send time (the `runnel:request` channel). */
  progress?: RequestProgress;
}

/** The state of a connection; it only moves forward. */
export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'closed';

type PendingState = 'queued' | 'in-flight' | 'done';

interface Pending {
  state: PendingState;
  /** Sent through {@link Connection.exclusive}'s `send`: written ahead of the queue. */
  readonly priority: boolean;
  readonly correlationId: number;
  readonly apiKey: number;
  readonly responseHeaderVersion: number;
  readonly readBody: ((reader: Reader) => unknown) | null;
  readonly timeoutMs: number;
  bytes: Uint8Array | null;
  readonly progress: RequestProgress | undefined;
  timer: TimerHandle | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const DEFAULT_MAX_RESPONSE_SIZE = 128 * 1024 * 1024;
const DEFAULT_MAX_NON_FETCH_RESPONSE_SIZE = 32 * 1024 * 1024;
/** The APIs whose responses carry record data, and so may be as large as `maxResponseSize`. */
const RECORD_RESPONSE_API_KEYS: ReadonlySet<number> = new Set([Fetch.apiKey, ShareFetch.apiKey]);

/**
 * One TCP connection to one broker: Kafka framing, correlation ids, pipelining with a bound on
 * in-flight requests, per-request timeouts.
 *
 * A connection is used once: after it closes (for any reason) every later `send` fails with a
 * {@link ConnectionError}; the broker pool opens a new one. When a request that was already written
 * times out, the connection is closed (as Java does): the broker answers in order, so a stalled
 * response also blocks every later one, and a late answer could not be told apart from garbage.
 */
export class Connection {
  /** `host:port`, as named in errors and logs. */
  readonly broker: string;
  private readonly options: ConnectionOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxInFlight: number;
  private readonly requestTimeoutMs: number;
  private readonly clientId: string | null;
  private readonly decoder: FrameDecoder;
  private readonly maxResponseSize: number;
  private readonly maxNonFetchResponseSize: number;
  private readonly queue: Pending[] = [];
  /** Requests of an {@link exclusive} task; while one runs, only these are written. */
  private readonly priorityQueue: Pending[] = [];
  private exclusiveActive = false;
  private tls = false;
  private handshakeDone = false;
  private tcpConnected = false;
  private receivedAny = false;
  private responseCount = 0;
  /** Written requests that expect a response, oldest first. */
  private readonly inFlight: Pending[] = [];
  /** Written requests that expect no response and whose bytes are not yet flushed. */
  private readonly unflushed = new Set<Pending>();
  private nextCorrelationId: number;
  private socket: net.Socket | null = null;
  private connectPromise: Promise<void> | null = null;
  private closePromise: Promise<void> | null = null;
  private closeError: ConnectionError | null = null;
  private readonly closeListeners = new Set<(error: ConnectionError) => void>();
  private stateValue: ConnectionState = 'idle';
  private lastActivity: number;

  /** Creates an unconnected connection; nothing happens until {@link connect} or {@link send}. */
  constructor(options: ConnectionOptions) {
    this.options = options;
    this.broker = `${options.host}:${options.port}`;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.maxInFlight = Math.max(1, options.maxInFlightRequests ?? 5);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.clientId = options.clientId === undefined ? 'runnel' : options.clientId;
    this.maxResponseSize = options.maxResponseSize ?? DEFAULT_MAX_RESPONSE_SIZE;
    this.maxNonFetchResponseSize = Math.min(
      this.maxResponseSize,
      options.maxNonFetchResponseSize ?? DEFAULT_MAX_NON_FETCH_RESPONSE_SIZE,
    );
    // Kafka answers in order, so the next frame belongs to the oldest request in flight.
    this.decoder = new FrameDecoder(this.broker, () => {
      const head = this.inFlight[0];
      return head && RECORD_RESPONSE_API_KEYS.has(head.apiKey)
        ? this.maxResponseSize
        : this.maxNonFetchResponseSize;
    });
    this.nextCorrelationId = options.initialCorrelationId ?? 0;
    this.lastActivity = this.clock.now();
  }

  /** Where the connection is in its life. */
  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Requests written and awaiting their response or flush. */
  get inFlightCount(): number {
    return this.inFlight.length + this.unflushed.size;
  }

  /** Requests accepted but not yet written, waiting for an in-flight slot or for the socket. */
  get queuedCount(): number {
    return this.queue.length + this.priorityQueue.length;
  }

  /** The clock time of the last request sent or response received, for idle detection. */
  get lastActivityAt(): number {
    return this.lastActivity;
  }

  /** Responses received so far (each matched to its request), for telling apart what the broker answered. */
  get responsesReceived(): number {
    return this.responseCount;
  }

  /** The error that closed this connection, or null while it is open. */
  get error(): ConnectionError | null {
    return this.closeError;
  }

  /**
   * Calls `listener` once when the connection closes, with the error that closed it (reason `closed`
   * when {@link close} was called). Returns a function that removes the listener.
   */
  onClose(listener: (error: ConnectionError) => void): () => void {
    if (this.closeError) {
      const error = this.closeError;
      queueMicrotask(() => listener(error));
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /**
   * Opens the socket. Calling it again returns the same promise.
   * @returns a promise that resolves once the socket is connected (for TLS: the handshake is done).
   * @throws ConnectionError (as a rejection): refused, reset, connect timeout, or closed meanwhile;
   *   its `cause` is a TlsError when the TLS handshake failed.
   */
  connect(): Promise<void> {
    if (this.connectPromise) return this.connectPromise;
    if (this.closeError) return Promise.reject(this.closeError);
    this.stateValue = 'connecting';
    this.connectPromise = new Promise<void>((resolve, reject) => {
      const factory = this.options.socketFactory;
      let socket: net.Socket;
      try {
        // The default socket reads in place, into the buffers the decoder hands it (see FrameDecoder).
        socket = factory
          ? factory({ host: this.options.host, port: this.options.port })
          : net.connect({
              host: this.options.host,
              port: this.options.port,
              onread: {
                buffer: () => this.decoder.readBuffer(),
                callback: (n: number, into: Uint8Array) => {
                  this.onRead(n, into);
                  return true; // keep reading (false would pause the socket)
                },
              },
            });
      } catch (cause) {
        const error = new ConnectionError(this.broker, 'network', 'cannot open socket', { cause });
        this.shutdown(error, null, null);
        reject(error);
        return;
      }
      this.socket = socket;
      const connectTimeoutMs = this.options.connectTimeoutMs ?? 10_000;
      const timer = this.clock.setTimeout(() => {
        this.shutdown(
          new ConnectionError(this.broker, 'connect-timeout', `not connected within ${connectTimeoutMs} ms`),
          null,
          null,
        );
      }, connectTimeoutMs);
      // A TLSSocket says so (`encrypted`), whoever made it: asking spares loading node:tls to compare.
      this.tls = (socket as { encrypted?: unknown }).encrypted === true;
      const readyEvent = this.tls ? 'secureConnect' : 'connect';
      socket.once('connect', () => {
        this.tcpConnected = true;
      });
      const onReady = () => {
        this.handshakeDone = true;
        this.clock.clearTimeout(timer);
        this.closeListeners.delete(onEarlyClose);
        if (this.stateValue !== 'connecting') return;
        this.stateValue = 'ready';
        socket.setNoDelay(true);
        socket.setKeepAlive(true);
        this.logger.debug({ broker: this.broker }, 'connected');
        resolve();
        this.flush();
      };
      const onEarlyClose = (error: ConnectionError) => {
        this.clock.clearTimeout(timer);
        socket.off(readyEvent, onReady);
        reject(error);
      };
      this.closeListeners.add(onEarlyClose);
      socket.once(readyEvent, onReady);
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('error', (cause: NodeJS.ErrnoException) => {
        const tlsError = this.tls ? this.tlsFailure(cause) : null;
        if (tlsError) {
          this.failWith(tlsError);
          return;
        }
        const reason = reasonOf(cause);
        const message =
          reason === 'refused' ? 'connection refused' : `socket error ${cause.code ?? ''}`.trim();
        this.shutdown(new ConnectionError(this.broker, reason, message, { cause }), null, null);
      });
      socket.on('end', () => {
        if (this.tls && !this.handshakeDone) {
          this.failWith(this.tlsFailure(null)!);
          return;
        }
        const message = this.decoder.midFrame
          ? 'broker closed the connection mid-frame'
          : 'broker closed the connection';
        this.shutdown(new ConnectionError(this.broker, 'closed', message), null, null);
      });
      socket.on('close', () => {
        this.shutdown(new ConnectionError(this.broker, 'closed', 'connection closed'), null, null);
      });
    });
    return this.connectPromise;
  }

  /**
   * Sends one request. Requests are written in the order of `send` calls; at most `maxInFlightRequests`
   * are written before their responses arrive, the rest wait in a queue. Sending on an idle connection
   * connects it.
   * @returns the decoded response body, or `undefined` once written for a request with no response.
   * @throws (as a rejection) EncodeError when the request cannot be encoded; RequestTimeoutError when no
   *   response came within the timeout; ConnectionError when the connection closed first;
   *   FrameTooLargeError or CorrelationMismatchError when the broker broke the framing for this request;
   *   DecodeError (or whatever `readBody` throws) when the response body is malformed; TlsError when
   *   TLS failed (or the broker speaks TLS and this connection does not).
   */
  send<T>(spec: RequestSpec<T>): Promise<T> {
    return this.enqueue(spec, false);
  }

  /**
   * Runs `task` with the connection to itself: requests sent through {@link send} meanwhile wait in the
   * queue, in order, while those `task` sends through the `send` it is given are written as soon as an
   * in-flight slot is free. Requests already in flight are not disturbed: their answers arrive first,
   * since the broker answers in order. SASL re-authentication (KIP-368) runs this way, as Java's client
   * holds other requests back while it re-authenticates. `task` must not wait for a request sent
   * through the connection's own {@link send}: that request is only written once `task` has ended.
   * @returns what `task` returns.
   * @throws (as a rejection) what `task` throws; an Error when another exclusive task is running.
   */
  async exclusive<T>(task: (send: <U>(spec: RequestSpec<U>) => Promise<U>) => Promise<T>): Promise<T> {
    if (this.exclusiveActive) throw new Error('an exclusive task is already running on this connection');
    this.exclusiveActive = true;
    try {
      return await task((spec) => this.enqueue(spec, true));
    } finally {
      this.exclusiveActive = false;
      this.flush();
    }
  }

  private enqueue<T>(spec: RequestSpec<T>, priority: boolean): Promise<T> {
    if (this.closeError) return Promise.reject(this.closeError);
    const correlationId = this.nextCorrelationId;
    let bytes: Uint8Array;
    try {
      bytes = encodeRequest(spec, correlationId, this.clientId);
    } catch (error) {
      return Promise.reject(error);
    }
    this.nextCorrelationId = correlationId === MAX_CORRELATION_ID ? 0 : correlationId + 1;
    if (spec.progress) {
      spec.progress.requestBytes = bytes.length;
      spec.progress.correlationId = correlationId;
    }
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = {
        state: 'queued',
        priority,
        correlationId,
        apiKey: spec.apiKey,
        responseHeaderVersion: spec.responseHeaderVersion,
        readBody: spec.readBody,
        timeoutMs: spec.timeoutMs ?? this.requestTimeoutMs,
        bytes,
        progress: spec.progress,
        timer: undefined,
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      pending.timer = this.clock.setTimeout(() => this.onTimeout(pending), pending.timeoutMs);
      (priority ? this.priorityQueue : this.queue).push(pending);
      this.lastActivity = this.clock.now();
      if (this.stateValue === 'idle') {
        // Failures reach the queued request through shutdown(); the promise itself needs no handler.
        this.connect().catch(() => {});
      } else if (this.stateValue === 'ready') {
        this.flush();
      }
    });
  }

  /**
   * Closes the socket and fails every queued and in-flight request with a ConnectionError (reason
   * `closed`). Idempotent.
   * @returns a promise that resolves once the socket is fully closed; it never rejects.
   */
  close(): Promise<void> {
    this.shutdown(new ConnectionError(this.broker, 'closed', 'connection closed by the client'), null, null);
    return this.closePromise ?? Promise.resolve();
  }

  private flush(): void {
    const socket = this.socket;
    if (!socket || this.stateValue !== 'ready') return;
    for (;;) {
      if (this.inFlightCount >= this.maxInFlight) return;
      const source =
        this.priorityQueue.length > 0 ? this.priorityQueue : this.exclusiveActive ? null : this.queue;
      if (source === null || source.length === 0) return;
      const pending = source.shift()!;
      const bytes = pending.bytes!;
      pending.bytes = null;
      pending.state = 'in-flight';
      if (pending.progress) pending.progress.sentAt = this.clock.wallClockMs();
      if (pending.readBody) {
        this.inFlight.push(pending);
        socket.write(bytes);
      } else {
        this.unflushed.add(pending);
        socket.write(bytes, (error) => {
          this.unflushed.delete(pending);
          if (pending.state !== 'in-flight') return;
          if (error) return; // the socket's 'error' handler fails every pending request
          this.settle(pending);
          pending.resolve(undefined);
          this.flush();
        });
      }
    }
  }

  /** Bytes as `data` events bring them (a socket from a `socketFactory`, TLS among them). */
  private onData(chunk: Buffer): void {
    this.lastActivity = this.clock.now();
    if (!this.receivedAny && !this.firstBytesFine(chunk)) return;
    try {
      this.decoder.push(chunk, (frame) => this.onFrame(frame));
    } catch (error) {
      // FrameTooLargeError: the oldest in-flight request is the one the frame was meant for.
      this.protocolViolation(error);
    }
  }

  /** Bytes the default socket read in place (`onread`) into the decoder's buffer `into`. */
  private onRead(n: number, into: Uint8Array): void {
    this.lastActivity = this.clock.now();
    if (!this.receivedAny && !this.firstBytesFine(into.subarray(0, n))) return;
    try {
      this.decoder.received(n, (frame) => this.onFrame(frame));
    } catch (error) {
      this.protocolViolation(error);
    }
  }

  /** @returns false when the broker's first bytes show it speaks TLS here (the connection then failed). */
  private firstBytesFine(bytes: Uint8Array): boolean {
    this.receivedAny = true;
    // A TLS alert read as a size prefix announces ~350 MB: name the real problem instead.
    if (this.tls || !looksLikeTlsRecord(bytes)) return true;
    this.failWith(
      new TlsError(
        this.broker,
        'tls-expected',
        'the broker answered with a TLS record: this listener expects TLS, configure `tls`',
      ),
    );
    return false;
  }

  private onFrame(frame: Uint8Array): void {
    if (this.stateValue === 'closed') return;
    if (frame.length < 4) {
      this.protocolViolation(
        new ConnectionError(
          this.broker,
          'protocol',
          `response frame of ${frame.length} bytes has no correlation id`,
        ),
      );
      return;
    }
    const reader = new Reader(frame);
    const correlationId = reader.readInt32();
    const head = this.inFlight[0];
    if (!head || head.correlationId !== correlationId) {
      this.protocolViolation(
        new CorrelationMismatchError(this.broker, head ? head.correlationId : -1, correlationId),
      );
      return;
    }
    this.inFlight.shift();
    this.responseCount++;
    // The frame lacks its 4-byte size prefix.
    if (head.progress) head.progress.responseBytes = frame.length + 4;
    this.settle(head);
    let result: unknown;
    try {
      readResponseHeaderRest(reader, head.responseHeaderVersion);
      result = head.readBody!(reader);
    } catch (error) {
      // The frame boundary is intact, so only this request is lost; the stream goes on.
      this.logger.warn(
        { ...failure('response_decode_failed', error), broker: this.broker, apiKey: head.apiKey },
        'cannot decode response',
      );
      head.reject(error);
      this.flush();
      return;
    }
    head.resolve(result);
    this.flush();
  }

  private onTimeout(pending: Pending): void {
    if (pending.state === 'done') return;
    pending.timer = undefined;
    const error = new RequestTimeoutError(this.broker, pending.apiKey, pending.timeoutMs);
    if (pending.state === 'queued') {
      const queue = pending.priority ? this.priorityQueue : this.queue;
      const index = queue.indexOf(pending);
      if (index >= 0) queue.splice(index, 1);
      this.settle(pending);
      pending.reject(error);
      return;
    }
    this.logger.warn(
      {
        event: 'request_timed_out',
        code: 'ERR_REQUEST_TIMEOUT',
        broker: this.broker,
        apiKey: pending.apiKey,
        timeoutMs: pending.timeoutMs,
      },
      'request timed out',
    );
    this.shutdown(
      new ConnectionError(this.broker, 'request-timeout', 'closed after a request timed out', {
        cause: error,
      }),
      pending,
      error,
    );
  }

  /**
   * Classifies a failure of a TLS socket; a connection that closed before its handshake finished met a
   * listener that does not speak TLS.
   */
  private tlsFailure(cause: NodeJS.ErrnoException | null): TlsError | null {
    const classified = cause ? tlsErrorOf(this.broker, cause, this.handshakeDone) : null;
    // Refused or unreachable: TLS never started, so it is an ordinary connection error.
    if (classified || this.handshakeDone || !this.tcpConnected) return classified;
    return new TlsError(
      this.broker,
      'plaintext-expected',
      'the broker closed the connection during the TLS handshake: is this a plaintext listener?',
      cause ? { cause } : undefined,
    );
  }

  /**
   * Closes the connection because TLS failed: every pending request fails with `error` itself, since
   * retrying cannot help, and the close error carries it as its cause.
   */
  private failWith(error: TlsError): void {
    const closeError = new ConnectionError(this.broker, 'network', error.message, { cause: error });
    this.logger.warn(
      { event: 'tls_failed', code: error.code, broker: this.broker, reason: error.reason },
      'TLS failure, closing the connection',
    );
    this.shutdown(closeError, null, null, error);
  }

  /** The broker broke the framing rules: the oldest in-flight request gets `error`, the rest a ConnectionError. */
  private protocolViolation(error: unknown): void {
    const message = error instanceof RunnelError ? error.message : 'malformed response stream';
    const closeError =
      error instanceof ConnectionError
        ? error
        : new ConnectionError(this.broker, 'protocol', `closed after a protocol violation: ${message}`, {
            cause: error,
          });
    this.logger.warn(
      { ...failure('protocol_violation', error), broker: this.broker },
      'protocol violation, closing the connection',
    );
    this.shutdown(closeError, this.inFlight[0] ?? null, error);
  }

  private settle(pending: Pending): void {
    pending.state = 'done';
    pending.bytes = null;
    if (pending.timer !== undefined) {
      this.clock.clearTimeout(pending.timer);
      pending.timer = undefined;
    }
  }

  /**
   * Moves to `closed` once: destroys the socket and fails every pending request with `error`, except
   * `culprit`, which gets `culpritError`.
   */
  private shutdown(
    error: ConnectionError,
    culprit: Pending | null,
    culpritError: unknown,
    pendingError: unknown = error,
  ): void {
    if (this.stateValue === 'closed') return;
    const wasReady = this.stateValue === 'ready';
    this.stateValue = 'closed';
    this.closeError = error;
    this.decoder.stop();
    const socket = this.socket;
    if (socket) {
      this.closePromise = socket.closed
        ? Promise.resolve()
        : new Promise<void>((resolve) => socket.once('close', () => resolve()));
      if (!socket.destroyed) socket.destroy();
    }
    if (error.reason !== 'closed' || culprit) {
      // A failed connection attempt is the pool's to report (rate-limited): once per attempt here
      // would flood the log while a broker is down.
      const log = wasReady ? this.logger.info : this.logger.debug;
      log.call(this.logger, { broker: this.broker, reason: error.reason }, 'connection closed');
    }
    // Requests with no response whose write is still pending fail too; their write callback is a no-op then.
    const pending = [...this.inFlight, ...this.unflushed, ...this.priorityQueue, ...this.queue];
    this.inFlight.length = 0;
    this.unflushed.clear();
    this.priorityQueue.length = 0;
    this.queue.length = 0;
    for (const p of pending) {
      if (p.state === 'done') continue;
      this.settle(p);
      p.reject(p === culprit ? culpritError : pendingError);
    }
    for (const listener of [...this.closeListeners]) listener(error);
    this.closeListeners.clear();
  }
}

function encodeRequest<T>(spec: RequestSpec<T>, correlationId: number, clientId: string | null): Uint8Array {
  const writer = new Writer(spec.sizeHint ?? 256);
  const sizePosition = writer.reserveInt32();
  writeRequestHeader(
    writer,
    spec.requestHeaderVersion,
    spec.apiKey,
    spec.apiVersion,
    correlationId,
    clientId,
  );
  spec.writeBody(writer);
  writer.patchInt32(sizePosition, writer.length - 4);
  return writer.finish();
}

function reasonOf(error: NodeJS.ErrnoException): ConnectionErrorReason {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    default:
      return 'network';
  }
}
