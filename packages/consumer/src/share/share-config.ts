/**
 * The share consumer's options: the consumer's conventions (Java's names in the docs, one ConfigError
 * naming the option, the same defaults and checks), without the options share groups do not have.
 */
import type { Logger, SaslOptions, TlsOptions } from '@runnel/network';
import { brokerList, DEFAULTS, loggerOf } from '../config.js';
import { int, oneOf, optionalString } from '../config-checks.js';
import { ConfigError } from '../errors.js';
import { mechanismName, resolveSecurity, type SecurityProtocol } from '../security-config.js';

/**
 * `share.acknowledgement.mode`: `implicit` (Java's default) accepts every record handed out when the
 * next batch is asked for; `explicit` needs `acknowledge` for each record before that.
 */
export type AcknowledgementMode = 'implicit' | 'explicit';

/** The share consumer's options. `brokers` and `groupId` are required; Java's name of each is in its doc. */
export interface ShareConsumerConfig {
  /** `bootstrap.servers`: `host:port` entries, as a list or comma-separated. */
  brokers: string | readonly string[];
  /** `group.id`: the share group. */
  groupId: string;
  /** `client.id` (default `runnel`). */
  clientId?: string;
  /** `client.rack`, sent when joining. */
  rack?: string;
  /** `share.acknowledgement.mode` (default `implicit`). */
  acknowledgementMode?: AcknowledgementMode;
  /** `max.poll.records` (default 500): the most records one ShareFetch acquires from a broker. */
  maxPollRecords?: number;
  /** `fetch.min.bytes` (default 1). */
  fetchMinBytes?: number;
  /** `fetch.max.bytes` (default 52 428 800). */
  fetchMaxBytes?: number;
  /** `fetch.max.wait.ms` (default 500). */
  fetchMaxWaitMs?: number;
  /** The memory fetched records may take before fetching pauses (default 104 857 600); see the consumer's option. */
  maxBufferedBytes?: number;
  /** The most bytes one compressed record batch may decompress to (default 64 MiB). */
  maxDecompressedSize?: number;
  /** `check.crcs` (default true). */
  checkCrcs?: boolean;
  /** `request.timeout.ms` (default 30 000); must exceed `fetchMaxWaitMs`. */
  requestTimeoutMs?: number;
  /** `default.api.timeout.ms` (default 60 000): how long `commit` waits for the brokers' answers. */
  defaultApiTimeoutMs?: number;
  /** `retry.backoff.ms` (default 100). */
  retryBackoffMs?: number;
  /** `reconnect.backoff.ms` (default 50). */
  reconnectBackoffMs?: number;
  /** `reconnect.backoff.max.ms` (default 1 000). */
  reconnectBackoffMaxMs?: number;
  /** Gives up after this many ms without any reachable broker (default: never); see the consumer's option. */
  allBrokersDownTimeoutMs?: number | null;
  /** `metadata.max.age.ms` (default 300 000). */
  metadataMaxAgeMs?: number;
  /** Where to log (default: nowhere). */
  logger?: Logger;
  /** TLS to every broker, as the consumer's `tls`. */
  tls?: TlsOptions | boolean;
  /** SASL authentication, as the consumer's `sasl`. */
  sasl?: SaslOptions;
}

/** The share consumer's configuration with every default applied and every value checked. */
export interface ResolvedShareConfig {
  readonly brokers: readonly string[];
  readonly groupId: string;
  readonly clientId: string;
  readonly rack: string | null;
  readonly acknowledgementMode: AcknowledgementMode;
  readonly maxPollRecords: number;
  readonly fetchMinBytes: number;
  readonly fetchMaxBytes: number;
  readonly fetchMaxWaitMs: number;
  readonly maxBufferedBytes: number;
  readonly maxDecompressedSize: number;
  readonly checkCrcs: boolean;
  readonly requestTimeoutMs: number;
  readonly defaultApiTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly reconnectBackoffMs: number;
  readonly reconnectBackoffMaxMs: number;
  readonly allBrokersDownTimeoutMs: number | null;
  readonly metadataMaxAgeMs: number;
  readonly logger: Logger;
  readonly securityProtocol: SecurityProtocol;
  readonly saslMechanism: string | null;
}

/** `max.poll.records`' default, as Java's. */
export const DEFAULT_MAX_POLL_RECORDS = 500;

const KNOWN_KEYS = new Set<string>([
  'brokers',
  'groupId',
  'clientId',
  'rack',
  'acknowledgementMode',
  'maxPollRecords',
  'fetchMinBytes',
  'fetchMaxBytes',
  'fetchMaxWaitMs',
  'maxBufferedBytes',
  'maxDecompressedSize',
  'checkCrcs',
  'requestTimeoutMs',
  'defaultApiTimeoutMs',
  'retryBackoffMs',
  'reconnectBackoffMs',
  'reconnectBackoffMaxMs',
  'allBrokersDownTimeoutMs',
  'metadataMaxAgeMs',
  'logger',
  'tls',
  'sasl',
]);

