/**
 * The handlers of a classic member's join round: the JoinGroup answer, the leader's Metadata answer
 * and assignment, and the SyncGroup answer with this member's partitions. Each one takes an answer
 * (the decoded response, or the Error that stopped the request) and applies its rules to the
 * membership; the error codes each API can return are listed in its switch, as the Java consumer
 * handles them.
 */
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  type GroupAssignment,
  type MemberAssignment,
  type SubscribedTopic,
} from '@runnel/assignors';
import { ErrorCode } from '@runnel/protocol';
import {
  FencedInstanceIdError,
  GroupBrokerError,
  GroupConfigError,
  GroupFatalError,
  GroupMaxSizeReachedError,
} from '../errors.js';
import type { JoinGroupResponse, MetadataResponse, SyncGroupResponse } from '../messages.js';
import { difference, sortPartitions } from '../topic-partitions.js';
import type { ClassicMembership } from './classic-membership.js';
import { groupTopics } from './classic-requests.js';
import { MemberState } from './classic-states.js';

/** @returns `error` as an Error (an assignor may throw anything). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Takes the answer to the member's JoinGroup. */
export function onJoinGroup(m: ClassicMembership, result: JoinGroupResponse | Error, now: number): void {
  if (m.state !== MemberState.JOINING) return;
  if (result instanceof Error) {
    m.markCoordinatorUnknown(now);
    m.joinNotBefore = now + m.joinBackoff.fail();
    m.events.error(result);
    return;
  }
  const code = result.errorCode;
  const { groupId, groupInstanceId } = m.config;
  switch (code) {
    case ErrorCode.NONE:
      m.joinBackoff.reset();
      onJoined(m, result, now);
      return;
    case ErrorCode.MEMBER_ID_REQUIRED:
      // KIP-394: the coordinator hands out the id first and only counts the member once it rejoins
      // with it, so that a client crashing in a join loop leaves no ghost members.
      m.memberId = result.memberId;
      m.rejoinReason = 'need to re-join with the given member-id';
      m.joinNotBefore = now;
      return;
    case ErrorCode.UNKNOWN_MEMBER_ID:
    case ErrorCode.ILLEGAL_GENERATION:
      m.resetMembership(code, 'JoinGroup', now);
      return;
    case ErrorCode.NOT_COORDINATOR:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      m.markCoordinatorUnknown(now);
      return;
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.REBALANCE_IN_PROGRESS:
      m.joinNotBefore = now + m.joinBackoff.fail();
      return;
    case ErrorCode.FENCED_INSTANCE_ID:
      m.fail(new FencedInstanceIdError(groupInstanceId ?? '', 'JoinGroup'));
      return;
    case ErrorCode.GROUP_MAX_SIZE_REACHED:
      m.fail(new GroupMaxSizeReachedError(groupId));
      return;
    case ErrorCode.INCONSISTENT_GROUP_PROTOCOL:
    case ErrorCode.INVALID_SESSION_TIMEOUT:
    case ErrorCode.INVALID_GROUP_ID:
    case ErrorCode.GROUP_AUTHORIZATION_FAILED:
    case ErrorCode.UNSUPPORTED_VERSION:
    case ErrorCode.UNRELEASED_INSTANCE_ID:
      m.fail(new GroupFatalError(`JoinGroup for group ${groupId} failed`, code));
      return;
    default:
      m.joinNotBefore = now + m.joinBackoff.fail();
      m.events.error(new GroupBrokerError('JoinGroup', code));
      return;
  }
}

