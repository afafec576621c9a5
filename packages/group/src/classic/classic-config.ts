/**
 * The configuration of a classic group member and its checks. `checkClassicProtocolConfig` is the one
 * check of the rules that tie classic settings together: the member runs it, and so does
 * @runnel/consumer's config (which turns its GroupConfigError into a ConfigError naming the same option).
 */
import type { PartitionAssignor, RebalanceProtocol } from '@runnel/assignors';
import {
  type GroupMemberConfig,
  type GroupMemberSettings,
  positiveInt,
  readGroupMemberConfig,
} from '../core/member-config.js';
import { GroupConfigError } from '../errors.js';

/**
 * Configuration of a classic group member: the settings every member shares (`client.rack` travels in
 * the subscription) and those of the classic protocol; names follow the Java consumer's settings.
 */
export interface ClassicGroupMemberConfig extends GroupMemberConfig {
  /** `partition.assignment.strategy`: the assignors, most preferred first; at least one. */
  readonly assignors: readonly PartitionAssignor[];
  /** `session.timeout.ms` (default 45000). */
  readonly sessionTimeoutMs?: number;
  /** `heartbeat.interval.ms` (default 3000); must be below the session timeout. */
  readonly heartbeatIntervalMs?: number;
  /** The rebalance timeout sent in JoinGroup (default: the max poll interval, as Java does). */
  readonly rebalanceTimeoutMs?: number;
  /**
   * `metadata.max.age.ms` (default 300000): how often the leader reads the partition counts of the
   * group's topics again, to rebalance when one changed.
   */
  readonly metadataMaxAgeMs?: number;
}

/** The times of the classic protocol, validated. */
export interface ClassicTimings {
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxPollIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly metadataMaxAgeMs: number;
}

/** A validated {@link ClassicGroupMemberConfig}. */
export interface ClassicMemberSettings extends GroupMemberSettings {
  readonly assignors: readonly PartitionAssignor[];
  /** The rebalance protocol the configured assignors agree on. */
  readonly rebalanceProtocol: RebalanceProtocol;
  readonly timings: ClassicTimings;
}

/**
 * The rebalance protocol a set of assignors runs: the most capable one all of them support
 * (COOPERATIVE over EAGER), as the Java consumer chooses it.
 * @returns 'COOPERATIVE' or 'EAGER'.
 * @throws GroupConfigError when there are no assignors or they support no common protocol.
 */
export function selectRebalanceProtocol(assignors: readonly PartitionAssignor[]): RebalanceProtocol {
  if (assignors.length === 0)
    throw new GroupConfigError('needs at least one partition assignor', 'assignors');
  const all = (p: RebalanceProtocol) => assignors.every((a) => a.supportedProtocols.includes(p));
  if (all('COOPERATIVE')) return 'COOPERATIVE';
  if (all('EAGER')) return 'EAGER';
  throw new GroupConfigError(
    `${assignors.map((a) => a.name).join(', ')} support no common rebalance protocol`,
    'assignors',
  );
}

/**
 * Checks the classic settings that must agree with each other: the assignor names are unique, and the
 * heartbeat interval (default 3000) is below the session timeout (default 45000).
 * @returns the session timeout and heartbeat interval, defaults applied.
 * @throws GroupConfigError naming the option at fault (`assignors`, `sessionTimeoutMs`,
 *   `heartbeatIntervalMs`).
 */
export function checkClassicProtocolConfig(config: {
  readonly assignors: readonly Pick<PartitionAssignor, 'name'>[];
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
}): { sessionTimeoutMs: number; heartbeatIntervalMs: number } {
  const names = new Set<string>();
  for (const { name } of config.assignors) {
    if (names.has(name)) throw new GroupConfigError(`assignor ${name} is listed twice`, 'assignors');
    names.add(name);
  }
  const sessionTimeoutMs = positiveInt('sessionTimeoutMs', config.sessionTimeoutMs, 45_000);
  const heartbeatIntervalMs = positiveInt('heartbeatIntervalMs', config.heartbeatIntervalMs, 3_000);
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new GroupConfigError(`must be below sessionTimeoutMs (${sessionTimeoutMs})`, 'heartbeatIntervalMs');
  }
  return { sessionTimeoutMs, heartbeatIntervalMs };
}

/**
 * @returns the settings of `config` with the Java consumer's defaults.
 * @throws GroupConfigError on an empty group id, no assignors, assignors without a common rebalance
 *   protocol, duplicate assignor names, timeouts (or the metadata age) that are not positive, or a
 *   heartbeat interval not below the session timeout.
 */
export function readClassicMemberConfig(config: ClassicGroupMemberConfig): ClassicMemberSettings {
  const settings = readGroupMemberConfig(config);
  const rebalanceProtocol = selectRebalanceProtocol(config.assignors);
  const { sessionTimeoutMs, heartbeatIntervalMs } = checkClassicProtocolConfig(config);
  const { maxPollIntervalMs, requestTimeoutMs } = settings;
  return {
    ...settings,
    assignors: config.assignors,
    rebalanceProtocol,
    timings: {
      sessionTimeoutMs,
      heartbeatIntervalMs,
      maxPollIntervalMs,
      rebalanceTimeoutMs: positiveInt('rebalanceTimeoutMs', config.rebalanceTimeoutMs, maxPollIntervalMs),
      requestTimeoutMs,
      metadataMaxAgeMs: positiveInt('metadataMaxAgeMs', config.metadataMaxAgeMs, 300_000),
    },
  };
}