/** Consumer options a share group does not take, with what to do instead (as Java's share consumer refuses them). */
const NOT_FOR_SHARE_GROUPS: Readonly<Record<string, string>> = {
  autoOffsetReset: 'set the group config share.auto.offset.reset instead',
  isolationLevel: 'set the group config share.isolation.level instead',
  sessionTimeoutMs: 'set the group config share.session.timeout.ms instead',
  heartbeatIntervalMs: 'set the group config share.heartbeat.interval.ms instead',
  autoCommit: 'records are acknowledged, not committed (see acknowledgementMode)',
  groupInstanceId: 'share groups have no static members',
  groupProtocol: 'a share consumer always joins a share group',
  groupRemoteAssignor: 'the broker assigns share groups (group.share.assignors)',
  assignors: 'the broker assigns share groups (group.share.assignors)',
  maxPollIntervalMs: 'records carry acquisition locks instead (share.record.lock.duration.ms)',
  rebalanceTimeoutMs: 'share groups do not rebalance with a timeout',
  maxPartitionFetchBytes: 'ShareFetch sizes fetches by fetchMaxBytes and maxPollRecords',
};

/**
 * Checks a share consumer configuration and fills in the defaults.
 * @returns the resolved configuration.
 * @throws ConfigError naming the first option that is unknown, missing, of the wrong type or out of
 *   range; a consumer option share groups do not have says what to use instead.
 */
export function resolveShareConfig(input: ShareConsumerConfig): ResolvedShareConfig {
  if (typeof input !== 'object' || input === null) throw new ConfigError('config', 'must be an object');
  const c = input as unknown as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    const instead = NOT_FOR_SHARE_GROUPS[key];
    if (instead !== undefined) throw new ConfigError(key, `is not a share consumer option: ${instead}`);
    if (!KNOWN_KEYS.has(key)) throw new ConfigError(key, 'is not a share consumer option');
  }
  const brokers = brokerList(c.brokers);
  const groupId = optionalString(c, 'groupId', false);
  if (groupId === null) throw new ConfigError('groupId', 'is required: a share consumer joins a share group');
  const fetchMaxWaitMs = int(c, 'fetchMaxWaitMs', DEFAULTS.fetchMaxWaitMs, 0);
  const requestTimeoutMs = int(c, 'requestTimeoutMs', DEFAULTS.requestTimeoutMs, 1);
  if (requestTimeoutMs <= fetchMaxWaitMs) {
    throw new ConfigError(
      'requestTimeoutMs',
      `must exceed fetchMaxWaitMs (${fetchMaxWaitMs}) or every long poll times out`,
    );
  }
  const reconnectBackoffMs = int(c, 'reconnectBackoffMs', DEFAULTS.reconnectBackoffMs, 0);
  const checkCrcs = c.checkCrcs ?? DEFAULTS.checkCrcs;
  if (typeof checkCrcs !== 'boolean') throw new ConfigError('checkCrcs', 'must be a boolean');
  const security = resolveSecurity(input);
  return {
    brokers,
    groupId,
    clientId: optionalString(c, 'clientId') ?? DEFAULTS.clientId,
    rack: optionalString(c, 'rack'),
    acknowledgementMode: oneOf(c, 'acknowledgementMode', ['implicit', 'explicit'], 'implicit'),
    maxPollRecords: int(c, 'maxPollRecords', DEFAULT_MAX_POLL_RECORDS, 1),
    fetchMinBytes: int(c, 'fetchMinBytes', DEFAULTS.fetchMinBytes, 0),
    fetchMaxBytes: int(c, 'fetchMaxBytes', DEFAULTS.fetchMaxBytes, 1),
    fetchMaxWaitMs,
    maxBufferedBytes: int(c, 'maxBufferedBytes', DEFAULTS.maxBufferedBytes, 1, Number.MAX_SAFE_INTEGER),
    maxDecompressedSize: int(c, 'maxDecompressedSize', DEFAULTS.maxDecompressedSize, 1),
    checkCrcs,
    requestTimeoutMs,
    defaultApiTimeoutMs: int(c, 'defaultApiTimeoutMs', DEFAULTS.defaultApiTimeoutMs, 1),
    retryBackoffMs: int(c, 'retryBackoffMs', DEFAULTS.retryBackoffMs, 0),
    reconnectBackoffMs,
    reconnectBackoffMaxMs: int(
      c,
      'reconnectBackoffMaxMs',
      Math.max(reconnectBackoffMs, DEFAULTS.reconnectBackoffMaxMs),
      reconnectBackoffMs,
    ),
    allBrokersDownTimeoutMs:
      c.allBrokersDownTimeoutMs === null || c.allBrokersDownTimeoutMs === undefined
        ? null
        : int(c, 'allBrokersDownTimeoutMs', 0, 1),
    metadataMaxAgeMs: int(c, 'metadataMaxAgeMs', DEFAULTS.metadataMaxAgeMs, 1),
    logger: loggerOf(c.logger),
    securityProtocol:
      `${security.sasl ? 'SASL_' : ''}${security.tls ? 'SSL' : 'PLAINTEXT'}` as SecurityProtocol,
    saslMechanism: security.sasl ? mechanismName(security.sasl) : null,
  };
}
