/**
 * ConsumerGroupHeartbeat, the one request of the consumer protocol: when it is due, its body (every
 * field when joining or after a failure, else only what changed, as the Java consumer sends it), the
 * request with its version range, and the handlers of its answers with the error codes Kafka returns.
 */
import {
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  ErrorCode,
  kafkaErrorInfo,
  UnsupportedVersionError,
} from '@runnel/protocol';
import {
  FencedInstanceIdError,
  GroupBrokerError,
  GroupFatalError,
  GroupMaxSizeReachedError,
} from '../errors.js';
import type { BrokerNode, ConsumerProtocolRequest, ConsumerProtocolRequestOf } from '../requests.js';
import {
  assignmentFromResponse,
  assignmentOf,
  assignmentToRequest,
  sameAssignment,
} from './consumer-protocol-assignment.js';
import type { ConsumerProtocolMembership, ConsumerProtocolNotes } from './consumer-protocol-membership.js';
import { maybeReconcile, onTargetAssignment } from './consumer-protocol-reconciliation.js';
import { ConsumerProtocolMemberState, HEARTBEATING } from './consumer-protocol-states.js';
import { compileClientRegex } from './consumer-protocol-subscription.js';

/** The fields the last heartbeats sent, to send only what changed (null or -1: not sent yet). */
export interface SentFields {
  rebalanceTimeoutMs: number;
  topicNames: string | null;
  regex: string | null;
  serverAssignor: string | null;
  rackId: string | null;
  assignmentVersion: number | null;
}

/** @returns sent fields that make the next heartbeat carry every field. */
export function unsentFields(): SentFields {
  return {
    rebalanceTimeoutMs: -1,
    topicNames: null,
    regex: null,
    serverAssignor: null,
    rackId: null,
    assignmentVersion: null,
  };
}

/** @returns whether the member heartbeats at the interval now (not once fenced while preparing to leave). */
export function heartbeats(m: ConsumerProtocolMembership): boolean {
  return HEARTBEATING.has(m.state) && !m.leaveRequestSkipped;
}

/** @returns when the next heartbeat may go: at once when joining or acknowledging, else at the interval; never inside a backoff. */
export function heartbeatNextAt(m: ConsumerProtocolMembership, now: number): number {
  const urgent =
    m.state === ConsumerProtocolMemberState.ACKNOWLEDGING ||
    (m.state === ConsumerProtocolMemberState.JOINING && m.memberEpoch === 0);
  return Math.max(m.backoffUntil, urgent ? now : m.intervalAt);
}

/** @returns whether a heartbeat is due at `now` (none in flight). */
export function heartbeatDue(m: ConsumerProtocolMembership, now: number): boolean {
  if (!heartbeats(m) || m.inFlight.has('heartbeat')) return false;
  return now >= heartbeatNextAt(m, now);
}

/** @returns a heartbeat body that changes nothing but the epoch: every optional field null, or -1. */
export function unchangedBody(
  m: ConsumerProtocolMembership,
  memberEpoch: number,
): ConsumerGroupHeartbeatRequest {
  return {
    groupId: m.settings.groupId,
    memberId: m.memberId,
    memberEpoch,
    instanceId: m.settings.groupInstanceId,
    rackId: null,
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: null,
  };
}

/** @returns the heartbeat carrying `body`: v1 when it carries a regular expression, else v0 or v1. */
export function heartbeatRequest(
  m: ConsumerProtocolMembership,
  coordinator: BrokerNode,
  body: ConsumerGroupHeartbeatRequest,
): ConsumerProtocolRequestOf<'ConsumerGroupHeartbeat'> {
  const needsV1 = body.subscribedTopicRegex !== null && body.subscribedTopicRegex !== undefined;
  const v0: ConsumerGroupHeartbeatRequest = { ...body, subscribedTopicRegex: undefined };
  return m.request(
    'ConsumerGroupHeartbeat',
    [needsV1 ? 1 : 0, 1],
    { kind: 'coordinator', node: coordinator },
    body,
    {
      bodyAt: (version) => (version >= 1 ? body : v0),
    },
  );
}

