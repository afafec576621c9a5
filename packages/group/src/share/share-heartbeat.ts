/**
 * ShareGroupHeartbeat, the one request of a share group member: its body (the subscription and rack
 * when joining, then only what changed, as Java's share consumer sends it), and the handling of its
 * answers, which are the KIP-848 heartbeat's rules (`AbstractMembership`) without the codes only the
 * consumer protocol has (static members, server assignors, regular expressions).
 */
import {
  ErrorCode,
  type ShareGroupHeartbeatRequest,
  type ShareGroupHeartbeatResponse,
} from '@runnel/protocol';
import { GroupFatalError } from '../errors.js';
import type { BrokerNode, ShareGroupRequestOf } from '../requests.js';
import type { ShareMembership } from './share-membership.js';
import { SHARE_LEAVE_GROUP_MEMBER_EPOCH, ShareMemberState } from './share-states.js';

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

/** @returns the heartbeat to send now: every field when joining or after a failure, else only what changed. */
export function shareHeartbeat(
  m: ShareMembership,
  coordinator: BrokerNode,
): ShareGroupRequestOf<'ShareGroupHeartbeat'> {
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
  return heartbeatRequest(m, coordinator, body);
}

/** Takes the answer to a regular heartbeat sent at `sentAt`. */
export function onShareHeartbeat(
  m: ShareMembership,
  result: ShareGroupHeartbeatResponse | Error,
  sentAt: number,
  now: number,
): void {
  if (!m.heartbeating.has(m.state)) return;
  if (result instanceof Error) m.onHeartbeatFailed(result, now);
  else if (result.errorCode === ErrorCode.NONE) m.onHeartbeatAccepted(result, sentAt, now);
  else m.onHeartbeatError(result.errorCode, result.errorMessage, now);
}

/** @returns the fatal error of a cluster without share groups. */
export function unsupportedShareGroups(
  groupId: string,
  message: string | null,
  cause?: Error,
): GroupFatalError {
  return new GroupFatalError(
    `the cluster does not support share groups for group ${groupId} (they need Kafka 4.1 or later with share.version enabled)${message ? ` (${message})` : ''}`,
    ErrorCode.UNSUPPORTED_VERSION,
    { code: 'ERR_SHARE_GROUPS_UNSUPPORTED', cause },
  );
}
