/**
 * ShareGroupHeartbeat, the one request of a share group member: when it is due, its body (the
 * subscription and rack when joining, then only what changed, as Java's share consumer sends it), and
 * the handlers of its answers with the error codes Kafka returns.
 */
import {
  ErrorCode,
  kafkaErrorInfo,
  type ShareGroupHeartbeatRequest,
  type ShareGroupHeartbeatResponse,
  UnsupportedVersionError,
} from '@runnel/protocol';
import {
  assignmentFromResponse,
  assignmentOf,
  sameAssignment,
} from '../consumer-protocol/consumer-protocol-assignment.js';
import { maybeReconcile, onTargetAssignment } from '../consumer-protocol/consumer-protocol-reconciliation.js';
import { GroupBrokerError, GroupFatalError, GroupMaxSizeReachedError } from '../errors.js';
import type { BrokerNode, ShareGroupRequestOf } from '../requests.js';
import type { ShareMembership, ShareNotes } from './share-membership.js';
import { SHARE_HEARTBEATING, SHARE_LEAVE_GROUP_MEMBER_EPOCH, ShareMemberState } from './share-states.js';

const API = 'ShareGroupHeartbeat';
/** ShareGroupHeartbeat v1 (Kafka 4.1+) is the first version of share groups as released; v0 was a preview. */
const VERSIONS = [1, 1] as const;

/** What the last heartbeats told the coordinator (null: not told yet). */
export interface SentShareFields {
  /** The subscribed names joined by NUL. */
  topicNames: string | null;
  rackId: string | null;
}

/** @returns sent fields that make the next heartbeat carry every field. */
export function unsentShareFields(): SentShareFields {
  return { topicNames: null, rackId: null };
}

/** @returns whether the member heartbeats at the interval now (not once fenced while preparing to leave). */
export function shareHeartbeats(m: ShareMembership): boolean {
  return SHARE_HEARTBEATING.has(m.state) && !m.leaveRequestSkipped;
}

/** @returns when the next heartbeat may go: at once when joining or acknowledging, else at the interval; never inside a backoff. */
export function heartbeatNextAt(m: ShareMembership, now: number): number {
  const urgent =
    m.state === ShareMemberState.ACKNOWLEDGING ||
    (m.state === ShareMemberState.JOINING && m.memberEpoch === 0);
  return Math.max(m.backoffUntil, urgent ? now : m.intervalAt);
}

/** @returns whether a heartbeat is due at `now` (none in flight). */
export function shareHeartbeatDue(m: ShareMembership, now: number): boolean {
  if (!shareHeartbeats(m) || m.inFlight.has('heartbeat')) return false;
  return now >= heartbeatNextAt(m, now);
}

function heartbeatRequest(
  m: ShareMembership,
  coordinator: BrokerNode,
  body: ShareGroupHeartbeatRequest,
): ShareGroupRequestOf<'ShareGroupHeartbeat'> {
  return m.request(API, VERSIONS, { kind: 'coordinator', node: coordinator }, body);
}

/** @returns the heartbeat that leaves the group (epoch -1, nothing else). */
export function leaveHeartbeat(
  m: ShareMembership,
  coordinator: BrokerNode,
): ShareGroupRequestOf<'ShareGroupHeartbeat'> {
  return heartbeatRequest(m, coordinator, {
    groupId: m.settings.groupId,
    memberId: m.memberId,
    memberEpoch: SHARE_LEAVE_GROUP_MEMBER_EPOCH,
    rackId: null,
    subscribedTopicNames: null,
  });
}

/** @returns the heartbeat body: every field when joining or after a failure, else only what changed. */
function heartbeatBody(m: ShareMembership): ShareGroupHeartbeatRequest {
  const full = m.state === ShareMemberState.JOINING;
  const { sent, settings } = m;
  const body: ShareGroupHeartbeatRequest = {
    groupId: settings.groupId,
    memberId: m.memberId,
    memberEpoch: m.memberEpoch,
    rackId: null,
    subscribedTopicNames: null,
  };
  if (settings.clientRack !== null && (full || sent.rackId !== settings.clientRack)) {
    body.rackId = settings.clientRack;
    sent.rackId = settings.clientRack;
  }
  const names = m.subscription ?? [];
  const key = names.join('\u0000');
  if (full || sent.topicNames !== key) {
    body.subscribedTopicNames = [...names];
    sent.topicNames = key;
  }
  return body;
}

