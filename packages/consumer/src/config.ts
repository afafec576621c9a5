import { CooperativeStickyAssignor, type PartitionAssignor, RangeAssignor } from '@runnel/assignors';
import { DEFAULT_MAX_DECOMPRESSED_SIZE } from '@runnel/codec';
import { checkClassicProtocolConfig, GroupConfigError } from '@runnel/group';
import { type Logger, type SaslOptions, silentLogger, type TlsOptions } from '@runnel/network';
import { bool, describe, INT32_MAX, int, oneOf, optionalString } from './config-checks.js';
import { type Deserializer, type DeserializerFunction, deserializerOf } from './deserializers.js';
import { nearestName } from './did-you-mean.js';
import { ConfigError } from './errors.js';
import { mechanismName, resolveSecurity, type SecurityProtocol } from './security-config.js';
import { type ResolvedTelemetry, resolveTelemetry, type TelemetryOptions } from './telemetry-config.js';

/** Where the consumer logs: the network layer's pino-compatible logger, silent by default. */
export { type LogFn, type Logger, silentLogger } from '@runnel/network';
export { resolveSecurity, type SecurityConfig, type SecurityProtocol } from './security-config.js';

/** Where to start when a partition has no committed offset or its position left the log. */
export type AutoOffsetReset = 'earliest' | 'latest' | 'none';

/** `group.protocol`: the classic rebalance protocol, or the consumer group protocol of KIP-848. */
export type GroupProtocol = 'classic' | 'consumer';

/** Which records a Fetch returns: every record, or only those of committed transactions. */
export type IsolationLevel = 'read_committed' | 'read_uncommitted';

/** The consumer's options. Only `brokers` is required; Java's name of each option is in its doc. */
/**
 * The consumer's options. The type parameters are the deserializers' types (see `keyDeserializer`), so
 * that `new Consumer(config)` types its records' keys and values.
 */
