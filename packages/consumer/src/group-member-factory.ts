/** Which @runnel/group member a consumer runs, and with which of its settings. */
import { ClassicGroupMember, ConsumerProtocolMember, type GroupMember } from '@runnel/group';
import type { ResolvedConfig } from './config.js';

/**
 * @returns the member of `config.groupProtocol`: KIP-848's under 'consumer' (Java ignores the
 *   classic-only options there: the broker sets the session and heartbeat times), else the classic one.
 * @throws GroupConfigError on settings the member cannot run with.
 */
export function createGroupMember(config: ResolvedConfig): GroupMember {
  const common = {
    groupId: config.groupId!,
    groupInstanceId: config.groupInstanceId,
    clientRack: config.rack,
    maxPollIntervalMs: config.maxPollIntervalMs,
    requestTimeoutMs: config.requestTimeoutMs,
    retryBackoffMs: Math.max(1, config.retryBackoffMs),
  };
  if (config.groupProtocol === 'consumer') {
    return new ConsumerProtocolMember({ ...common, serverAssignor: config.groupRemoteAssignor });
  }
  return new ClassicGroupMember({
    ...common,
    assignors: config.assignors,
    sessionTimeoutMs: config.sessionTimeoutMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    rebalanceTimeoutMs: config.rebalanceTimeoutMs,
  });
}
