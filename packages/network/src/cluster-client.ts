import {
  type BackoffOptions,
  backoffMs,
  ErrorCode,
  FindCoordinator,
  type FindCoordinatorResponse,
  isRetriable,
  Metadata,
  type MetadataRequest,
  UnsupportedVersionError,
} from '@runnel/protocol';
import type { KafkaApi } from './api.js';
import type { BrokerConnection, BrokerRequestOptions } from './broker-connection.js';
import { BrokerPool, type BrokerPoolOptions, type ConnectionPurpose } from './broker-pool.js';
import { type Clock, Sleeps, systemClock, type TimerHandle } from './clock.js';
import { type BrokerInfo, ClusterMetadata } from './cluster-metadata.js';
import { ClientClosedError, ConnectionError, DeadlineExceededError, RequestTimeoutError } from './errors.js';
import { COORDINATOR_MOVED_CODES, kafkaError, STALE_METADATA_CODES } from './kafka-errors.js';
import { failure, type Logger, RateLimitedLog, silentLogger } from './logger.js';
import { AuthenticationError } from './security/errors.js';

/** FindCoordinator key types. */
export const CoordinatorType = { group: 0, transaction: 1, share: 2 } as const;
export type CoordinatorType = (typeof CoordinatorType)[keyof typeof CoordinatorType];

/** Where a request goes. */
export type RequestTarget =
  /**
   * The least loaded broker (Metadata, FindCoordinator, ListGroups...); not `avoid` (a node id) while
   * another is known, e.g. a coordinator whose answers are in doubt, asked where the group is now.
   */
  | { readonly kind: 'any'; readonly avoid?: number }
  /** A broker by node id (e.g. a preferred read replica). */
  | { readonly kind: 'broker'; readonly nodeId: number }
  /** The leader of a partition (ListOffsets, Fetch, OffsetForLeaderEpoch). */
  | { readonly kind: 'leader'; readonly topic: string; readonly partition: number }
  /** The coordinator of a group or transaction (JoinGroup, Heartbeat, OffsetCommit...). */
  | { readonly kind: 'coordinator'; readonly keyType: CoordinatorType; readonly key: string };

/** One request through {@link ClusterClient.send}. */
export interface ClusterRequest<Q, R> extends BrokerRequestOptions {
  readonly target: RequestTarget;
  readonly api: KafkaApi<Q, R>;
  /** The message, or a function of the version chosen for the broker (for version-dependent fields). */
  readonly message: Q | ((version: number) => Q);
  /** Which connection to the broker carries it (default `default`; `fetch` and `group` keep apart). */
  readonly purpose?: ConnectionPurpose;
  /** Time for all attempts together (default: the client's `defaultDeadlineMs`). */
  readonly deadlineMs?: number;
  /**
   * Reads the response's top-level error code, so that retriable codes are retried (after refreshing
   * metadata or the coordinator when the code says they are stale) and others surface as
   * KafkaProtocolError. Without it, every decoded response is returned as it is.
   */
  readonly errorCode?: (response: R) => number;
  /** Set false for requests that must not be repeated; then any failure surfaces at once. */
  readonly retry?: boolean;
  /**
   * The lowest version whose semantics the caller relies on (e.g. the first version with a field it
   * must send). When the broker's range does not reach it, `send` fails with UnsupportedVersionError
   * before anything is sent, and does not retry: another broker of the same cluster would answer alike.
   */
  readonly minVersion?: number;
}

/** How a {@link ClusterClient} behaves; the pool's options apply too. */
export interface ClusterClientOptions extends BrokerPoolOptions {
  /** Refresh metadata at least this often (default 300 000 ms, as Java's metadata.max.age.ms). */
  metadataMaxAgeMs?: number;
  /** First wait between retries (default 100 ms, as Java's retry.backoff.ms). */
  retryBackoffMs?: number;
  /** Largest wait between retries (default 1000 ms, as Java's retry.backoff.max.ms). */
  retryBackoffMaxMs?: number;
  /** Default time for a request with its retries (default 60 000 ms, as Java's default.api.timeout.ms). */
  defaultDeadlineMs?: number;
}

/**
 * A client of one Kafka cluster: a broker pool, the cluster metadata (refreshed on a timer and when a
 * response says it is stale), coordinator lookup, and request routing with retries.
 */