export interface ConsumerConfig<KD extends Deserializer = 'buffer', VD extends Deserializer = 'buffer'> {
  /** `bootstrap.servers`: `host:port` entries, as a list or comma-separated. */
  brokers: string | readonly string[];
  /** `client.id` (default `runnel`). */
  clientId?: string;
  /** `group.id`: needed by `subscribe`, `commit` and `committed`. */
  groupId?: string;
  /** `group.instance.id`: makes the member static (KIP-345). */
  groupInstanceId?: string;
  /** `client.rack`: sent to fetch from the closest replica and to rack-aware assignors. */
  rack?: string;
  /**
   * `group.protocol` (default `classic`): `consumer` joins with KIP-848's ConsumerGroupHeartbeat and lets
   * the coordinator assign; `assignors`, `sessionTimeoutMs` and `heartbeatIntervalMs` then do nothing,
   * as in Java (the broker's group configuration sets the session timeout and heartbeat interval).
   */
  groupProtocol?: GroupProtocol;
  /** `group.remote.assignor`: the broker-side assignor to ask for under `consumer` (default: the broker's). */
  groupRemoteAssignor?: string;
  /** `partition.assignment.strategy` (default range then cooperative-sticky, as Java). */
  assignors?: readonly PartitionAssignor[];
  /** `session.timeout.ms` (default 45 000). */
  sessionTimeoutMs?: number;
  /** The rebalance timeout sent in JoinGroup (default: `maxPollIntervalMs`, as Java). */
  rebalanceTimeoutMs?: number;
  /** `heartbeat.interval.ms` (default 3 000); below `sessionTimeoutMs`. */
  heartbeatIntervalMs?: number;
  /** `max.poll.interval.ms` (default 300 000): the longest one batch's handler may run. */
  maxPollIntervalMs?: number;
  /**
   * `enable.auto.commit` and `auto.commit.interval.ms` (default on, every 5 000 ms): `false`, `true`
   * or `{ intervalMs }`. Only processed records are committed.
   */
  autoCommit?: boolean | { intervalMs: number };
  /** `auto.offset.reset` (default `latest`, as Java). */
  autoOffsetReset?: AutoOffsetReset;
  /** `isolation.level` (default `read_committed`, see the README for why). */
  isolationLevel?: IsolationLevel;
  /** `fetch.min.bytes` (default 1). */
  fetchMinBytes?: number;
  /** `fetch.max.bytes` (default 52 428 800). */
  fetchMaxBytes?: number;
  /** `fetch.max.wait.ms` (default 500). */
  fetchMaxWaitMs?: number;
  /** `max.partition.fetch.bytes` (default 1 048 576). */
  maxPartitionFetchBytes?: number;
  /**
   * `max.poll.records`: the most records one batch holds (default: no cap; a batch is what one fetch
   * brought for its partition, up to `maxPartitionFetchBytes`). Longer fetched data comes as several batches.
   */
  maxPollRecords?: number;
  /**
   * `key.deserializer`: `'string'` (UTF-8), `'json'`, `'buffer'` (default: the bytes, as zero-copy
   * views) or a function of the bytes; typed through `new Consumer(...)`'s generics. Applied when
   * `record.key` is read.
   */
  keyDeserializer?: KD;
  /** `value.deserializer`: as `keyDeserializer`, for `record.value`. */
  valueDeserializer?: VD;
  /**
   * The memory fetched data may take before fetching pauses (default 104 857 600); no Java equivalent.
   * Compressed data counts at its decompressed size: a batch is decompressed only while the data held
   * (fetched, and handed out but not yet processed) is below it, so one batch at most goes past it.
   */
  maxBufferedBytes?: number;
  /**
   * The most bytes one compressed record batch may decompress to (default 67 108 864, 64 MiB); a
   * batch past it fails its partition with `DecompressedSizeError`. A guard against compression bombs.
   */
  maxDecompressedSize?: number;
  /** `check.crcs` (default true). */
  checkCrcs?: boolean;
  /**
   * Frees each fetched record batch's memory as soon as the program is done with its records (the
   * iterator asked for the next batch, or `run`'s handler resolved), instead of when V8 next collects
   * (default false); no Java equivalent. The key, value or headers of a record read after that throw
   * `RecordReleasedError`, and views taken before may read as empty: copy what must outlive the batch,
   * including a value handed to a stream write that may flush later.
   */
  releaseBatchMemory?: boolean;
  /** `request.timeout.ms` (default 30 000). */
  requestTimeoutMs?: number;
  /** `default.api.timeout.ms` (default 60 000): time for commit, committed, offsetsForTimes... */
  defaultApiTimeoutMs?: number;
  /** `retry.backoff.ms` (default 100). */
  retryBackoffMs?: number;
  /** `reconnect.backoff.ms` (default 50): the first wait before connecting again to a broker that failed. */
  reconnectBackoffMs?: number;
  /** `reconnect.backoff.max.ms` (default 1 000): the longest such wait, reached by doubling. */
  reconnectBackoffMaxMs?: number;
  /**
   * Gives up after this many ms without any reachable broker (default: never, as Java): the iterator and
   * `run` then fail with `AllBrokersDownError`, whose `cause` is the last connection error. Until then,
   * and without it, the consumer keeps connecting with backoff and the process stays alive.
   */
  allBrokersDownTimeoutMs?: number | null;
  /**
   * `metadata.max.age.ms` (default 300 000): also how often a RegExp subscription is matched again, and
   * how often a classic group's leader reads its topics' partition counts (a changed one rebalances).
   */
  metadataMaxAgeMs?: number;
  /** Where to log (default: nowhere). */
  logger?: Logger;
  /**
   * OpenTelemetry traces and metrics (needs `@opentelemetry/api` installed): `true` for the global
   * providers, or options. Off by default; off, it costs nothing.
   */
  telemetry?: boolean | TelemetryOptions;
  /**
   * TLS to every broker: `security.protocol` `SSL` (or `SASL_SSL` with `sasl`) and the `ssl.*` options.
   * `true` trusts Node's root CAs; an object gives `ca` (`ssl.truststore.*`), `cert` and `key`
   * (`ssl.keystore.*`, for mutual TLS), `passphrase` (`ssl.key.password`), `servername`,
   * `rejectUnauthorized`, `checkServerIdentity` (`ssl.endpoint.identification.algorithm`) and
   * `minVersion` (`ssl.enabled.protocols`). Default: plaintext.
   */
  tls?: TlsOptions | boolean;
  /**
   * SASL authentication: `security.protocol` `SASL_PLAINTEXT` (or `SASL_SSL` with `tls`),
   * `sasl.mechanism` and the credentials of `sasl.jaas.config`. `PLAIN` and `SCRAM-SHA-256/512` take
   * `username` and `password` (wrap it in a `Secret`; a string is wrapped at once), `OAUTHBEARER` a
   * `tokenProvider`, and any other mechanism is a `SaslMechanism` object. Default: none.
   */
  sasl?: SaslOptions;
}

