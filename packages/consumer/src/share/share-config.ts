/**
 * The share consumer's options: the consumer's own options where share groups have them (the same
 * names, Java names in their docs, defaults and checks, resolved by the consumer's `resolveConfig`), the
 * two of share groups, and a ConfigError saying what to use instead for consumer options they do not have.
 */
import { type ConsumerConfig, type ResolvedConfig, resolveConfig } from '../config.js';
import { int, oneOf } from '../config-checks.js';
import type { Deserializer } from '../deserializers.js';
import { ConfigError } from '../errors.js';

/**
 * `share.acknowledgement.mode`: `implicit` (Java's default) accepts every record handed out when the
 * next batch is asked for; `explicit` needs `acknowledge` for each record before that.
 */
export type AcknowledgementMode = 'implicit' | 'explicit';

/** The consumer options a share consumer takes as they are. */
const CONSUMER_OPTIONS = [
  'brokers',
  'clientId',
  'rack',
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
  'keyDeserializer',
  'valueDeserializer',
  'logger',
  'telemetry',
  'tls',
  'sasl',
] as const;

type ConsumerOption = (typeof CONSUMER_OPTIONS)[number];

/** The resolved consumer options a share consumer has (the credentials are not kept). */
const RESOLVED_OPTIONS = [
  ...CONSUMER_OPTIONS.filter(
    (o): o is Exclude<ConsumerOption, 'tls' | 'sasl'> => o !== 'tls' && o !== 'sasl',
  ),
  'securityProtocol',
  'saslMechanism',
] as const;

/**
 * The share consumer's options. `brokers` and `groupId` are required; the others are the consumer's
 * (see its docs), `acknowledgementMode` and `maxPollRecords`. The type parameters are the
 * deserializers' types, as the consumer's (`keyDeserializer`, `valueDeserializer`).
 */
export interface ShareConsumerConfig<KD extends Deserializer = 'buffer', VD extends Deserializer = 'buffer'>
  extends Pick<ConsumerConfig<KD, VD>, ConsumerOption> {
  /** `group.id`: the share group. */
  groupId: string;
  /** `share.acknowledgement.mode` (default `implicit`). */
  acknowledgementMode?: AcknowledgementMode;
  /** `max.poll.records` (default 500): the most records one ShareFetch acquires from a broker. */
  maxPollRecords?: number;
}

/** The share consumer's configuration with every default applied and every value checked. */
export interface ResolvedShareConfig extends Pick<ResolvedConfig, (typeof RESOLVED_OPTIONS)[number]> {
  readonly groupId: string;
  readonly acknowledgementMode: AcknowledgementMode;
  readonly maxPollRecords: number;
}

/** `max.poll.records`' default, as Java's. */
export const DEFAULT_MAX_POLL_RECORDS = 500;

const SHARE_OPTIONS = new Set<string>([
  ...CONSUMER_OPTIONS,
  'groupId',
  'acknowledgementMode',
  'maxPollRecords',
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
export function resolveShareConfig(
  input: ShareConsumerConfig<Deserializer, Deserializer>,
): ResolvedShareConfig {
  if (typeof input !== 'object' || input === null) throw new ConfigError('config', 'must be an object');
  const c = input as unknown as Record<string, unknown>;
  const consumerPart: Record<string, unknown> = {};
  for (const key of Object.keys(c)) {
    const instead = NOT_FOR_SHARE_GROUPS[key];
    if (instead !== undefined) throw new ConfigError(key, `is not a share consumer option: ${instead}`);
    if (!SHARE_OPTIONS.has(key)) throw new ConfigError(key, 'is not a share consumer option');
    if (key !== 'acknowledgementMode' && key !== 'maxPollRecords') consumerPart[key] = c[key];
  }
  const resolved = resolveConfig(consumerPart as unknown as ConsumerConfig<Deserializer, Deserializer>);
  if (resolved.groupId === null) {
    throw new ConfigError('groupId', 'is required: a share consumer joins a share group');
  }
  const out: Record<string, unknown> = {};
  for (const key of RESOLVED_OPTIONS) out[key] = resolved[key];
  return {
    ...(out as Pick<ResolvedConfig, (typeof RESOLVED_OPTIONS)[number]>),
    groupId: resolved.groupId,
    acknowledgementMode: oneOf(c, 'acknowledgementMode', ['implicit', 'explicit'], 'implicit'),
    maxPollRecords: int(c, 'maxPollRecords', DEFAULT_MAX_POLL_RECORDS, 1),
  };
}
