import { Reader, Writer } from '@runnel/codec';
import { apis } from '@runnel/protocol';
import type { ConnectionLike } from '../broker-connection.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { ConnectionOptions, RequestSpec } from '../connection.js';
import { ConnectionError } from '../errors.js';

/** One request as a fake broker received it, decoded with @runnel/protocol. */
export interface ReceivedRequest {
  /** `host:port` of the broker that received it. */
  broker: string;
  apiKey: number;
  version: number;
  // biome-ignore lint/suspicious/noExplicitAny: decoded messages of any API
  message: any;
}

/**
 * What a fake broker answers: a response message (encoded at the request's version and decoded back
 * through the client's own reader), raw body bytes, or a broken connection.
 */
export type FakeAnswer =
  // biome-ignore lint/suspicious/noExplicitAny: responses of any API
  { response: any } | { raw: Uint8Array } | { disconnect: true };

/**
 * Answers requests: at once, or later through a promise (the test decides when); returning undefined
 * leaves the request unanswered (it stalls).
 */
export type FakeHandler = (request: ReceivedRequest) => FakeAnswer | Promise<FakeAnswer> | undefined;

/** The API versions a fake broker announces by default: everything the protocol package knows. */
export function allApiVersions(): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (const [key, api] of apis) out.set(key, [api.minVersion, api.maxVersion]);
  return out;
}

/**
 * A set of fake brokers behind a `connectionFactory`: requests are really encoded and decoded with
 * @runnel/protocol, but travel through memory. Brokers can be marked down (connect is refused).
 */
export class FakeCluster {
  readonly received: ReceivedRequest[] = [];
  readonly connectAttempts: Array<{ broker: string; at: number }> = [];
  readonly connections: FakeConnection[] = [];
  readonly down = new Set<string>();
  apiVersions = allApiVersions();
  handler: FakeHandler = () => undefined;

  constructor(readonly clock: Clock) {}

  /** The `connectionFactory` to give the pool. */
  readonly factory = (options: ConnectionOptions): ConnectionLike => {
    const connection = new FakeConnection(this, `${options.host}:${options.port}`);
    this.connections.push(connection);
    return connection;
  };

  /** Requests of one API, in the order received. */
  requestsOf(apiKey: number): ReceivedRequest[] {
    return this.received.filter((r) => r.apiKey === apiKey);
  }

  answer(connection: FakeConnection, request: ReceivedRequest): FakeAnswer | Promise<FakeAnswer> | undefined {
    this.received.push(request);
    if (request.apiKey === 18) {
      const range = this.apiVersions.get(18);
      if (range && request.version > range[1]) {
        // What a real broker does: UNSUPPORTED_VERSION in a v0 body naming its own range.
        return {
          raw: apis
            .get(18)!
            .response.encode(
              { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: range[0], maxVersion: range[1] }] },
              0,
            ),
        };
      }
      const handled = this.handler(request);
      if (handled) return handled;
      return {
        response: {
          errorCode: 0,
          apiKeys: [...this.apiVersions].map(([apiKey, [minVersion, maxVersion]]) => ({
            apiKey,
            minVersion,
            maxVersion,
          })),
        },
      };
    }
    void connection;
    return this.handler(request);
  }
}

/** One in-memory connection to a fake broker. */
export class FakeConnection implements ConnectionLike {
  state: 'idle' | 'connecting' | 'ready' | 'closed' = 'idle';
  inFlightCount = 0;
  queuedCount = 0;
  lastActivityAt: number;
  private readonly listeners = new Set<(error: ConnectionError) => void>();
  private readonly pending = new Set<{ reject: (error: unknown) => void }>();
  private nextCorrelationId = 0;

  constructor(
    private readonly cluster: FakeCluster,
    readonly broker: string,
  ) {
    this.lastActivityAt = cluster.clock.now();
  }