/** The configuration with every default applied and every value checked. */
export interface ResolvedConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly groupId: string | null;
  readonly groupInstanceId: string | null;
  readonly rack: string | null;
  readonly groupProtocol: GroupProtocol;
  readonly groupRemoteAssignor: string | null;
  readonly assignors: readonly PartitionAssignor[];
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxPollIntervalMs: number;
  readonly autoCommit: boolean;
  readonly autoCommitIntervalMs: number;
  readonly autoOffsetReset: AutoOffsetReset;
  readonly isolationLevel: IsolationLevel;
  readonly fetchMinBytes: number;
  readonly fetchMaxBytes: number;
  readonly fetchMaxWaitMs: number;
  readonly maxPartitionFetchBytes: number;
  /** Null: no cap. */
  readonly maxPollRecords: number | null;
  /** Null: the bytes. */
  readonly keyDeserializer: DeserializerFunction<unknown> | null;
  readonly valueDeserializer: DeserializerFunction<unknown> | null;
  readonly maxBufferedBytes: number;
  readonly maxDecompressedSize: number;
  readonly checkCrcs: boolean;
  readonly releaseBatchMemory: boolean;
  readonly requestTimeoutMs: number;
  readonly defaultApiTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly reconnectBackoffMs: number;
  readonly reconnectBackoffMaxMs: number;
  /** Null: never give up. */
  readonly allBrokersDownTimeoutMs: number | null;
  readonly metadataMaxAgeMs: number;
  readonly logger: Logger;
  /** The telemetry settings; null when off. */
  readonly telemetry: ResolvedTelemetry | null;
  /** `security.protocol`, from whether `tls` and `sasl` are set. */
  readonly securityProtocol: SecurityProtocol;
  /** `sasl.mechanism`, or null without SASL. The credentials are not kept here. */
  readonly saslMechanism: string | null;
}

/** The defaults, as documented in the README's table. */
export const DEFAULTS = {
  clientId: 'runnel',
  groupProtocol: 'classic',
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 3_000,
  maxPollIntervalMs: 300_000,
  autoCommitIntervalMs: 5_000,
  autoOffsetReset: 'latest',
  isolationLevel: 'read_committed',
  fetchMinBytes: 1,
  fetchMaxBytes: 52_428_800,
  fetchMaxWaitMs: 500,
  maxPartitionFetchBytes: 1_048_576,
  maxBufferedBytes: 104_857_600,
  maxDecompressedSize: DEFAULT_MAX_DECOMPRESSED_SIZE,
  checkCrcs: true,
  releaseBatchMemory: false,
  requestTimeoutMs: 30_000,
  defaultApiTimeoutMs: 60_000,
  retryBackoffMs: 100,
  reconnectBackoffMs: 50,
  reconnectBackoffMaxMs: 1_000,
  metadataMaxAgeMs: 300_000,
} as const;

const KNOWN_KEYS = new Set<string>([
  'brokers',
  'clientId',
  'groupId',
  'groupInstanceId',
  'rack',
  'groupProtocol',
  'groupRemoteAssignor',
  'assignors',
  'sessionTimeoutMs',
  'rebalanceTimeoutMs',
  'heartbeatIntervalMs',
  'maxPollIntervalMs',
  'autoCommit',
  'autoOffsetReset',
  'isolationLevel',
  'fetchMinBytes',
  'fetchMaxBytes',
  'fetchMaxWaitMs',
  'maxPartitionFetchBytes',
  'maxPollRecords',
  'keyDeserializer',
  'valueDeserializer',
  'maxBufferedBytes',
  'maxDecompressedSize',
  'checkCrcs',
  'releaseBatchMemory',
  'requestTimeoutMs',
  'defaultApiTimeoutMs',
  'retryBackoffMs',
  'reconnectBackoffMs',
  'reconnectBackoffMaxMs',
  'allBrokersDownTimeoutMs',
  'metadataMaxAgeMs',
  'logger',
  'telemetry',
  'tls',
  'sasl',
]);

function brokerList(value: unknown): string[] {
  if (value === undefined) throw new ConfigError('brokers', 'is required');
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list))
    throw new ConfigError('brokers', `must be a string or a list of strings, got ${describe(value)}`);
  const out: string[] = [];
  for (const entry of list) {
    if (typeof entry !== 'string')
      throw new ConfigError('brokers', `entries must be strings, got ${describe(entry)}`);
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const match = /^(?:\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(trimmed);
    const port = Number(match?.[1]);
    if (!match || port < 1 || port > 65_535) {
      throw new ConfigError('brokers', `entry ${JSON.stringify(trimmed)} is not host:port`);
    }
    out.push(trimmed);
  }
  if (out.length === 0) throw new ConfigError('brokers', 'must name at least one broker');
  return out;
}