function onJoined(m: ClassicMembership, result: JoinGroupResponse, now: number): void {
  const assignor = m.config.assignors.find((a) => a.name === result.protocolName);
  if (
    assignor === undefined ||
    (result.protocolType !== undefined &&
      result.protocolType !== null &&
      result.protocolType !== CONSUMER_PROTOCOL_TYPE)
  ) {
    m.fail(
      new GroupFatalError(
        `JoinGroup chose protocol ${result.protocolType ?? CONSUMER_PROTOCOL_TYPE}/${result.protocolName}, which this member did not offer`,
        ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
      ),
    );
    return;
  }
  m.generationId = result.generationId;
  m.memberId = result.memberId;
  m.leaderId = result.leader;
  m.protocolName = assignor.name;
  m.lastHeartbeatOkAt = now;
  m.confirmSession(now, now);
  m.heartbeatNotBefore = now + m.timings.heartbeatIntervalMs;
  m.heartbeatBackoff.reset();
  m.syncAssignments = null;
  // KIP-814: a static leader the coordinator already knows skips the assignment.
  const leader = m.memberId !== '' && m.leaderId === m.memberId;
  const skipAssignment = result.skipAssignment ?? false;
  if (!leader) m.partitionWatch.stop();
  // A static leader that kept the old assignment watches its own topics from the first check on.
  else if (skipAssignment) m.partitionWatch.assignmentSkipped(m.subscription, now);
  if (leader && !skipAssignment) {
    try {
      m.joinMembers = result.members.map((member) =>
        decodeSubscription(member.memberId, member.groupInstanceId ?? null, member.metadata),
      );
    } catch (error) {
      // A member whose metadata cannot be read breaks the assignment for everyone; like Java, fail
      // this round and rejoin (the coordinator drops members that cannot keep up).
      m.events.error(asError(error));
      m.joinNotBefore = now + m.joinBackoff.fail();
      return;
    }
    m.metadataNotBefore = now;
    m.transitionTo(MemberState.ASSIGNING);
    return;
  }
  m.transitionTo(MemberState.SYNCING);
}

/** Takes the answer to the leader's Metadata request, then runs the assignor (still ASSIGNING). */
export function onLeaderMetadata(m: ClassicMembership, result: MetadataResponse | Error, now: number): void {
  if (m.state !== MemberState.ASSIGNING) return;
  if (result instanceof Error) {
    m.metadataNotBefore = now + m.metadataBackoff.fail();
    m.events.error(result);
    return;
  }
  m.metadataBackoff.reset();
  const racks = new Map<number, string | null>(result.brokers.map((b) => [b.nodeId, b.rack ?? null]));
  const topics: SubscribedTopic[] = [];
  for (const t of result.topics) {
    if (t.errorCode !== ErrorCode.NONE || t.name === null) continue;
    const partitions = [...t.partitions]
      .sort((a, b) => a.partitionIndex - b.partitionIndex)
      .map((p) => ({
        partition: p.partitionIndex,
        replicaRacks: p.replicaNodes.map((n) => racks.get(n) ?? null),
      }));
    topics.push({ topic: t.name, partitions });
  }
  const assignor = m.config.assignors.find((a) => a.name === m.protocolName);
  let assignment: GroupAssignment;
  try {
    if (!assignor) throw new GroupConfigError(`no assignor named ${m.protocolName}`, 'assignors');
    assignment = assignor.assign({ members: m.joinMembers, topics });
  } catch (error) {
    m.events.error(asError(error));
    m.joinNotBefore = now + m.joinBackoff.fail();
    m.transitionTo(MemberState.JOINING);
    return;
  }
  m.partitionWatch.assignedWith(groupTopics(m), result, now);
  const encoded = new Map<string, Uint8Array>();
  for (const member of m.joinMembers) {
    encoded.set(member.memberId, encodeAssignment(assignment.get(member.memberId) ?? { partitions: [] }));
  }
  m.syncAssignments = encoded;
  m.joinMembers = [];
  m.transitionTo(MemberState.SYNCING);
}

