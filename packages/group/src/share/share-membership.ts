/**
 * The share group member's state (KIP-932) on top of the shared core: member id and epoch, the
 * subscription, the target assignment and its reconciliation (the KIP-848 rules, which share groups
 * follow), the heartbeat timers, and the transitions between its states. The heartbeat handlers and
 * builders (`share-heartbeat.ts`) act on it; `ShareGroupMember` is the public face.
 *
 * Sub-state beside the state enum, and why: `reconciliation` is RECONCILING's own step (revoking or
 * assigning, with the event it waits for), as in the consumer protocol; `sent` records what the
 * heartbeats told the coordinator, so that unchanged fields are left out, as Java leaves them out.
 */
import { randomBytes } from 'node:crypto';
import type { ExponentialBackoff } from '@runnel/protocol';
import type {
  TopicIdAssignment,
  TopicIdPartition,
} from '../consumer-protocol/consumer-protocol-assignment.js';
import { acknowledged, type Reconciliation } from '../consumer-protocol/consumer-protocol-reconciliation.js';
import type { GroupMemberSettings } from '../core/member-config.js';
import { MemberCore } from '../core/member-core.js';
import type { WakeUp } from '../core/timers.js';
import type { BrokerNode, ShareGroupApis, ShareGroupRequest } from '../requests.js';
import {
  heartbeatNextAt,
  leaveHeartbeat,
  regularHeartbeat,
  type SentShareFields,
  shareHeartbeatDue,
  shareHeartbeats,
  unsentShareFields,
} from './share-heartbeat.js';
import { SHARE_HEARTBEATING, SHARE_IN_GROUP, SHARE_MEMBER_STATES, ShareMemberState } from './share-states.js';

/** What the member notes about each request it waits for. */
export interface ShareNotes {
  /** When the heartbeat went out: the interval runs from there. */
  readonly heartbeat: { readonly sentAt: number };
}

/** The settings of a share member beyond those every member has. */
export interface ShareSettings extends GroupMemberSettings {
  /** The member id to use; by default a random one, as Java's share consumer makes it. */
  readonly memberId?: string;
}

/** The share member's state; see the file comment. */
export class ShareMembership extends MemberCore<ShareMemberState, ShareGroupApis, ShareNotes> {
  readonly heartbeatBackoff: ExponentialBackoff;
  /** Topic names by id, from metadata; ids stay known once seen. */
  readonly topicNames = new Map<string, string>();

  memberId: string;
  memberEpoch = 0;
  /** The subscribed topic names, sorted; null when not subscribed. */
  subscription: readonly string[] | null = null;
  /** What the coordinator assigned and the consumer took on. */
  current: readonly TopicIdPartition[] = [];
  target: TopicIdAssignment | null = null;
  unresolved: string[] = [];
  reconciliation: Reconciliation | null = null;

  heartbeatIntervalMs = 0;
  intervalAt = 0;
  backoffUntil = 0;
  sent: SentShareFields = unsentShareFields();

  constructor(settings: ShareSettings) {
    super(SHARE_MEMBER_STATES, settings);
    this.memberId = settings.memberId ?? randomBytes(16).toString('base64url');
    this.heartbeatBackoff = settings.backoff();
  }

  /** Replaces what the member owns. */
  setCurrent(partitions: readonly TopicIdPartition[]): void {
    this.current = partitions;
  }

  // ---------------------------------------------------------------------------------------------
  // Transitions

  protected override settleProtocolState(now: number): void {
    if (this.state === ShareMemberState.FENCED) this.startJoining(now);
  }

  /** Enters JOINING with epoch 0 and nothing owned: the next heartbeat (at once) carries every field. */
  override startJoining(now: number): void {
    this.transitionTo(ShareMemberState.JOINING);
    this.dropAssignment();
    this.sent = unsentShareFields();
    this.inFlight.forget('heartbeat');
    this.intervalAt = now;
  }

  /** The coordinator dropped the member: what the consumer holds is lost, and it rejoins with epoch 0. */
  fence(now: number): void {
    if (this.state === ShareMemberState.PREPARE_LEAVING) {
      this.skipLeaveRequest();
      this.memberEpoch = 0;
      return;
    }
    if (!SHARE_IN_GROUP.includes(this.state)) return;
    this.dropAssignment();
    this.sent = unsentShareFields();
    this.backoffUntil = now;
    this.resetTo(ShareMemberState.FENCED);
    this.settle(now);
  }

  override finishLeaving(): void {
    this.enterInitial();
    this.dropAssignment();
    this.inFlight.forget('heartbeat');
    this.sent = unsentShareFields();
  }

  protected override onFatal(from: ShareMemberState): void {
    this.reconciliation = null;
    const lost = this.held;
    this.held = [];
    const { PREPARE_LEAVING, LEAVING } = ShareMemberState;
    if (lost.length > 0 && from !== PREPARE_LEAVING && from !== LEAVING) {
      this.events.raise('partitionsLost', lost);
    }
  }

  protected override onAcknowledged(eventId: number): void {
    acknowledged(this, eventId);
  }

  private dropAssignment(): void {
    this.memberEpoch = 0;
    this.target = null;
    this.unresolved = [];
    this.reconciliation = null;
    this.setCurrent([]);
  }

  // ---------------------------------------------------------------------------------------------
  // The driver loop

  protected override needsCoordinator(): boolean {
    return SHARE_HEARTBEATING.has(this.state);
  }

  /** A share member has no max poll interval: records time out on their own acquisition locks. */
  protected override checkTimers(_now: number): void {}

  protected override collectRequests(requests: ShareGroupRequest[], now: number): void {
    const coordinator = this.coordinatorLookup.node;
    if (coordinator === null || this.state === ShareMemberState.LEAVING) return;
    if (shareHeartbeatDue(this, now)) requests.push(regularHeartbeat(this, coordinator, now));
  }

  protected override considerDeadlines(wakeUp: WakeUp, now: number): void {
    if (this.coordinatorLookup.node === null) return;
    if (shareHeartbeats(this) && !this.inFlight.has('heartbeat')) wakeUp.consider(heartbeatNextAt(this, now));
  }

  protected override leaveRequest(coordinator: BrokerNode): ShareGroupRequest {
    this.inFlight.forget('heartbeat');
    return leaveHeartbeat(this, coordinator);
  }

  protected override unresolvedTopicIds(): readonly string[] {
    return this.unresolved;
  }
}