function assignorList(value: unknown): readonly PartitionAssignor[] {
  if (value === undefined) return [new RangeAssignor(), new CooperativeStickyAssignor()];
  if (!Array.isArray(value) || value.length === 0)
    throw new ConfigError('assignors', 'must be a non-empty list');
  for (const a of value as unknown[]) {
    const candidate = a as Partial<PartitionAssignor> | null;
    if (
      typeof candidate !== 'object' ||
      candidate === null ||
      typeof candidate.name !== 'string' ||
      typeof candidate.assign !== 'function' ||
      !Array.isArray(candidate.supportedProtocols)
    ) {
      throw new ConfigError(
        'assignors',
        'entries must be partition assignors (name, supportedProtocols, assign)',
      );
    }
  }
  return value as PartitionAssignor[];
}

/**
 * The classic protocol's rules that tie settings together (unique assignor names, heartbeat below
 * session) are @runnel/group's to check; its GroupConfigError names the same option as ours.
 * @throws ConfigError naming the option.
 */
function classicGroupCheck(settings: Parameters<typeof checkClassicProtocolConfig>[0]): void {
  try {
    checkClassicProtocolConfig(settings);
  } catch (error) {
    if (error instanceof GroupConfigError) throw new ConfigError(error.option ?? 'assignors', error.problem);
    throw error;
  }
}

function loggerOf(value: unknown): Logger {
  if (value === undefined) return silentLogger;
  const l = value as Partial<Logger> | null;
  if (
    typeof l !== 'object' ||
    l === null ||
    typeof l.debug !== 'function' ||
    typeof l.info !== 'function' ||
    typeof l.warn !== 'function' ||
    typeof l.error !== 'function'
  ) {
    throw new ConfigError('logger', 'must have debug, info, warn and error functions');
  }
  return l as Logger;
}

/**
 * Checks a consumer configuration and fills in the defaults.
 * @returns the resolved configuration.
 * @throws ConfigError naming the first option that is unknown, missing, of the wrong type or out of range.
 */