/** Takes the answer to the member's SyncGroup. */
export function onSyncGroup(m: ClassicMembership, result: SyncGroupResponse | Error, now: number): void {
  if (m.state !== MemberState.SYNCING) return;
  if (result instanceof Error) {
    m.markCoordinatorUnknown(now);
    m.events.error(result);
    rejoinAfterFailedSync(m, now, true);
    return;
  }
  const code = result.errorCode;
  switch (code) {
    case ErrorCode.NONE:
      onSynced(m, result, now);
      return;
    case ErrorCode.REBALANCE_IN_PROGRESS:
      m.rejoinReason = 'SyncGroup failed with REBALANCE_IN_PROGRESS';
      rejoinAfterFailedSync(m, now, false);
      return;
    case ErrorCode.UNKNOWN_MEMBER_ID:
    case ErrorCode.ILLEGAL_GENERATION:
      m.resetMembership(code, 'SyncGroup', now);
      return;
    case ErrorCode.NOT_COORDINATOR:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      m.markCoordinatorUnknown(now);
      rejoinAfterFailedSync(m, now, false);
      return;
    case ErrorCode.FENCED_INSTANCE_ID:
      m.fail(new FencedInstanceIdError(m.config.groupInstanceId ?? '', 'SyncGroup'));
      return;
    case ErrorCode.GROUP_AUTHORIZATION_FAILED:
    case ErrorCode.INCONSISTENT_GROUP_PROTOCOL:
    case ErrorCode.UNSUPPORTED_VERSION:
      m.fail(new GroupFatalError(`SyncGroup for group ${m.config.groupId} failed`, code));
      return;
    default:
      m.events.error(new GroupBrokerError('SyncGroup', code));
      rejoinAfterFailedSync(m, now, true);
      return;
  }
}

function rejoinAfterFailedSync(m: ClassicMembership, now: number, backoff: boolean): void {
  m.joinNotBefore = backoff ? now + m.joinBackoff.fail() : now;
  m.inFlight.forget('heartbeat');
  m.transitionTo(MemberState.JOINING);
}

function onSynced(m: ClassicMembership, result: SyncGroupResponse, now: number): void {
  if (
    (result.protocolName != null && result.protocolName !== m.protocolName) ||
    (result.protocolType != null && result.protocolType !== CONSUMER_PROTOCOL_TYPE)
  ) {
    m.fail(
      new GroupFatalError(
        `SyncGroup returned protocol ${result.protocolType}/${result.protocolName}, JoinGroup chose ${m.protocolName}`,
        ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
      ),
    );
    return;
  }
  let assignment: MemberAssignment;
  try {
    assignment = decodeAssignment(result.assignment);
  } catch (error) {
    m.fail(new GroupFatalError('the assignment from SyncGroup cannot be decoded', null, { cause: error }));
    return;
  }
  const partitions = sortPartitions(assignment.partitions);
  const revoked = difference(m.held, partitions);
  const added = difference(partitions, m.held);
  m.held = partitions;
  m.transitionTo(MemberState.RECONCILING);
  const assignor = m.config.assignors.find((a) => a.name === m.protocolName);
  try {
    assignor?.onAssignment?.(
      { partitions, userData: assignment.userData },
      { memberId: m.memberId, generationId: m.generationId },
    );
  } catch (error) {
    m.events.error(asError(error));
  }
  if (revoked.length > 0) {
    m.events.raise('partitionsRevoked', revoked);
    // KIP-429: partitions the leader took away are free for their new owner only after this member
    // revoked them and told the group so, which takes a second rebalance.
    if (m.config.rebalanceProtocol === 'COOPERATIVE') {
      rejoinAfterReconcile(m, 'need to revoke partitions and re-join');
    }
  }
  const subscribed = new Set(m.subscription);
  if (partitions.some((tp) => !subscribed.has(tp.topic))) {
    rejoinAfterReconcile(m, 'the assignment holds topics this member does not subscribe to');
  }
  m.events.raiseAssigned({
    partitions: added,
    assignment: partitions,
    generationId: m.generationId,
    memberId: m.memberId,
  });
  m.settle(now);
}

function rejoinAfterReconcile(m: ClassicMembership, reason: string): void {
  m.rejoinRequested = true;
  m.rejoinReason = reason;
}
