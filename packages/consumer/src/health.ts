/**
 * The consumer's monitoring views: per-partition lag, and the health snapshot built from what each
 * part counts (fetcher, commits, the brokers-down watch, the group member and its last description).
 */
import type { AssignedPartition } from './assigned-partition.js';
import type { ConsumerHealth, GroupHealth, PartitionLag } from './consumer-types.js';
import type { ConsumerParts } from './context.js';

/**
 * @returns per partition its position, consumed offset, high watermark, lag (to the last stable offset
 *   under read_committed), whether it is paused, and the preferred read replica it is fetched from.
 */
export function lagOf(partitions: Iterable<AssignedPartition>, readCommitted: boolean): PartitionLag[] {
  const out: PartitionLag[] = [];
  for (const p of partitions) {
    const end = p.logEnd(readCommitted);
    const consumed = p.consumed?.offset ?? null;
    out.push({
      topic: p.topic,
      partition: p.partition,
      position: p.position?.offset ?? null,
      consumed,
      highWatermark: p.highWatermark,
      lag: consumed === null || end < 0 ? null : Math.max(0, end - consumed),
      paused: p.paused,
      preferredReadReplica: p.readReplica.preferred,
    });
  }
  return out;
}

/** @returns a snapshot of the consumer's state and counters. */
export function healthOf(sources: ConsumerParts): ConsumerHealth {
  const { context, fetcher, commits } = sources;
  const lags = lagOf(fetcher.partitions.values(), context.config.isolationLevel === 'read_committed');
  return {
    state: sources.lifecycle.state,
    assigned: lags.length,
    paused: lags.filter((l) => l.paused).length,
    bufferedBytes: fetcher.bufferedBytes,
    fetchesInFlight: fetcher.fetchesInFlight,
    ...fetcher.stats,
    lastCommitAt: commits.lastCommitAt,
    lastCommitError: commits.lastCommitError,
    allBrokersDownSince: sources.brokersDown.downSince,
    lastConnectionError: context.client.pool.lastConnectionError,
    connections: context.client.pool.openConnections,
    totalLag: lags.reduce((sum, l) => sum + (l.lag ?? 0), 0),
    group: groupHealthOf(sources),
  };
}

/** @returns ms since the coordinator last accepted a heartbeat at `lastHeartbeatAt`; null before any. */
export function heartbeatAgeMs(lastHeartbeatAt: number | null, now: number): number | null {
  return lastHeartbeatAt === null ? null : Math.max(0, now - lastHeartbeatAt);
}

function groupHealthOf({ context, group, describer }: ConsumerParts): GroupHealth | null {
  if (context.config.groupId === null) return null;
  const membership = group?.membership();
  const heartbeatAt = membership?.lastHeartbeatAt ?? null;
  return {
    groupProtocol: context.config.groupProtocol,
    memberState: membership?.state ?? null,
    memberId: membership?.memberId ?? '',
    memberEpoch: membership?.memberEpoch ?? -1,
    heartbeatAgeMs: heartbeatAgeMs(heartbeatAt, context.clock.now()),
    membershipInDoubt: group?.membershipInDoubt() ?? false,
    description: describer.lastDescription,
    describeError: describer.lastError,
  };
}
