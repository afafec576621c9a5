import { type BackoffOptions, backoffMs } from '@runnel/protocol';
import {
  BrokerConnection,
  type ClientSoftware,
  type ConnectionLike,
  negotiateApiVersions,
  type VersionRange,
} from './broker-connection.js';
import { BrokerReachabilityLog } from './broker-reachability.js';
import { type Clock, Sleeps, systemClock, type TimerHandle } from './clock.js';
import type { BrokerInfo } from './cluster-metadata.js';
import { Connection, type ConnectionOptions, type RequestSpec } from './connection.js';
import { ClientClosedError, ConnectionError } from './errors.js';
import { failure, type Logger, RateLimitedLog, silentLogger } from './logger.js';
import { AuthenticationError } from './security/errors.js';
import {
  authenticateSasl,
  type SaslOptions,
  type SaslSend,
  type SaslSession,
  saslMechanismOf,
} from './security/sasl-authenticator.js';
import type { SaslMechanism } from './security/sasl-mechanism.js';
import { probeSaslRequired } from './security/sasl-required.js';
import { type TlsOptions, tlsSocketFactory } from './security/tls.js';

/** Which traffic a connection carries. Separate purposes never share a socket. */
export type ConnectionPurpose = 'default' | 'fetch' | 'group' | (string & {});

/** Connection settings the pool passes to every {@link Connection} it opens. */
export type PoolConnectionOptions = Omit<ConnectionOptions, 'host' | 'port' | 'clock' | 'logger'>;

/** How a {@link BrokerPool} behaves. */
export interface BrokerPoolOptions {
  /** `host:port` entries, as a list or comma-separated. Used until metadata names the brokers. */
  bootstrapServers: string | readonly string[];
  connection?: PoolConnectionOptions;
  /** First reconnect backoff after a failure (default 50 ms, as Java's reconnect.backoff.ms). */
  reconnectBackoffMs?: number;
  /** Largest reconnect backoff (default 1000 ms, as Java's reconnect.backoff.max.ms). */
  reconnectBackoffMaxMs?: number;
  /** Connections idle this long are closed (default 540 000 ms, as Java's connections.max.idle.ms). */
  idleTimeoutMs?: number;
  /** Reported to brokers in ApiVersions v3+. */
  clientSoftware?: ClientSoftware;
  /**
   * TLS for every connection (`true` for the defaults: Node's root CAs, host name verification on).
   * A `connection.socketFactory` given as well takes precedence.
   */
  tls?: TlsOptions | boolean;
  /**
   * SASL authentication of every connection, after ApiVersions; the session is renewed on the same
   * connection before the lifetime the broker grants ends (KIP-368).
   */
  sasl?: SaslOptions;
  /**
   * Runs after the ApiVersions handshake and before the connection is handed out: the SASL seam.
   * It may send requests on the connection (SaslHandshake, SaslAuthenticate); a rejection fails the
   * connection attempt with that error.
   */
  authenticate?: (connection: BrokerConnection) => Promise<void>;
  /** Opens a connection; the default constructs a {@link Connection}. A test seam. */
  connectionFactory?: (options: ConnectionOptions) => ConnectionLike;
  clock?: Clock;
  logger?: Logger;
  /** Uniform random numbers in [0, 1) for jitter and broker choice (default Math.random). */
  random?: () => number;
}

interface Entry {
  /** The broker it is to: a bootstrap one until adopted as a metadata broker's (see `adopt`). */
  broker: BrokerInfo;
  readonly purpose: string;
  ready: Promise<BrokerConnection>;
  connection: BrokerConnection | null;
  raw: ConnectionLike | null;
}

interface Health {
  failures: number;
  retryAt: number;
}

/**
 * Parses `host:port` entries (IPv6 hosts in brackets: `[::1]:9092`).
 * @returns the addresses as bootstrap brokers with node ids -1, -2, ...
 * @throws ConnectionError (reason `network`) when an entry has no valid port or no host.
 */
export function parseBootstrapServers(servers: string | readonly string[]): BrokerInfo[] {
  const list = typeof servers === 'string' ? servers.split(',') : [...servers];
  const out: BrokerInfo[] = [];
  for (const raw of list) {
    const entry = raw.trim();
    if (entry === '') continue;
    const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(entry);
    const host = match?.[1] ?? match?.[2];
    const port = match ? Number(match[3]) : Number.NaN;
    if (!host || !(port > 0 && port < 65536)) {
      throw new ConnectionError(entry, 'network', `invalid bootstrap server "${entry}": expected host:port`);
    }
    out.push({ nodeId: -(out.length + 1), host, port, rack: null });
  }
  if (out.length === 0) throw new ConnectionError('', 'network', 'no bootstrap servers given');
  return out;
}

