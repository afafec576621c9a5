/**
 * The handlers of a classic member's liveness and coordinator answers: Heartbeat, OffsetCommit errors
 * reported by the consumer, and FindCoordinator. Errors about an older generation than the current
 * one are ignored, as the Java consumer ignores them.
 */
import { ErrorCode } from '@runnel/protocol';
import { FencedInstanceIdError, GroupBrokerError, GroupFatalError } from '../errors.js';
import type { FindCoordinatorResponse, HeartbeatResponse } from '../messages.js';
import type { GroupRequestOf } from '../requests.js';
import type { ClassicMembership, ClassicNotes } from './classic-membership.js';
import { MemberState } from './classic-states.js';

/** Takes the answer to a Heartbeat sent in the generation and at the time of `sent`. */
export function onHeartbeat(
  m: ClassicMembership,
  result: HeartbeatResponse | Error,
  sent: ClassicNotes['heartbeat'],
  now: number,
): void {
  if (result instanceof Error) {
    m.markCoordinatorUnknown(now);
    m.heartbeatNotBefore = now + m.heartbeatBackoff.fail();
    m.events.error(result);
    return;
  }
  const code = result.errorCode;
  if (code === ErrorCode.NONE) {
    m.heartbeatBackoff.reset();
    m.lastHeartbeatOkAt = now;
    m.lastHeartbeatAt = now;
    m.confirmSession(sent.sentAt, now);
    m.heartbeatNotBefore = sent.sentAt + m.timings.heartbeatIntervalMs;
    return;
  }
  if (m.handleCoordinatorError(code, now)) return;
  // An answer about an older generation says nothing about the current one (Java ignores it too).
  const current = sent.generationId === m.generationId;
  switch (code) {
    case ErrorCode.REBALANCE_IN_PROGRESS:
      // The coordinator keeps counting heartbeats as liveness during a rebalance.
      m.lastHeartbeatOkAt = now;
      m.lastHeartbeatAt = now;
      m.confirmSession(sent.sentAt, now);
      m.heartbeatNotBefore = sent.sentAt + m.timings.heartbeatIntervalMs;
      // Only news for a member that thinks it is done: while it is joining or syncing, the JoinGroup
      // or SyncGroup answer itself says whether another round is needed (Java ignores it there too).
      if (current && m.isIn(MemberState.STABLE, MemberState.RECONCILING)) {
        m.requestRejoin('group is rebalancing (heartbeat)', now);
      }
      return;
    case ErrorCode.UNKNOWN_MEMBER_ID:
    case ErrorCode.ILLEGAL_GENERATION:
      if (current && m.hasGeneration()) m.resetMembership(code, 'Heartbeat', now);
      return;
    case ErrorCode.FENCED_INSTANCE_ID:
      if (current) m.fail(new FencedInstanceIdError(m.config.groupInstanceId ?? '', 'Heartbeat'));
      return;
    case ErrorCode.GROUP_AUTHORIZATION_FAILED:
      m.fail(new GroupFatalError(`Heartbeat for group ${m.config.groupId} failed`, code));
      return;
    default:
      m.heartbeatNotBefore = now + m.heartbeatBackoff.fail();
      m.events.error(new GroupBrokerError('Heartbeat', code));
      return;
  }
}

/**
 * Applies an error code of an OffsetCommit sent with `generationId`: membership errors reset or
 * rejoin, FENCED_INSTANCE_ID is fatal, coordinator errors start a new lookup; an older generation's
 * errors are ignored.
 */
export function onOffsetCommitError(
  m: ClassicMembership,
  errorCode: number,
  generationId: number,
  now: number,
): void {
  if (m.handleCoordinatorError(errorCode, now)) return;
  if (generationId !== m.generationId || !m.inGroup()) return;
  switch (errorCode) {
    case ErrorCode.REBALANCE_IN_PROGRESS:
      m.requestRejoin('offset commit failed with REBALANCE_IN_PROGRESS', now);
      return;
    case ErrorCode.UNKNOWN_MEMBER_ID:
    case ErrorCode.ILLEGAL_GENERATION:
      m.resetMembership(errorCode, 'OffsetCommit', now);
      return;
    case ErrorCode.FENCED_INSTANCE_ID:
      m.fail(new FencedInstanceIdError(m.config.groupInstanceId ?? '', 'OffsetCommit'));
      return;
  }
}

/** Takes the answer to a FindCoordinator: a refusal is fatal, a found coordinator gets a full session. */
export function onFindCoordinator(
  m: ClassicMembership,
  request: GroupRequestOf<'FindCoordinator'>,
  result: FindCoordinatorResponse | Error,
  now: number,
): void {
  const outcome = m.onFindCoordinator(request, result, now);
  if (outcome.kind === 'denied') m.fail(outcome.fatal);
  else if (outcome.kind === 'found') m.coordinatorFound(now);
}
