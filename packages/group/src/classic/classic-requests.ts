/**
 * The requests of the classic protocol, built from the member's state: JoinGroup, the leader's
 * Metadata, SyncGroup, Heartbeat and LeaveGroup, each with the version range whose fields it fills.
 * Building one changes nothing but the request id; the member records what it waits for.
 */
import { CONSUMER_PROTOCOL_TYPE, encodeSubscription } from '@runnel/assignors';
import type { BrokerNode, GroupRequest, GroupRequestOf } from '../requests.js';
import type { ClassicMembership } from './classic-membership.js';

/** Java's lapse added to the rebalance timeout for the JoinGroup request timeout. */
const JOIN_GROUP_TIMEOUT_LAPSE_MS = 5000;

/** @returns who the member is in its generation, as SyncGroup and Heartbeat name it. */
function generationFields(m: ClassicMembership) {
  const { groupId, groupInstanceId } = m.config;
  return { groupId, generationId: m.generationId, memberId: m.memberId, groupInstanceId };
}

/** @returns the first version with `group.instance.id` when the member is static, else `dynamic`. */
function minVersion(m: ClassicMembership, dynamic: number, staticMember: number): number {
  return m.config.groupInstanceId === null ? dynamic : staticMember;
}

/**
 * @returns the JoinGroup of `m`: its subscription under every configured assignor, most preferred
 *   first, waiting past the rebalance timeout (JoinGroup v5+ for a static member).
 */
export function joinGroupRequest(m: ClassicMembership, node: BrokerNode): GroupRequest {
  const { timings } = m;
  const topics = new Set(m.subscription);
  const protocols = m.config.assignors.map((a) => ({
    name: a.name,
    metadata: encodeSubscription({
      topics: m.subscription,
      userData: a.subscriptionUserData?.(topics) ?? null,
      ownedPartitions: m.held,
      generationId: m.generationId,
      rackId: m.config.clientRack,
    }),
  }));
  return m.request(
    'JoinGroup',
    [minVersion(m, 0, 5), 9],
    { kind: 'coordinator', node },
    {
      groupId: m.config.groupId,
      sessionTimeoutMs: timings.sessionTimeoutMs,
      rebalanceTimeoutMs: timings.rebalanceTimeoutMs,
      memberId: m.memberId,
      groupInstanceId: m.config.groupInstanceId,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocols,
      reason: m.rejoinReason || null,
    },
    {
      timeoutMs: Math.max(timings.requestTimeoutMs, timings.rebalanceTimeoutMs + JOIN_GROUP_TIMEOUT_LAPSE_MS),
    },
  );
}

/** @returns every topic the members of the JoinGroup answer subscribe to, sorted (leader only). */
export function groupTopics(m: ClassicMembership): string[] {
  return [...new Set(m.joinMembers.flatMap((member) => member.topics))].sort();
}

/**
 * @returns the leader's Metadata request for `topics`: to assign them (`forAssignment`: the driver may
 *   answer it from metadata younger than `metadata.max.age.ms`, as Java's leader assigns from its cached
 *   metadata), or to watch their partition counts (always asked of a broker: the watch exists to see
 *   what the cache may not show yet).
 */
export function metadataRequest(
  m: ClassicMembership,
  topics: readonly string[],
  forAssignment: boolean,
): GroupRequest {
  // Version 4 is the first that can turn off topic auto-creation, which a leader must not trigger.
  return m.request(
    'Metadata',
    [4, 12],
    { kind: 'any' },
    {
      topics: topics.map((name) => ({ name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    },
    forAssignment ? { metadataMaxAgeMs: m.timings.metadataMaxAgeMs } : {},
  );
}

/** @returns the SyncGroup of `m`: every member's assignment from a leader, none from a follower. */
export function syncGroupRequest(m: ClassicMembership, node: BrokerNode): GroupRequest {
  const assignments = m.syncAssignments
    ? [...m.syncAssignments].map(([memberId, assignment]) => ({ memberId, assignment }))
    : [];
  return m.request(
    'SyncGroup',
    [minVersion(m, 0, 3), 5],
    { kind: 'coordinator', node },
    {
      ...generationFields(m),
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocolName: m.protocolName,
      assignments,
    },
  );
}

/** @returns the Heartbeat of `m`'s current generation. */
export function heartbeatRequest(m: ClassicMembership, node: BrokerNode): GroupRequest {
  return m.request('Heartbeat', [minVersion(m, 0, 3), 4], { kind: 'coordinator', node }, generationFields(m));
}

/** @returns the LeaveGroup of `m` with `reason` (v3+ names the member in a list; older take one id). */
export function leaveGroupRequest(
  m: ClassicMembership,
  node: BrokerNode,
  reason: string,
): GroupRequestOf<'LeaveGroup'> {
  const { groupId, groupInstanceId } = m.config;
  const { memberId } = m;
  const bodyAt = (version: number) =>
    version <= 2 ? { groupId, memberId } : { groupId, members: [{ memberId, groupInstanceId, reason }] };
  return m.request('LeaveGroup', [0, 5], { kind: 'coordinator', node }, bodyAt(5), { bodyAt });
}