/**
 * Connections to the brokers of one cluster: one per (broker, purpose), opened lazily on first use,
 * handshaken (ApiVersions, then authentication), reopened after a failure with exponential backoff and
 * jitter, and closed after being idle.
 */
export class BrokerPool {
  private readonly options: BrokerPoolOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;
  private readonly idleTimeoutMs: number;
  readonly bootstrapBrokers: readonly BrokerInfo[];
  private clusterBrokers = new Map<number, BrokerInfo>();
  private readonly entries = new Map<string, Entry>();
  private readonly health = new Map<string, Health>();
  private readonly sleeps: Sleeps;
  private readonly connectionOptions: PoolConnectionOptions;
  private readonly saslMechanism: SaslMechanism | null;
  /**
   * Addresses where a connection without SASL was closed before any answer after ApiVersions: what a
   * SASL listener does, and a broker restart too. The next connection there probes before use.
   */
  private readonly saslSuspects = new Set<string>();
  private idleTimer: TimerHandle | undefined;
  private closed = false;
  private readonly warnings: RateLimitedLog;
  private downSince: number | null = null;
  private lastFailure: Error | null = null;
  /** Each broker's reachability changes, for listeners (the consumer's brokerDown/brokerUp events). */
  readonly reachability: BrokerReachabilityLog;

  /** @throws ConnectionError when the bootstrap list is empty or malformed. */
  constructor(options: BrokerPoolOptions) {
    // Credentials live only in the mechanism and socket factory below, never in a field inspect shows.
    const { sasl: _sasl, tls: _tls, ...kept } = options;
    this.options = kept;
    this.clock = options.clock ?? systemClock;
    this.reachability = new BrokerReachabilityLog(this.clock);
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
    this.backoff = {
      initialMs: options.reconnectBackoffMs ?? 50,
      maxMs: options.reconnectBackoffMaxMs ?? 1000,
      random: this.random,
    };
    this.idleTimeoutMs = options.idleTimeoutMs ?? 540_000;
    this.sleeps = new Sleeps(this.clock);
    this.warnings = new RateLimitedLog(this.logger, () => this.clock.now());
    this.bootstrapBrokers = parseBootstrapServers(options.bootstrapServers);
    const tls = options.tls === true ? {} : options.tls || null;
    this.connectionOptions =
      tls && !options.connection?.socketFactory
        ? { ...options.connection, socketFactory: tlsSocketFactory(tls) }
        : { ...options.connection };
    this.saslMechanism = options.sasl ? saslMechanismOf(options.sasl) : null;
  }

  /** The brokers the last metadata named (empty before the first metadata response). */
  get brokers(): ReadonlyMap<number, BrokerInfo> {
    return this.clusterBrokers;
  }

  /**
   * Replaces the known brokers with those of a metadata response. Connections to a broker that left,
   * or whose address changed, are closed (their pending requests fail with a ConnectionError).
   */
  updateBrokers(brokers: Iterable<BrokerInfo>): void {
    const next = new Map<number, BrokerInfo>();
    for (const b of brokers) next.set(b.nodeId, b);
    this.clusterBrokers = next;
    for (const [key, entry] of this.entries) {
      if (entry.broker.nodeId < 0) continue;
      const now = next.get(entry.broker.nodeId);
      if (!now || !sameAddress(now, entry.broker)) {
        this.entries.delete(key);
        entry.ready.then(
          (c) => c.connection.close(),
          () => {},
        );
      }
    }
  }

  /** Returns the broker with this id: a metadata broker, or a bootstrap one for a negative id. */
  broker(nodeId: number): BrokerInfo | undefined {
    return nodeId < 0 ? this.bootstrapBrokers[-nodeId - 1] : this.clusterBrokers.get(nodeId);
  }