/** @returns the heartbeat due now, recorded as in flight; an ACKNOWLEDGING member is done acknowledging. */
export function regularHeartbeat(
  m: ShareMembership,
  coordinator: BrokerNode,
  now: number,
): ShareGroupRequestOf<'ShareGroupHeartbeat'> {
  const r = heartbeatRequest(m, coordinator, heartbeatBody(m));
  m.inFlight.start('heartbeat', r.id, { sentAt: now });
  m.intervalAt = now + m.heartbeatIntervalMs;
  if (m.state === ShareMemberState.ACKNOWLEDGING) {
    // As in the consumer protocol, reconciling is done once the heartbeat that reports it is out.
    if (m.target === null || sameAssignment(m.target, assignmentOf(m.current))) {
      m.unresolved = [];
      m.transitionTo(ShareMemberState.STABLE);
    } else {
      m.transitionTo(ShareMemberState.RECONCILING);
      maybeReconcile(m);
    }
  }
  return r;
}

/** Takes the answer to a regular heartbeat sent at `sent.sentAt`. */
export function onShareHeartbeat(
  m: ShareMembership,
  result: ShareGroupHeartbeatResponse | Error,
  sent: ShareNotes['heartbeat'],
  now: number,
): void {
  if (!SHARE_HEARTBEATING.has(m.state)) return;
  if (result instanceof Error) {
    onFailure(m, result, now);
    return;
  }
  const code = result.errorCode;
  if (code === ErrorCode.NONE) {
    m.heartbeatBackoff.reset();
    m.backoffUntil = 0;
    if (result.heartbeatIntervalMs > 0) m.heartbeatIntervalMs = result.heartbeatIntervalMs;
    m.intervalAt = sent.sentAt + m.heartbeatIntervalMs;
    if (result.memberId) m.memberId = result.memberId;
    m.memberEpoch = result.memberEpoch;
    // A leaving member takes on no new partitions.
    if (result.assignment !== null && m.state !== ShareMemberState.PREPARE_LEAVING) {
      onTargetAssignment(m, assignmentFromResponse(result.assignment));
    }
    return;
  }
  m.sent = unsentShareFields();
  m.intervalAt = now;
  switch (code) {
    case ErrorCode.NOT_COORDINATOR:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      m.markCoordinatorUnknown(now);
      m.backoffUntil = now;
      return;
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
      m.backoffUntil = now + m.heartbeatBackoff.fail();
      return;
    case ErrorCode.FENCED_MEMBER_EPOCH:
    case ErrorCode.UNKNOWN_MEMBER_ID:
      m.events.error(new GroupBrokerError(API, code, result.errorMessage));
      m.fence(now);
      return;
    case ErrorCode.GROUP_MAX_SIZE_REACHED:
      m.fail(new GroupMaxSizeReachedError(m.settings.groupId));
      return;
    case ErrorCode.UNSUPPORTED_VERSION:
      m.fail(unsupported(m, result.errorMessage));
      return;
    case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
      // The member stays in the group (other topics may still be assigned); the user learns of it.
      m.backoffUntil = now + m.heartbeatBackoff.fail();
      m.events.error(new GroupBrokerError(API, code, result.errorMessage));
      return;
    default:
      if (kafkaErrorInfo(code).retriable) {
        m.backoffUntil = now + m.heartbeatBackoff.fail();
        m.events.error(new GroupBrokerError(API, code, result.errorMessage));
      } else {
        // GROUP_AUTHORIZATION_FAILED, INVALID_REQUEST, GROUP_ID_NOT_FOUND (a group of another type has
        // this id) and codes Java does not expect here: the member cannot go on.
        const detail = result.errorMessage ? `: ${result.errorMessage}` : '';
        m.fail(
          new GroupFatalError(
            `${API} for group ${m.settings.groupId} failed with ${kafkaErrorInfo(code).name}${detail}`,
            code,
          ),
        );
      }
      return;
  }
}

function onFailure(m: ShareMembership, error: Error, now: number): void {
  m.sent = unsentShareFields();
  m.intervalAt = now;
  if (error instanceof UnsupportedVersionError) {
    m.fail(unsupported(m, error.message, error));
    return;
  }
  m.markCoordinatorUnknown(now);
  m.backoffUntil = now + m.heartbeatBackoff.fail();
  m.events.error(error);
}

function unsupported(m: ShareMembership, message: string | null, cause?: Error): GroupFatalError {
  return new GroupFatalError(
    `the cluster does not support share groups for group ${m.settings.groupId} (they need Kafka 4.1 or later with share.version enabled)${message ? ` (${message})` : ''}`,
    ErrorCode.UNSUPPORTED_VERSION,
    { code: 'ERR_SHARE_GROUPS_UNSUPPORTED', cause },
  );
}
