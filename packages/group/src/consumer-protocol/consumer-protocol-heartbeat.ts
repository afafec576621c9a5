/**
 * ConsumerGroupHeartbeat, the one request of the consumer protocol: its body (every field when joining
 * or after a failure, else only what changed, as the Java consumer sends it), the request with its
 * version range, and the answers only this protocol has (static members, regular expressions on a v0
 * broker); when it is due and the error codes both broker-assigned protocols share are in
 * `abstract-membership.ts`.
 */
import {
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  ErrorCode,
  UnsupportedVersionError,
} from '@runnel/protocol';
import { FencedInstanceIdError, GroupFatalError } from '../errors.js';
import type { BrokerNode, ConsumerProtocolRequestOf } from '../requests.js';
import { assignmentOf, assignmentToRequest } from './consumer-protocol-assignment.js';
import type { ConsumerProtocolMembership } from './consumer-protocol-membership.js';
import { ConsumerProtocolMemberState } from './consumer-protocol-states.js';
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

/** @returns the heartbeat to send now: every field when joining or after a failure, else only what changed. */
export function consumerProtocolHeartbeat(
  m: ConsumerProtocolMembership,
  coordinator: BrokerNode,
): ConsumerProtocolRequestOf<'ConsumerGroupHeartbeat'> {
  return heartbeatRequest(m, coordinator, heartbeatBody(m));
}

/** Takes the answer to a regular heartbeat sent at `sentAt`. */
export function onHeartbeat(
  m: ConsumerProtocolMembership,
  request: ConsumerProtocolRequestOf<'ConsumerGroupHeartbeat'>,
  result: ConsumerGroupHeartbeatResponse | Error,
  sentAt: number,
  now: number,
): void {
  if (!m.heartbeating.has(m.state)) return;
  if (result instanceof Error) {
    onHeartbeatFailure(m, request, result, now);
    return;
  }
  const code = result.errorCode;
  if (code === ErrorCode.NONE) m.onHeartbeatAccepted(result, sentAt, now);
  else if (code === ErrorCode.FENCED_INSTANCE_ID)
    m.fail(new FencedInstanceIdError(m.settings.groupInstanceId ?? '', 'ConsumerGroupHeartbeat'));
  else m.onHeartbeatError(code, result.errorMessage, now);
}

function onHeartbeatFailure(
  m: ConsumerProtocolMembership,
  request: ConsumerProtocolRequestOf<'ConsumerGroupHeartbeat'>,
  error: Error,
  now: number,
): void {
  const sub = m.subscription.subscription;
  const brokerHasApi = error instanceof UnsupportedVersionError && error.brokerVersions !== null;
  if (!(request.minVersion >= 1 && brokerHasApi && sub?.kind === 'pattern')) {
    m.onHeartbeatFailed(error, now);
    return;
  }
  // The broker speaks only v0, which cannot carry a regular expression: match it here instead.
  m.resetSentFields();
  m.intervalAt = now;
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
}

/** @returns the fatal error of a cluster without the consumer group protocol. */
export function unsupportedProtocol(groupId: string, message: string | null, cause?: Error): GroupFatalError {
  return new GroupFatalError(
    `the cluster does not support the consumer group protocol for group ${groupId}; use the classic protocol${message ? ` (${message})` : ''}`,
    ErrorCode.UNSUPPORTED_VERSION,
    { code: 'ERR_GROUP_PROTOCOL_UNSUPPORTED', cause },
  );
}