/**
 * The heartbeat body: every field when joining or after a failure, and otherwise only the fields
 * that changed since the last heartbeat (the others null, or -1 for the rebalance timeout).
 */
function heartbeatBody(m: ConsumerProtocolMembership): ConsumerGroupHeartbeatRequest {
  const full = m.state === ConsumerProtocolMemberState.JOINING;
  const { sent, settings, serverAssignor } = m;
  const body = unchangedBody(m, m.memberEpoch);
  if (full || sent.rebalanceTimeoutMs !== settings.maxPollIntervalMs) {
    body.rebalanceTimeoutMs = settings.maxPollIntervalMs;
    sent.rebalanceTimeoutMs = settings.maxPollIntervalMs;
  }
  if (settings.clientRack !== null && (full || sent.rackId !== settings.clientRack)) {
    body.rackId = settings.clientRack;
    sent.rackId = settings.clientRack;
  }
  const names = m.subscription.topicNames();
  const namesKey = names.join('\u0000');
  if (full || sent.topicNames !== namesKey) {
    body.subscribedTopicNames = names;
    sent.topicNames = namesKey;
  }
  const regex = m.subscription.brokerRegex();
  if ((full && regex !== null) || (regex !== sent.regex && (regex !== null || sent.regex !== null))) {
    // An empty string tells the coordinator the member dropped its regular expression.
    body.subscribedTopicRegex = regex ?? '';
    sent.regex = regex;
  }
  if (serverAssignor !== null && (full || sent.serverAssignor !== serverAssignor)) {
    body.serverAssignor = serverAssignor;
    sent.serverAssignor = serverAssignor;
  }
  if (full || sent.assignmentVersion !== m.currentVersion) {
    body.topicPartitions = assignmentToRequest(assignmentOf(m.current));
    sent.assignmentVersion = m.currentVersion;
  }
  return body;
}

/** @returns the heartbeat due now, recorded as in flight; an ACKNOWLEDGING member is done acknowledging. */
export function regularHeartbeat(
  m: ConsumerProtocolMembership,
  coordinator: BrokerNode,
  now: number,
): ConsumerProtocolRequest {
  const r = heartbeatRequest(m, coordinator, heartbeatBody(m));
  m.inFlight.start('heartbeat', r.id, { sentAt: now });
  m.intervalAt = now + m.heartbeatIntervalMs;
  if (m.state === ConsumerProtocolMemberState.ACKNOWLEDGING) {
    // Like Java, the acknowledgement is done once the heartbeat carrying it is out; a failure resends
    // every field, the owned partitions among them.
    if (m.target === null || sameAssignment(m.target, assignmentOf(m.current))) {
      m.unresolved = [];
      m.transitionTo(ConsumerProtocolMemberState.STABLE);
    } else {
      m.transitionTo(ConsumerProtocolMemberState.RECONCILING);
      maybeReconcile(m);
    }
  }
  return r;
}