export class ClusterClient {
  readonly pool: BrokerPool;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly retryBackoff: BackoffOptions;
  private readonly defaultDeadlineMs: number;
  private readonly metadataMaxAgeMs: number;
  private readonly sleeps: Sleeps;
  private readonly warnings: RateLimitedLog;
  private snapshot = ClusterMetadata.empty();
  private readonly topicsOfInterest = new Set<string>();
  private refreshing: Promise<ClusterMetadata> | null = null;
  private refreshingTopics: ReadonlySet<string> = new Set();
  private followUp: Promise<ClusterMetadata> | null = null;
  private stale = true;
  private refreshFailures = 0;
  private lastRefreshAttempt = Number.NEGATIVE_INFINITY;
  private refreshTimer: TimerHandle | undefined;
  private readonly coordinators = new Map<string, BrokerInfo>();
  /**
   * Per key type and key, the node of a coordinator forgotten since the last lookup: the next
   * FindCoordinator asks another broker (see {@link invalidateCoordinator}).
   */
  private readonly avoidForLookup = new Map<string, number>();
  private readonly lookups = new Map<string, Promise<BrokerInfo>>();
  private pendingLookups = new Map<CoordinatorType, Map<string, Deferred<BrokerInfo>>>();
  private lookupScheduled = false;
  private closed = false;

  /** @throws ConnectionError when the bootstrap list is empty or malformed. */
  constructor(options: ClusterClientOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.pool = new BrokerPool(options);
    this.retryBackoff = {
      initialMs: options.retryBackoffMs ?? 100,
      maxMs: options.retryBackoffMaxMs ?? 1000,
      ...(options.random ? { random: options.random } : {}),
    };
    this.defaultDeadlineMs = options.defaultDeadlineMs ?? 60_000;
    this.metadataMaxAgeMs = options.metadataMaxAgeMs ?? 300_000;
    this.sleeps = new Sleeps(this.clock);
    this.warnings = new RateLimitedLog(this.logger, () => this.clock.now());
  }

  /** The current metadata snapshot (empty until the first refresh). */
  get metadata(): ClusterMetadata {
    return this.snapshot;
  }

  /**
   * Adds topics to those whose metadata is kept, refreshing at once when one of them is not cached.
   * @returns the snapshot that includes them (a topic the cluster does not know carries its error code).
   * @throws the errors of {@link refreshMetadata}.
   */
  async topicMetadata(topics: Iterable<string>): Promise<ClusterMetadata> {
    let missing = false;
    for (const t of topics) {
      this.topicsOfInterest.add(t);
      if (!this.snapshot.topic(t)) missing = true;
    }
    return missing ? this.refreshMetadata() : this.snapshot;
  }

  /**
   * @returns the current snapshot when it may stand in for a fresh answer about `topics`: not marked
   *   stale, updated less than `maxAgeMs` ago, and describing each of them without a topic error;
   *   otherwise null (ask a broker).
   */
  freshTopicMetadata(topics: Iterable<string>, maxAgeMs: number): ClusterMetadata | null {
    const snapshot = this.snapshot;
    if (this.stale || this.clock.now() - snapshot.updatedAt >= maxAgeMs) return null;
    for (const name of topics) {
      const topic = snapshot.topic(name);
      if (topic === undefined || topic.errorCode !== ErrorCode.NONE) return null;
      if (topic.partitions.some((p) => p === undefined)) return null;
    }
    return snapshot;
  }

  /** Marks the metadata stale: the next request that needs it refreshes it first (after backoff). */
  requestMetadataUpdate(): void {
    this.stale = true;
  }

