/**
 * The scripted coordinator for a ShareGroupMember: the shared fake clock and request bookkeeping of
 * `ScriptedCoordinator`, plus ShareGroupHeartbeat responses and shortcuts.
 */
import type { ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse } from '@runnel/protocol';
import type { ShareGroupApis, ShareGroupRequest } from '../requests.js';
import { ShareGroupMember, type ShareGroupMemberConfig } from '../share/share-member.js';
import type { TopicIdAndName } from '../topic-partitions.js';
import { heartbeatError, heartbeatOk, PAYMENTS, REFUNDS, type Target } from './consumer-protocol-harness.js';
import { findCoordinatorOk, MEMBER_CONFIG, ScriptedCoordinator } from './scripted-coordinator.js';

export * from './consumer-protocol-harness.js';
export const SHARE_MEMBER_ID = 'share-member-0000000000';
export const SHARE_INTERVAL_MS = 5_000;

/** A ShareGroupHeartbeat answer: the same fields as ConsumerGroupHeartbeat's, with this member's id. */
export function shareHeartbeatOk(
  memberEpoch: number,
  assignment: Target | null = null,
  heartbeatIntervalMs = SHARE_INTERVAL_MS,
): ShareGroupHeartbeatResponse {
  return { ...heartbeatOk(memberEpoch, assignment, heartbeatIntervalMs), memberId: SHARE_MEMBER_ID };
}

/** A ShareGroupHeartbeat answer with `errorCode`. */
export function shareHeartbeatError(
  errorCode: number,
  errorMessage: string | null = null,
): ShareGroupHeartbeatResponse {
  return heartbeatError(errorCode, errorMessage);
}

export class ShareHarness extends ScriptedCoordinator<ShareGroupApis, ShareGroupMember> {
  constructor(config: Partial<ShareGroupMemberConfig> = {}, topics: TopicIdAndName[] = [PAYMENTS, REFUNDS]) {
    super(new ShareGroupMember({ ...MEMBER_CONFIG, memberId: SHARE_MEMBER_ID, ...config }));
    if (topics.length > 0) this.member.onMetadata(topics);
  }

  /** Moves the clock forward and polls. */
  advance(ms: number): ShareGroupRequest[] {
    this.now += ms;
    return this.poll();
  }

  /** The body of the oldest outstanding heartbeat, without answering it. */
  peekHeartbeat(): ShareGroupHeartbeatRequest {
    const r = this.outstanding.find((x) => x.api === 'ShareGroupHeartbeat');
    if (!r) throw new Error('no outstanding heartbeat');
    return r.body as ShareGroupHeartbeatRequest;
  }

  /** Subscribes and answers FindCoordinator: a joining heartbeat is outstanding afterwards. */
  startJoining(topics: string[] = ['payments']): void {
    this.member.subscribe(topics, this.now);
    this.poll();
    this.respond('FindCoordinator', findCoordinatorOk());
  }

  /** Joins, receives `target`, acknowledges the events and answers the reporting heartbeat: STABLE. */
  join(target: Target, epoch = 1, topics: string[] = ['payments']): void {
    this.startJoining(topics);
    this.respond('ShareGroupHeartbeat', shareHeartbeatOk(epoch, target));
    this.ackAll();
    if (this.outstanding.some((r) => r.api === 'ShareGroupHeartbeat')) {
      this.respond('ShareGroupHeartbeat', shareHeartbeatOk(epoch));
    }
  }
}