/** Takes the answer to a regular heartbeat sent at `sent.sentAt`. */
export function onHeartbeat(
  m: ConsumerProtocolMembership,
  request: ConsumerProtocolRequestOf<'ConsumerGroupHeartbeat'>,
  result: ConsumerGroupHeartbeatResponse | Error,
  sent: ConsumerProtocolNotes['heartbeat'],
  now: number,
): void {
  if (!HEARTBEATING.has(m.state)) return;
  if (result instanceof Error) {
    onHeartbeatFailure(m, request, result, now);
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
    // A leaving member does not take on new partitions.
    if (result.assignment !== null && m.state !== ConsumerProtocolMemberState.PREPARE_LEAVING) {
      onTargetAssignment(m, assignmentFromResponse(result.assignment));
    }
    return;
  }
  m.sent = unsentFields();
  m.intervalAt = now;
  const api = 'ConsumerGroupHeartbeat';
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
      m.events.error(new GroupBrokerError(api, code, result.errorMessage));
      m.fence(now);
      return;
    case ErrorCode.FENCED_INSTANCE_ID:
      m.fail(new FencedInstanceIdError(m.settings.groupInstanceId ?? '', api));
      return;
    case ErrorCode.GROUP_MAX_SIZE_REACHED:
      m.fail(new GroupMaxSizeReachedError(m.settings.groupId));
      return;
    case ErrorCode.UNSUPPORTED_VERSION:
      m.fail(unsupportedProtocol(m, result.errorMessage));
      return;
    case ErrorCode.GROUP_AUTHORIZATION_FAILED:
    case ErrorCode.INVALID_REQUEST:
    case ErrorCode.UNSUPPORTED_ASSIGNOR:
    case ErrorCode.UNRELEASED_INSTANCE_ID:
    case ErrorCode.INVALID_REGULAR_EXPRESSION:
      m.fail(fatalFromCode(m, code, result.errorMessage));
      return;
    case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
      // The member stays in the group (other topics may still be assigned); the user learns of it.
      m.backoffUntil = now + m.heartbeatBackoff.fail();
      m.events.error(new GroupBrokerError(api, code, result.errorMessage));
      return;
    default:
      if (kafkaErrorInfo(code).retriable) {
        m.backoffUntil = now + m.heartbeatBackoff.fail();
        m.events.error(new GroupBrokerError(api, code, result.errorMessage));
      } else {
        // Java treats an error it does not expect here as fatal: it may be a bug on either side.
        m.fail(fatalFromCode(m, code, result.errorMessage));
      }
      return;
  }
}

function onHeartbeatFailure(
  m: ConsumerProtocolMembership,
  request: ConsumerProtocolRequestOf<'ConsumerGroupHeartbeat'>,
  error: Error,
  now: number,
): void {
  m.sent = unsentFields();
  m.intervalAt = now;
  if (error instanceof UnsupportedVersionError) {
    const brokerHasApi = error.brokerVersions !== null;
    const sub = m.subscription.subscription;
    if (request.minVersion >= 1 && brokerHasApi && sub?.kind === 'pattern') {
      // The broker speaks only v0, which cannot carry a regular expression: match it here instead.
      try {
        compileClientRegex(sub.regex);
      } catch (cause) {
        m.fail(
          new GroupFatalError(
            `the broker cannot resolve regular expressions and ${JSON.stringify(sub.regex)} is not one this client can`,
            ErrorCode.INVALID_REGULAR_EXPRESSION,
            { cause },
          ),
        );
        return;
      }
      m.subscription.regexResolution = 'client';
      m.backoffUntil = now;
      m.events.error(error);
      return;
    }
    m.fail(unsupportedProtocol(m, error.message, error));
    return;
  }
  m.markCoordinatorUnknown(now);
  m.backoffUntil = now + m.heartbeatBackoff.fail();
  m.events.error(error);
}

function fatalFromCode(m: ConsumerProtocolMembership, code: number, message: string | null): GroupFatalError {
  const detail = message ? `: ${message}` : '';
  return new GroupFatalError(
    `ConsumerGroupHeartbeat for group ${m.settings.groupId} failed with ${kafkaErrorInfo(code).name}${detail}`,
    code,
  );
}

function unsupportedProtocol(
  m: ConsumerProtocolMembership,
  message: string | null,
  cause?: Error,
): GroupFatalError {
  return new GroupFatalError(
    `the cluster does not support the consumer group protocol for group ${m.settings.groupId}; use the classic protocol${message ? ` (${message})` : ''}`,
    ErrorCode.UNSUPPORTED_VERSION,
    { code: 'ERR_GROUP_PROTOCOL_UNSUPPORTED', cause },
  );
}