  /**
   * Returns a handshaken connection to `broker` for `purpose`, opening one if needed (after the broker's
   * reconnect backoff, if a recent attempt failed).
   * @throws ConnectionError when the connection cannot be opened; TlsError when TLS fails (untrusted
   *   or mismatched certificate, a refused client certificate, TLS on one side only);
   *   SaslAuthenticationError when SASL fails; KafkaProtocolError when the ApiVersions handshake is
   *   refused; whatever `authenticate` throws; ClientClosedError after close(). Authentication errors
   *   are not retriable.
   */
  connection(broker: BrokerInfo, purpose: ConnectionPurpose = 'default'): Promise<BrokerConnection> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    const key = entryKey(broker, purpose);
    const existing = this.entries.get(key);
    if (existing && (existing.raw === null || existing.raw.state !== 'closed')) return existing.ready;
    const adopted = broker.nodeId >= 0 ? this.adopt(broker, purpose) : null;
    if (adopted) return adopted;
    const entry = { broker, purpose, connection: null, raw: null } as unknown as Entry;
    entry.ready = this.open(entry);
    // A failed attempt is reported to the caller; the entry itself must not leave a rejection unhandled.
    entry.ready.catch(() => {});
    this.entries.set(key, entry);
    return entry.ready;
  }

  /**
   * Chooses the broker to send a request that any broker can answer: the one with the fewest requests
   * in flight among those with an open connection, else one not in reconnect backoff, else the one
   * whose backoff ends first. Metadata brokers are preferred; bootstrap brokers are used until then.
   * @param avoid a node id to choose only when no other broker is known
   * @returns the broker (never undefined: the bootstrap list is never empty).
   */
  leastLoadedBroker(avoid?: number): BrokerInfo {
    const known =
      this.clusterBrokers.size > 0 ? [...this.clusterBrokers.values()] : [...this.bootstrapBrokers];
    const others = avoid === undefined ? known : known.filter((b) => b.nodeId !== avoid);
    const candidates = others.length > 0 ? others : known;
    const offset = Math.floor(this.random() * candidates.length);
    const now = this.clock.now();
    let best: BrokerInfo = candidates[offset]!;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let i = 0; i < candidates.length; i++) {
      const b = candidates[(offset + i) % candidates.length]!;
      const health = this.health.get(address(b));
      let score: number;
      const open = this.openConnectionTo(b);
      if (open) score = open.inFlightCount + open.queuedCount;
      else if (!health || health.retryAt <= now) score = 1_000_000;
      else score = 2_000_000 + (health.retryAt - now);
      if (score < bestScore) {
        best = b;
        bestScore = score;
      }
    }
    return best;
  }

  /**
   * The clock time since which no broker has been reachable: every connection attempt since then failed
   * and no connection is open. Null while a broker is reachable, and before the first attempt.
   */
  get allBrokersDownSince(): number | null {
    return this.downSince;
  }

  /** The error of the last failed connection attempt while no broker is reachable; null otherwise. */
  get lastConnectionError(): Error | null {
    return this.downSince === null ? null : this.lastFailure;
  }

  /**
   * @returns the connections open now: handshaken and not closed, one per (broker, purpose) in use
   *   (the consumer's connection-count gauge).
   */
  get openConnections(): number {
    let open = 0;
    for (const entry of this.entries.values()) if (entry.connection && entry.raw?.state === 'ready') open++;
    return open;
  }

  /** True while the broker is in reconnect backoff after a failed attempt. */
  isBackingOff(broker: BrokerInfo): boolean {
    const health = this.health.get(address(broker));
    return !!health && health.retryAt > this.clock.now();
  }

  /** Closes every connection and stops the idle timer; later calls fail with ClientClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reachability.stop();
    if (this.idleTimer !== undefined) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.sleeps.cancelAll(new ClientClosedError());
    const closing: Promise<void>[] = [];
    for (const entry of this.entries.values()) if (entry.raw) closing.push(entry.raw.close());
    this.entries.clear();
    await Promise.all(closing);
  }

  private openConnectionTo(broker: BrokerInfo): ConnectionLike | undefined {
    for (const entry of this.entries.values()) {
      if (entry.broker.nodeId === broker.nodeId && isReady(entry)) return entry.raw;
    }
    return undefined;
  }

  /**
   * Takes a bootstrap connection to `broker`'s address as that broker's connection for `purpose`, rather
   * than opening a second socket to the same listener beside it (librdkafka does the same with its
   * bootstrap brokers). On the start-up path the bootstrap connections that carried Metadata and
   * FindCoordinator are then the leader's and the coordinator's: a connect and an ApiVersions round trip
   * fewer each. Requests sent through it from then on name the broker's node id. Only a handshaken
   * connection is taken; one still opening stays a bootstrap connection. A new socket to the same host
   * and port would reach whatever this one reaches (a proxy that presents several brokers at one
   * address included), and a connection is taken once: a second broker there opens its own.
   * @returns the connection, or null when no bootstrap connection of that purpose is open there.
   */
  private adopt(broker: BrokerInfo, purpose: string): Promise<BrokerConnection> | null {
    for (const entry of this.entries.values()) {
      if (entry.broker.nodeId >= 0 || entry.purpose !== purpose || !isReady(entry)) continue;
      if (!sameAddress(entry.broker, broker)) continue;
      const { raw, connection } = entry;
      this.entries.delete(entryKey(entry.broker, purpose));
      entry.broker = broker;
      entry.connection = new BrokerConnection(broker, purpose, raw, connection.apiVersions, this);
      entry.ready = Promise.resolve(entry.connection);
      this.entries.set(entryKey(broker, purpose), entry);
      this.logger.debug(
        { broker: raw.broker, nodeId: broker.nodeId, purpose },
        'bootstrap connection adopted',
      );
      return entry.ready;
    }
    return null;
  }

  /** Drops `entry` from `entries` unless another has taken its place (under its broker's current key). */
  private forget(entry: Entry): void {
    const key = entryKey(entry.broker, entry.purpose);
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }

  private async open(entry: Entry): Promise<BrokerConnection> {
    const { broker, purpose } = entry;
    const addr = address(broker);
    const health = this.health.get(addr);
    const wait = health ? health.retryAt - this.clock.now() : 0;
    if (wait > 0) await this.sleeps.sleep(wait);
    if (this.closed) throw new ClientClosedError();
    const factory = this.options.connectionFactory ?? ((o: ConnectionOptions) => new Connection(o));
    const raw = factory({
      ...this.connectionOptions,
      host: broker.host,
      port: broker.port,
      clock: this.clock,
      logger: this.logger,
    });
    entry.raw = raw;
    let handshakeResponses = -1;
    raw.onClose((error) => {
      this.forget(entry);
      if (
        !this.saslMechanism &&
        !this.closed &&
        entry.connection &&
        (error.reason === 'closed' || error.reason === 'reset') &&
        raw.responsesReceived === handshakeResponses
      ) {
        this.saslSuspects.add(addr);
      }
      // A connection that worked and then broke (broker restart) waits the first backoff step before
      // the next attempt, so a crash loop does not become a connect storm.
      if (entry.connection && error.reason !== 'closed' && !this.closed) {
        this.recordFailure(addr, 1);
        this.reachability.down(addr, entry.broker.nodeId, error);
      }
    });
    try {
      await raw.connect();
      const versions: Map<number, VersionRange> = await negotiateApiVersions(
        raw,
        this.options.clientSoftware ?? { name: 'runnel', version: '0.0.0' },
      );
      const connection = new BrokerConnection(broker, purpose, raw, versions, this);
      if (!this.saslMechanism && this.saslSuspects.has(addr)) {
        const required = await probeSaslRequired(connection);
        if (required) throw required;
        this.saslSuspects.delete(addr);
      }
      if (this.saslMechanism) {
        const session = await authenticateSasl(connection, this.saslMechanism);
        this.logger.debug(
          { broker: raw.broker, mechanism: session.mechanism, sessionLifetimeMs: session.sessionLifetimeMs },
          'sasl authenticated',
        );
        this.scheduleReauthentication(connection, session);
      }
      if (this.options.authenticate) await this.options.authenticate(connection);
      if (this.closed) throw new ClientClosedError();
      this.health.delete(addr);
      this.onConnected(addr, broker.nodeId);
      handshakeResponses = raw.responsesReceived ?? -1;
      entry.connection = connection;
      this.logger.debug({ broker: raw.broker, nodeId: broker.nodeId, purpose }, 'broker connection ready');
      this.startIdleTimer();
      return connection;
    } catch (caught) {
      // A TLS failure closes the socket, so it may reach here as the close error's cause.
      const error =
        caught instanceof ConnectionError && caught.cause instanceof AuthenticationError
          ? caught.cause
          : caught;
      this.forget(entry);
      this.recordFailure(addr);
      if (!(error instanceof ClientClosedError)) {
        this.onConnectFailed(error);
        this.reachability.down(addr, broker.nodeId, error);
      }
      const failures = this.health.get(addr)?.failures ?? 1;
      this.warnings.warn(
        `connect ${addr}`,
        {
          ...failure('broker_connect_failed', error),
          broker: raw.broker,
          nodeId: broker.nodeId,
          purpose,
          failures,
        },
        'cannot connect to broker',
      );
      await raw.close();
      throw error;
    }
  }

  /**
   * Renews the SASL session at 85-95 % of its lifetime (Java's window), on the same connection, while
   * other requests wait; requests already in flight (a Fetch long poll) complete undisturbed. A failed
   * re-authentication closes the connection, and the next request opens a new one.
   */
  private scheduleReauthentication(connection: BrokerConnection, session: SaslSession): void {
    const mechanism = this.saslMechanism;
    const raw = connection.connection;
    if (!mechanism || session.sessionLifetimeMs <= 0 || this.closed) return;
    const delay = session.sessionLifetimeMs * (0.85 + 0.1 * this.random());
    const timer = this.clock.setTimeout(() => {
      removeListener();
      void this.reauthenticate(connection, mechanism);
    }, delay);
    const removeListener = raw.onClose(() => this.clock.clearTimeout(timer));
  }

  private async reauthenticate(connection: BrokerConnection, mechanism: SaslMechanism): Promise<void> {
    const raw = connection.connection;
    if (this.closed || raw.state !== 'ready') return;
    const run = (send?: SaslSend) =>
      authenticateSasl(connection, mechanism, { reauthentication: true, ...(send ? { send } : {}) });
    try {
      const session = hasExclusive(raw) ? await raw.exclusive((send) => run(send)) : await run();
      this.logger.debug(
        {
          broker: raw.broker,
          purpose: connection.purpose,
          mechanism: session.mechanism,
          sessionLifetimeMs: session.sessionLifetimeMs,
        },
        'reauthenticated',
      );
      this.scheduleReauthentication(connection, session);
    } catch (error) {
      if ((raw.state as string) === 'closed') return;
      this.logger.warn(
        { ...failure('reauthentication_failed', error), broker: raw.broker },
        're-authentication failed, closing the connection',
      );
      await raw.close();
    }
  }

  /** Notes that a connection to `broker` is ready: the cluster is reachable. */
  private onConnected(broker: string, nodeId: number): void {
    this.reachability.up(broker, nodeId);
    if (this.warnings.reset(`connect ${broker}`)) this.logger.info({ broker }, 'connected to broker again');
    if (this.downSince !== null) {
      this.logger.info(
        { broker, downForMs: Math.round(this.clock.now() - this.downSince) },
        'a broker is reachable again',
      );
    }
    this.downSince = null;
    this.lastFailure = null;
  }

  /** Notes a failed connection attempt; with no other connection open, no broker is reachable. */
  private onConnectFailed(error: unknown): void {
    this.lastFailure = error instanceof Error ? error : new Error(String(error));
    if (this.openConnections === 0) this.downSince ??= this.clock.now();
  }

  private recordFailure(addr: string, atLeast = 0): void {
    const previous = this.health.get(addr);
    const failures = Math.max((previous?.failures ?? 0) + 1, atLeast);
    this.health.set(addr, { failures, retryAt: this.clock.now() + backoffMs(this.backoff, failures) });
  }

  private startIdleTimer(): void {
    if (this.idleTimer !== undefined || this.closed) return;
    const period = Math.max(1, Math.min(this.idleTimeoutMs, 30_000));
    const tick = () => {
      this.idleTimer = undefined;
      const now = this.clock.now();
      for (const [key, entry] of this.entries) {
        const raw = entry.raw;
        if (!raw || !entry.connection || raw.inFlightCount > 0 || raw.queuedCount > 0) continue;
        if (now - raw.lastActivityAt >= this.idleTimeoutMs) {
          this.entries.delete(key);
          this.logger.debug({ broker: raw.broker, purpose: entry.purpose }, 'closing idle connection');
          void raw.close();
        }
      }
      if (this.entries.size > 0 && !this.closed) this.idleTimer = this.clock.setTimeout(tick, period);
    };
    this.idleTimer = this.clock.setTimeout(tick, period);
  }
}

/** A connection that can hold other requests back while a task runs (see {@link Connection.exclusive}). */
interface ExclusiveConnection {
  exclusive<T>(task: (send: <U>(spec: RequestSpec<U>) => Promise<U>) => Promise<T>): Promise<T>;
}

function hasExclusive(connection: object): connection is ExclusiveConnection {
  return typeof (connection as Partial<ExclusiveConnection>).exclusive === 'function';
}

function address(broker: BrokerInfo): string {
  return `${broker.host}:${broker.port}`;
}

/** @returns whether both brokers are at the same host and port. */
function sameAddress(a: BrokerInfo, b: BrokerInfo): boolean {
  return a.host === b.host && a.port === b.port;
}

/** @returns whether the entry's connection is handshaken and its socket open. */
function isReady(entry: Entry): entry is Entry & { raw: ConnectionLike; connection: BrokerConnection } {
  return entry.connection !== null && entry.raw?.state === 'ready';
}

/** The key of a broker's connection for `purpose` in the pool's entries. */
function entryKey(broker: BrokerInfo, purpose: string): string {
  return `${broker.nodeId}/${address(broker)}/${purpose}`;
}