export function resolveConfig(input: ConsumerConfig<Deserializer, Deserializer>): ResolvedConfig {
  if (typeof input !== 'object' || input === null) throw new ConfigError('config', 'must be an object');
  const c = input as unknown as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (KNOWN_KEYS.has(key)) continue;
    const nearest = nearestName(key, KNOWN_KEYS);
    throw new ConfigError(key, `is not a consumer option${nearest ? ` (did you mean ${nearest}?)` : ''}`);
  }
  const brokers = brokerList(c.brokers);
  const clientId = optionalString(c, 'clientId') ?? DEFAULTS.clientId;
  const groupId = optionalString(c, 'groupId', false);
  const groupInstanceId = optionalString(c, 'groupInstanceId', false);
  if (groupInstanceId !== null && groupId === null) {
    throw new ConfigError('groupInstanceId', 'needs a groupId');
  }
  const rack = optionalString(c, 'rack');
  const groupProtocol = oneOf(c, 'groupProtocol', ['classic', 'consumer'], DEFAULTS.groupProtocol);
  const groupRemoteAssignor = optionalString(c, 'groupRemoteAssignor');
  if (groupRemoteAssignor !== null && groupProtocol !== 'consumer') {
    // Java refuses it too: a classic member would silently run its own assignors instead.
    throw new ConfigError('groupRemoteAssignor', "needs groupProtocol 'consumer'");
  }
  const assignors = assignorList(c.assignors);
  const sessionTimeoutMs = int(c, 'sessionTimeoutMs', DEFAULTS.sessionTimeoutMs, 1);
  const heartbeatIntervalMs = int(c, 'heartbeatIntervalMs', DEFAULTS.heartbeatIntervalMs, 1);
  classicGroupCheck({ assignors, sessionTimeoutMs, heartbeatIntervalMs });
  const maxPollIntervalMs = int(c, 'maxPollIntervalMs', DEFAULTS.maxPollIntervalMs, 1);
  const rebalanceTimeoutMs = int(c, 'rebalanceTimeoutMs', maxPollIntervalMs, 1);
  let autoCommit: boolean = true;
  let autoCommitIntervalMs: number = DEFAULTS.autoCommitIntervalMs;
  const ac = c.autoCommit;
  if (typeof ac === 'boolean') autoCommit = ac;
  else if (typeof ac === 'object' && ac !== null && !Array.isArray(ac)) {
    const keys = Object.keys(ac);
    if (keys.some((k) => k !== 'intervalMs'))
      throw new ConfigError('autoCommit', 'takes only { intervalMs }');
    autoCommitIntervalMs = int(
      ac as Record<string, unknown>,
      'intervalMs',
      DEFAULTS.autoCommitIntervalMs,
      1,
      INT32_MAX,
      'autoCommit.intervalMs',
    );
  } else if (ac !== undefined) {
    throw new ConfigError('autoCommit', `must be a boolean or { intervalMs }, got ${describe(ac)}`);
  }
  const autoOffsetReset = oneOf(
    c,
    'autoOffsetReset',
    ['earliest', 'latest', 'none'],
    DEFAULTS.autoOffsetReset,
  );
  const isolationLevel = oneOf(
    c,
    'isolationLevel',
    ['read_committed', 'read_uncommitted'],
    DEFAULTS.isolationLevel,
  );
  const fetchMinBytes = int(c, 'fetchMinBytes', DEFAULTS.fetchMinBytes, 0);
  const fetchMaxBytes = int(c, 'fetchMaxBytes', DEFAULTS.fetchMaxBytes, 1);
  const fetchMaxWaitMs = int(c, 'fetchMaxWaitMs', DEFAULTS.fetchMaxWaitMs, 0);
  const maxPartitionFetchBytes = int(c, 'maxPartitionFetchBytes', DEFAULTS.maxPartitionFetchBytes, 1);
  const maxPollRecords = c.maxPollRecords === undefined ? null : int(c, 'maxPollRecords', 0, 1);
  const maxBufferedBytes = int(c, 'maxBufferedBytes', DEFAULTS.maxBufferedBytes, 1, Number.MAX_SAFE_INTEGER);
  const maxDecompressedSize = int(c, 'maxDecompressedSize', DEFAULTS.maxDecompressedSize, 1);
  const reconnectBackoffMs = int(c, 'reconnectBackoffMs', DEFAULTS.reconnectBackoffMs, 0);
  const reconnectBackoffMaxMs = int(
    c,
    'reconnectBackoffMaxMs',
    Math.max(reconnectBackoffMs, DEFAULTS.reconnectBackoffMaxMs),
    reconnectBackoffMs,
  );
  const allBrokersDownTimeoutMs =
    c.allBrokersDownTimeoutMs === null ? null : int(c, 'allBrokersDownTimeoutMs', -1, 1);
  const checkCrcs = bool(c, 'checkCrcs', DEFAULTS.checkCrcs);
  const releaseBatchMemory = bool(c, 'releaseBatchMemory', DEFAULTS.releaseBatchMemory);
  const security = resolveSecurity(input);
  const requestTimeoutMs = int(c, 'requestTimeoutMs', DEFAULTS.requestTimeoutMs, 1);
  if (requestTimeoutMs <= fetchMaxWaitMs) {
    throw new ConfigError(
      'requestTimeoutMs',
      `must exceed fetchMaxWaitMs (${fetchMaxWaitMs}) or every long poll times out`,
    );
  }
  return {
    brokers,
    clientId,
    groupId,
    groupInstanceId,
    rack,
    groupProtocol,
    groupRemoteAssignor,
    assignors,
    sessionTimeoutMs,
    rebalanceTimeoutMs,
    heartbeatIntervalMs,
    maxPollIntervalMs,
    autoCommit,
    autoCommitIntervalMs,
    autoOffsetReset,
    isolationLevel,
    fetchMinBytes,
    fetchMaxBytes,
    fetchMaxWaitMs,
    maxPartitionFetchBytes,
    maxPollRecords,
    keyDeserializer: deserializerOf(c.keyDeserializer, 'keyDeserializer'),
    valueDeserializer: deserializerOf(c.valueDeserializer, 'valueDeserializer'),
    maxBufferedBytes,
    maxDecompressedSize,
    checkCrcs,
    releaseBatchMemory,
    requestTimeoutMs,
    defaultApiTimeoutMs: int(c, 'defaultApiTimeoutMs', DEFAULTS.defaultApiTimeoutMs, 1),
    retryBackoffMs: int(c, 'retryBackoffMs', DEFAULTS.retryBackoffMs, 0),
    reconnectBackoffMs,
    reconnectBackoffMaxMs,
    allBrokersDownTimeoutMs: allBrokersDownTimeoutMs === -1 ? null : allBrokersDownTimeoutMs,
    metadataMaxAgeMs: int(c, 'metadataMaxAgeMs', DEFAULTS.metadataMaxAgeMs, 1),
    logger: loggerOf(c.logger),
    telemetry: resolveTelemetry(c.telemetry),
    securityProtocol:
      `${security.sasl ? 'SASL_' : ''}${security.tls ? 'SSL' : 'PLAINTEXT'}` as SecurityProtocol,
    saslMechanism: security.sasl ? mechanismName(security.sasl) : null,
  };
}