  /**
   * Fetches metadata for the topics of interest from the least loaded broker, retrying within the
   * default deadline. Concurrent calls share one request, unless topics were added meanwhile.
   * @returns the new snapshot.
   * @throws DeadlineExceededError when no broker answered in time; KafkaProtocolError for a
   *   non-retriable error; ClientClosedError after close().
   */
  refreshMetadata(): Promise<ClusterMetadata> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    if (this.refreshing) {
      const covered = [...this.topicsOfInterest].every((t) => this.refreshingTopics.has(t));
      if (covered) return this.refreshing;
      this.followUp ??= this.refreshing
        .catch(() => undefined)
        .then(() => {
          this.followUp = null;
          return this.refreshMetadata();
        });
      return this.followUp;
    }
    const topics = new Set(this.topicsOfInterest);
    this.refreshingTopics = topics;
    this.lastRefreshAttempt = this.clock.now();
    const refreshing = this.fetchMetadata(topics).then(
      (snapshot) => {
        this.refreshing = null;
        this.refreshFailures = 0;
        return snapshot;
      },
      (error: unknown) => {
        this.refreshing = null;
        this.refreshFailures++;
        throw error;
      },
    );
    this.refreshing = refreshing;
    refreshing.catch(() => {});
    return refreshing;
  }

  /**
   * Sends a request to its target, choosing the version from the broker's ApiVersions. Connection
   * failures, timeouts and retriable error codes are retried with exponential backoff until the
   * deadline; stale metadata and moved coordinators are refreshed on the way.
   * @returns the decoded response (whose `errorCode`, when read, was 0).
   * @throws KafkaProtocolError for a non-retriable error code; DeadlineExceededError (with the last
   *   error as `cause`) when retries ran out of time; UnsupportedVersionError (from @runnel/protocol)
   *   when the broker lacks the API or no version lies in [`minVersion`, `maxVersion`], at once and
   *   without sending; EncodeError; DecodeError; ClientClosedError after close().
   */
  async send<Q, R>(request: ClusterRequest<Q, R>): Promise<R> {
    const deadlineMs = request.deadlineMs ?? this.defaultDeadlineMs;
    const deadline = this.clock.now() + deadlineMs;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new ClientClosedError();
      let error: unknown;
      try {
        const broker = await this.resolve(request.target);
        const connection = await this.pool.connection(broker, request.purpose ?? 'default');
        const response = await this.sendOn(connection, request);
        const code = request.errorCode ? request.errorCode(response) : 0;
        if (code === 0) return response;
        error = kafkaError(code, request.api.name);
        this.onErrorCode(request.target, code);
      } catch (caught) {
        error = caught;
        if (caught instanceof ConnectionError || caught instanceof RequestTimeoutError) {
          this.onBrokerFailure(request.target);
        }
      }
      if (request.retry === false || !isRetriable(error)) throw error;
      const wait = backoffMs(this.retryBackoff, attempt);
      if (this.clock.now() + wait >= deadline) {
        throw new DeadlineExceededError(request.api.name, deadlineMs, { cause: lastFailure(error) });
      }
      this.logger.debug({ api: request.api.name, attempt, waitMs: wait, err: error }, 'retrying request');
      await this.sleeps.sleep(wait);
    }
  }

  /**
   * Looks up the coordinator of a group or transaction, using the cached answer when there is one,
   * and retrying retriable errors (COORDINATOR_NOT_AVAILABLE while the coordinator loads, connection
   * failures) with backoff until the deadline. Lookups of the same key type made in the same tick
   * share one FindCoordinator request when the broker supports batched keys (v4+).
   * @returns the coordinator broker.
   * @throws KafkaProtocolError for a non-retriable error (e.g. GROUP_AUTHORIZATION_FAILED);
   *   DeadlineExceededError when retries ran out of time; ClientClosedError after close().
   */
  async findCoordinator(
    keyType: CoordinatorType,
    key: string,
    deadlineMs = this.defaultDeadlineMs,
  ): Promise<BrokerInfo> {
    const deadline = this.clock.now() + deadlineMs;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new ClientClosedError();
      try {
        return await this.lookupCoordinator(keyType, key);
      } catch (error) {
        if (!isRetriable(error)) throw error;
        const wait = backoffMs(this.retryBackoff, attempt);
        if (this.clock.now() + wait >= deadline) {
          throw new DeadlineExceededError(FindCoordinator.name, deadlineMs, { cause: lastFailure(error) });
        }
        await this.sleeps.sleep(wait);
      }
    }
  }

  /** One lookup attempt, batched with the other lookups of this tick. */
  private lookupCoordinator(keyType: CoordinatorType, key: string): Promise<BrokerInfo> {
    const cacheKey = `${keyType}/${key}`;
    const cached = this.coordinators.get(cacheKey);
    if (cached) return Promise.resolve(cached);
    const running = this.lookups.get(cacheKey);
    if (running) return running;
    let byKey = this.pendingLookups.get(keyType);
    if (!byKey) this.pendingLookups.set(keyType, (byKey = new Map()));
    const deferred = new Deferred<BrokerInfo>();
    byKey.set(key, deferred);
    const promise = deferred.promise.finally(() => this.lookups.delete(cacheKey));
    promise.catch(() => {});
    this.lookups.set(cacheKey, promise);
    if (!this.lookupScheduled) {
      this.lookupScheduled = true;
      queueMicrotask(() => this.runLookups());
    }
    return promise;
  }

  /**
   * Caches a coordinator found by someone else (a group member's own FindCoordinator), so that the
   * requests this client sends to it (OffsetFetch, OffsetCommit) need no lookup of their own.
   */
  rememberCoordinator(keyType: CoordinatorType, key: string, broker: BrokerInfo): void {
    if (broker.nodeId < 0) return;
    this.coordinators.set(`${keyType}/${key}`, broker);
    this.avoidForLookup.delete(`${keyType}/${key}`);
  }

  /** @returns the address of node `nodeId` as a remembered coordinator, or undefined. */
  private coordinatorNode(nodeId: number): BrokerInfo | undefined {
    for (const broker of this.coordinators.values()) if (broker.nodeId === nodeId) return broker;
    return undefined;
  }

  /**
   * Opens a connection to `broker` for `purpose` in the background (or keeps the one open), so that
   * the first request there finds it connected and handshaken. A failure is only logged (as the pool
   * does); the request that needs the connection later meets it again.
   */
  warmConnection(broker: BrokerInfo, purpose: ConnectionPurpose = 'default'): void {
    if (this.closed) return;
    this.pool.connection(broker, purpose).catch(() => {});
  }

  /**
   * Forgets a cached coordinator (after NOT_COORDINATOR or a connection failure). The next lookup of
   * the key asks another broker first, as a group member's own lookup does: a broker that hangs would
   * hang the lookup too, and one thawed after a freeze names itself coordinator from the group it
   * held, until the controller tells it otherwise. A lookup that fails may ask it again.
   */
  invalidateCoordinator(keyType: CoordinatorType, key: string): void {
    const cacheKey = `${keyType}/${key}`;
    const forgotten = this.coordinators.get(cacheKey);
    if (forgotten === undefined) return;
    this.coordinators.delete(cacheKey);
    this.avoidForLookup.set(cacheKey, forgotten.nodeId);
  }

  /**
   * Starts the periodic metadata refresh: every `metadataMaxAgeMs`, sooner after a failure. The first
   * successful refresh starts it; calling it earlier is harmless, calling it again does nothing.
   */
  startMetadataRefresh(): void {
    if (this.refreshTimer !== undefined || this.closed) return;
    const schedule = (ms: number) => {
      // A refresh that completes starts the timer itself (see fetchMetadata): never keep two.
      if (this.closed || this.refreshTimer !== undefined) return;
      this.refreshTimer = this.clock.setTimeout(() => {
        this.refreshTimer = undefined;
        this.refreshMetadata().then(
          () => {
            this.warnings.reset('metadata refresh');
            schedule(this.metadataMaxAgeMs);
          },
          (error: unknown) => {
            if (this.closed) return;
            // Credentials do not fix themselves: retrying a rejected login on a timer would only hammer
            // the broker. The periodic refresh stops; the next request surfaces the same typed error.
            if (error instanceof AuthenticationError) {
              this.logger.error(
                failure('metadata_authentication_failed', error),
                'metadata refresh stopped: authentication failed',
              );
              return;
            }
            this.warnings.warn(
              'metadata refresh',
              failure('metadata_refresh_failed', error),
              'metadata refresh failed',
            );
            schedule(Math.max(1, backoffMs(this.retryBackoff, this.refreshFailures)));
          },
        );
      }, ms);
    };
    const age = this.clock.now() - this.snapshot.updatedAt;
    schedule(Math.max(0, Math.min(this.metadataMaxAgeMs, this.metadataMaxAgeMs - age)));
  }

  /** Closes every connection and cancels timers and waits; pending requests fail. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.refreshTimer !== undefined) this.clock.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.sleeps.cancelAll(new ClientClosedError());
    for (const byKey of this.pendingLookups.values()) {
      for (const d of byKey.values()) d.reject(new ClientClosedError());
    }
    this.pendingLookups.clear();
    await this.pool.close();
  }

  private sendOn<Q, R>(connection: BrokerConnection, request: ClusterRequest<Q, R>): Promise<R> {
    const { message } = request;
    if (typeof message !== 'function' && request.minVersion === undefined) {
      return connection.send(request.api, message, request);
    }
    let version: number;
    try {
      version =
        request.version ?? connection.version(request.api as KafkaApi<unknown, unknown>, request.maxVersion);
      if (request.minVersion !== undefined && version < request.minVersion) {
        throw belowMinVersion(connection, request as ClusterRequest<unknown, unknown>, request.minVersion);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const body = typeof message === 'function' ? (message as (version: number) => Q)(version) : message;
    return connection.send(request.api, body, { ...request, version });
  }

  /** Finds the broker for a target, refreshing metadata first when it is stale. */
  private async resolve(target: RequestTarget): Promise<BrokerInfo> {
    switch (target.kind) {
      case 'any':
        return this.pool.leastLoadedBroker(target.avoid);
      case 'broker': {
        // A coordinator a FindCoordinator answer just named needs no metadata first: a group member's
        // first heartbeat or JoinGroup goes there while the first Metadata may still be on its way.
        const coordinator = this.coordinatorNode(target.nodeId);
        if (coordinator !== undefined && this.pool.broker(target.nodeId) === undefined) return coordinator;
        await this.refreshIfStale();
        const broker = this.pool.broker(target.nodeId) ?? this.snapshot.broker(target.nodeId);
        if (broker) return broker;
        this.stale = true;
        throw new ConnectionError(`node ${target.nodeId}`, 'unknown-broker', 'broker is not in the metadata');
      }
      case 'leader': {
        if (!this.topicsOfInterest.has(target.topic)) {
          this.topicsOfInterest.add(target.topic);
          if (!this.snapshot.topic(target.topic)) this.stale = true;
        }
        await this.refreshIfStale();
        const leader = this.snapshot.leaderFor(target.topic, target.partition);
        if (leader) return leader;
        this.stale = true;
        const topic = this.snapshot.topic(target.topic);
        if (topic && topic.errorCode !== 0) throw kafkaError(topic.errorCode, `topic ${target.topic}`);
        const partition = topic?.partitions[target.partition];
        if (!partition) throw kafkaError(UNKNOWN_TOPIC_OR_PARTITION, `${target.topic}-${target.partition}`);
        throw kafkaError(LEADER_NOT_AVAILABLE, `${target.topic}-${target.partition} has no known leader`);
      }
      case 'coordinator':
        return this.lookupCoordinator(target.keyType, target.key);
    }
  }

  private async refreshIfStale(): Promise<void> {
    const age = this.clock.now() - this.snapshot.updatedAt;
    if (!this.stale && age < this.metadataMaxAgeMs) return;
    if (this.refreshing) {
      await this.refreshing.catch(() => undefined);
      return;
    }
    // Do not hammer the cluster: refreshes triggered by errors respect the retry backoff.
    const wait =
      this.lastRefreshAttempt + backoffMs(this.retryBackoff, this.refreshFailures + 1) - this.clock.now();
    if (wait > 0 && this.snapshot.updatedAt > Number.NEGATIVE_INFINITY) await this.sleeps.sleep(wait);
    await this.refreshMetadata();
  }

  private async fetchMetadata(topics: ReadonlySet<string>): Promise<ClusterMetadata> {
    const names = [...topics];
    const response = await this.send({
      target: { kind: 'any' },
      api: Metadata,
      message: (version: number): MetadataRequest => ({
        // v0 reads an empty list as "all topics"; never ask v0 for nothing.
        topics: names.map((name) => ({ name })),
        allowAutoTopicCreation: version >= 4 ? false : undefined,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      }),
      errorCode: (r) => r.errorCode ?? 0,
    });
    this.stale = false;
    this.snapshot = this.snapshot.update(response, this.clock.now());
    this.pool.updateBrokers(this.snapshot.brokers.values());
    this.startMetadataRefresh();
    this.logger.debug(
      { brokers: this.snapshot.brokers.size, topics: names.length, clusterId: this.snapshot.clusterId },
      'metadata updated',
    );
    return this.snapshot;
  }

  private onErrorCode(target: RequestTarget, code: number): void {
    if (STALE_METADATA_CODES.has(code)) this.stale = true;
    if (target.kind === 'coordinator' && COORDINATOR_MOVED_CODES.has(code)) {
      this.invalidateCoordinator(target.keyType, target.key);
    }
  }

  private onBrokerFailure(target: RequestTarget): void {
    if (target.kind === 'leader' || target.kind === 'broker') this.stale = true;
    if (target.kind === 'coordinator') this.invalidateCoordinator(target.keyType, target.key);
  }

  private runLookups(): void {
    this.lookupScheduled = false;
    const batches = this.pendingLookups;
    this.pendingLookups = new Map();
    for (const [keyType, byKey] of batches) {
      void this.lookupBatch(keyType, byKey);
    }
  }

  private async lookupBatch(
    keyType: CoordinatorType,
    byKey: Map<string, Deferred<BrokerInfo>>,
  ): Promise<void> {
    const keys = [...byKey.keys()];
    // One request carries the batch: it avoids the node the first key's forgotten coordinator was on
    // (once: where a broker before v4 takes one key, the requests for the others may go anywhere).
    let avoid: number | undefined;
    for (const key of keys) {
      avoid ??= this.avoidForLookup.get(`${keyType}/${key}`);
      this.avoidForLookup.delete(`${keyType}/${key}`);
    }
    let version = -1;
    try {
      const response = await this.send<Record<string, unknown>, FindCoordinatorResponse>({
        target: avoid === undefined ? { kind: 'any' } : { kind: 'any', avoid },
        api: FindCoordinator as KafkaApi<Record<string, unknown>, FindCoordinatorResponse>,
        // v4+ takes a batch of keys; older versions take one, and the other keys are asked again below.
        message: (v) => {
          version = v;
          return v >= 4 ? { keyType, coordinatorKeys: keys } : { keyType, key: keys[0]! };
        },
        errorCode: (r) => r.errorCode ?? 0,
      });
      const asked = version >= 4 ? keys : keys.slice(0, 1);
      const answers =
        version >= 4
          ? (response.coordinators ?? [])
          : [
              {
                key: keys[0]!,
                nodeId: response.nodeId ?? -1,
                host: response.host ?? '',
                port: response.port ?? -1,
                errorCode: response.errorCode ?? 0,
                errorMessage: response.errorMessage ?? null,
              },
            ];
      for (const a of answers) {
        const deferred = byKey.get(a.key);
        if (!deferred || !asked.includes(a.key)) continue;
        byKey.delete(a.key);
        if (a.errorCode !== 0) {
          deferred.reject(
            kafkaError(
              a.errorCode,
              `FindCoordinator ${a.key}${a.errorMessage ? ` (${a.errorMessage})` : ''}`,
            ),
          );
          continue;
        }
        const broker: BrokerInfo = { nodeId: a.nodeId, host: a.host, port: a.port, rack: null };
        this.coordinators.set(`${keyType}/${a.key}`, broker);
        deferred.resolve(broker);
      }
      for (const key of asked) {
        const deferred = byKey.get(key);
        if (!deferred) continue;
        byKey.delete(key);
        deferred.reject(kafkaError(COORDINATOR_NOT_AVAILABLE, `no coordinator in the answer for ${key}`));
      }
    } catch (error) {
      for (const d of byKey.values()) d.reject(error);
      return;
    }
    // Keys a pre-v4 request could not carry: ask for each in turn.
    for (const [key, deferred] of byKey) {
      this.findCoordinatorUncached(keyType, key).then(deferred.resolve, deferred.reject);
    }
  }

  private findCoordinatorUncached(keyType: CoordinatorType, key: string): Promise<BrokerInfo> {
    const deferred = new Deferred<BrokerInfo>();
    void this.lookupBatch(keyType, new Map([[key, deferred]]));
    return deferred.promise;
  }
}

const { UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, COORDINATOR_NOT_AVAILABLE } = ErrorCode;

/**
 * @returns the error for a request whose `minVersion` lies above every version the broker offers: it
 *   names the API, the broker's range and the range the caller accepts.
 */
function belowMinVersion(
  connection: BrokerConnection,
  request: ClusterRequest<unknown, unknown>,
  minVersion: number,
): UnsupportedVersionError {
  const { api } = request;
  const broker = connection.apiVersions.get(api.apiKey) ?? null;
  const maxVersion = Math.min(api.maxVersion, request.maxVersion ?? api.maxVersion);
  return new UnsupportedVersionError(api.apiKey, api.name, broker, { minVersion, maxVersion });
}

class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/**
 * @returns what really failed: a nested call that ran out of time (a coordinator lookup inside a
 *   request) already names its own last failure, and reporting the inner deadline would hide it.
 */
function lastFailure(error: unknown): unknown {
  return error instanceof DeadlineExceededError && error.cause !== undefined ? error.cause : error;
}
