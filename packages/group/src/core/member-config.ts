/** The configuration every group member shares, and its validation. */
import { ExponentialBackoff } from '@runnel/protocol';
import { GroupConfigError } from '../errors.js';

/** Settings of any group member; names follow the Java consumer's settings. */
export interface GroupMemberConfig {
  /** `group.id`. */
  readonly groupId: string;
  /** `group.instance.id`: set it to make this a static member (KIP-345). */
  readonly groupInstanceId?: string | null;
  /** `client.rack`, sent to the coordinator for rack-aware assignors. */
  readonly clientRack?: string | null;
  /**
   * `max.poll.interval.ms` (default 300000): the longest the user code may go without polling. It is
   * also the rebalance timeout the member sends, unless the classic member is given its own.
   */
  readonly maxPollIntervalMs?: number;
  /** `request.timeout.ms` (default 30000): suggested timeout of every request (the classic JoinGroup waits longer). */
  readonly requestTimeoutMs?: number;
  /** `retry.backoff.ms` (default 100). */
  readonly retryBackoffMs?: number;
  /** `retry.backoff.max.ms` (default 1000). */
  readonly retryBackoffMaxMs?: number;
  /** Source of randomness for backoff jitter, in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
}

/** A validated {@link GroupMemberConfig} with its defaults applied. */
export interface GroupMemberSettings {
  readonly groupId: string;
  readonly groupInstanceId: string | null;
  readonly clientRack: string | null;
  readonly maxPollIntervalMs: number;
  readonly requestTimeoutMs: number;
  /** @returns a new backoff of `retry.backoff.ms` growing to `retry.backoff.max.ms`, for one kind of retry. */
  backoff(): ExponentialBackoff;
}

/**
 * @param option the config field, as {@link GroupMemberConfig} and the consumer's config spell it
 * @returns `value` (or `fallback` when it is undefined).
 * @throws GroupConfigError naming `option` when that is not an integer in [1, 2^31-1].
 */
export function positiveInt(option: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v <= 0 || v > 0x7fffffff) {
    throw new GroupConfigError(`must be a positive 32-bit integer, got ${v}`, option);
  }
  return v;
}

/**
 * @returns the settings of `config`, with the defaults of the Java consumer; an empty instance id or
 *   rack means none.
 * @throws GroupConfigError on an empty group id, or timeouts and backoffs that are not positive 32-bit
 *   integers.
 */
export function readGroupMemberConfig(config: GroupMemberConfig): GroupMemberSettings {
  if (!config.groupId) throw new GroupConfigError('must not be empty', 'groupId');
  const maxPollIntervalMs = positiveInt('maxPollIntervalMs', config.maxPollIntervalMs, 300_000);
  const requestTimeoutMs = positiveInt('requestTimeoutMs', config.requestTimeoutMs, 30_000);
  const initialMs = positiveInt('retryBackoffMs', config.retryBackoffMs, 100);
  const maxMs = Math.max(initialMs, positiveInt('retryBackoffMaxMs', config.retryBackoffMaxMs, 1_000));
  const random = config.random ?? Math.random;
  return {
    groupId: config.groupId,
    groupInstanceId: config.groupInstanceId || null,
    clientRack: config.clientRack || null,
    maxPollIntervalMs,
    requestTimeoutMs,
    backoff: () => new ExponentialBackoff({ initialMs, maxMs, random }),
  };
}