  connect(): Promise<void> {
    this.cluster.connectAttempts.push({ broker: this.broker, at: this.cluster.clock.now() });
    if (this.cluster.down.has(this.broker)) {
      const error = new ConnectionError(this.broker, 'refused', 'connection refused');
      this.fail(error);
      return Promise.reject(error);
    }
    this.state = 'ready';
    return Promise.resolve();
  }

  send<T>(spec: RequestSpec<T>): Promise<T> {
    if (this.state === 'closed') return Promise.reject(new ConnectionError(this.broker, 'closed', 'closed'));
    this.lastActivityAt = this.cluster.clock.now();
    const writer = new Writer();
    spec.writeBody(writer);
    const api = apis.get(spec.apiKey)!;
    const bytes = writer.finish();
    const message = api.request.decode(new Reader(bytes), spec.apiVersion);
    // Noted as a socket connection notes them, the request header aside (the fake writes none).
    const progress = spec.progress;
    if (progress) {
      progress.correlationId = this.nextCorrelationId++;
      progress.requestBytes = bytes.length;
      progress.sentAt = this.cluster.clock.wallClockMs();
    }
    return new Promise<T>((resolve, reject) => {
      const entry = { reject };
      this.pending.add(entry);
      this.inFlightCount++;
      const finish = () => {
        this.pending.delete(entry);
        this.inFlightCount--;
      };
      const deliver = (answer: FakeAnswer) => {
        // A connection that failed meanwhile already rejected the request.
        if (!this.pending.has(entry)) return;
        finish();
        if ('disconnect' in answer) {
          this.fail(new ConnectionError(this.broker, 'reset', 'connection reset'));
          reject(new ConnectionError(this.broker, 'reset', 'connection reset'));
          return;
        }
        const body = 'raw' in answer ? answer.raw : api.response.encode(answer.response, spec.apiVersion);
        if (progress) progress.responseBytes = body.length;
        if (!spec.readBody) {
          resolve(undefined as T);
          return;
        }
        try {
          resolve(spec.readBody(new Reader(body)));
        } catch (error) {
          reject(error);
        }
      };
      // Answer on a later microtask, as a socket would, but without real I/O.
      queueMicrotask(() => {
        if (this.state === 'closed') return;
        const answer = this.cluster.answer(this, {
          broker: this.broker,
          apiKey: spec.apiKey,
          version: spec.apiVersion,
          message,
        });
        if (answer instanceof Promise) void answer.then(deliver);
        else if (answer) deliver(answer);
      });
    });
  }

  close(): Promise<void> {
    this.fail(new ConnectionError(this.broker, 'closed', 'connection closed by the client'));
    return Promise.resolve();
  }

  onClose(listener: (error: ConnectionError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private fail(error: ConnectionError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const p of this.pending) p.reject(error);
    this.pending.clear();
    this.inFlightCount = 0;
    for (const l of this.listeners) l(error);
    this.listeners.clear();
  }
}

/**
 * A clock whose time jumps to the next due timer whenever the process has nothing else to do (checked
 * with setImmediate, after all pending microtasks), so retry loops with backoff run instantly.
 */
export class AutoAdvanceClock implements Clock {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  private pumping = false;
  private fired = 0;

  now(): number {
    return this.time;
  }

  /** The wall clock is the same as `now()`: it starts at the epoch. */
  wallClockMs(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), callback });
    this.pump();
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => {
      this.pumping = false;
      let nextId = -1;
      let next: { at: number; callback: () => void } | undefined;
      for (const [id, t] of this.timers) {
        if (!next || t.at < next.at) {
          next = t;
          nextId = id;
        }
      }
      if (!next) return;
      if (++this.fired > 100_000) throw new Error('AutoAdvanceClock: runaway timers');
      this.timers.delete(nextId);
      this.time = Math.max(this.time, next.at);
      next.callback();
      if (this.timers.size > 0) this.pump();
    });
  }
}
