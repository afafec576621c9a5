/**
 * The consumer-protocol (KIP-848) member's state on top of the shared core: member id and epoch, what
 * the coordinator knows it owns, the target assignment and its reconciliation, the heartbeat timers,
 * and the transitions between its states. The heartbeat handlers and builders
 * (`consumer-protocol-heartbeat.ts`) and the reconciliation (`consumer-protocol-reconciliation.ts`) act
 * on it; `ConsumerProtocolMember` is the public face.
 *
 * Sub-state beside the state enum, and why: `reconciliation` is RECONCILING's own step (revoking or
 * assigning, with the event it waits for); the subscription's `regexResolution` and the describe's
 * step are orthogonal to membership (each in its own module); the former `skipLeave` flag is the
 * core's leave step, and `leavePending`/`leaveInFlight`/`describePending` are gone into it and into
 * `DescribeState`.
 */
import { randomBytes } from 'node:crypto';
import type { ExponentialBackoff } from '@runnel/protocol';
import type { GroupMemberSettings } from '../core/member-config.js';
import { MemberCore } from '../core/member-core.js';
import type { WakeUp } from '../core/timers.js';
import type { BrokerNode, ConsumerProtocolApis, ConsumerProtocolRequest } from '../requests.js';
import type { TopicIdAssignment, TopicIdPartition } from './consumer-protocol-assignment.js';
import { consumerGroupDescribeRequest, DescribeState } from './consumer-protocol-describe.js';
import {
  heartbeatDue,
  heartbeatNextAt,
  heartbeatRequest,
  heartbeats,
  regularHeartbeat,
  type SentFields,
  unchangedBody,
  unsentFields,
} from './consumer-protocol-heartbeat.js';
import { acknowledged, type Reconciliation } from './consumer-protocol-reconciliation.js';
import {
  CONSUMER_PROTOCOL_MEMBER_STATES,
  ConsumerProtocolMemberState,
  HEARTBEATING,
  IN_GROUP,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
} from './consumer-protocol-states.js';
import { SubscriptionState } from './consumer-protocol-subscription.js';

/** What the member notes about each request it waits for. */
export interface ConsumerProtocolNotes {
  /** When the heartbeat went out: the interval runs from there. */
  readonly heartbeat: { readonly sentAt: number };
}

/** The settings of a consumer-protocol member beyond those every member has. */
export interface ConsumerProtocolSettings extends GroupMemberSettings {
  readonly serverAssignor: string | null;
  /** The member id to use; by default a random one, as the Java consumer makes it (KIP-1082). */
  readonly memberId?: string;
}

/** @returns a member id as the Java consumer makes one: 16 random bytes in Kafka's base64 form. */
function randomMemberId(): string {
  return randomBytes(16).toString('base64url');
}

/** The consumer-protocol member's state; see the file comment. */
export class ConsumerProtocolMembership extends MemberCore<
  ConsumerProtocolMemberState,
  ConsumerProtocolApis,
  ConsumerProtocolNotes
> {
  readonly serverAssignor: string | null;
  readonly heartbeatBackoff: ExponentialBackoff;
  readonly subscription = new SubscriptionState();
  readonly describe = new DescribeState();
  /** Topic names by id, from metadata; ids stay known once seen. */
  readonly topicNames = new Map<string, string>();

  memberId: string;
  memberEpoch = 0;
  /** What the coordinator knows the member owns (acknowledged or about to be). */
  current: readonly TopicIdPartition[] = [];
  /** Bumped whenever `current` changes, so the heartbeat knows when to send it again. */
  currentVersion = 0;
  target: TopicIdAssignment | null = null;
  unresolved: string[] = [];
  reconciliation: Reconciliation | null = null;

  heartbeatIntervalMs = 0;
  intervalAt = 0;
  backoffUntil = 0;
  sent: SentFields = unsentFields();

  constructor(settings: ConsumerProtocolSettings) {
    super(CONSUMER_PROTOCOL_MEMBER_STATES, settings);
    this.serverAssignor = settings.serverAssignor;
    this.memberId = settings.memberId ?? randomMemberId();
    this.heartbeatBackoff = settings.backoff();
  }

  /** @returns the epoch that leaves: -1, or -2 for a static member (which keeps its partitions reserved). */
  leaveEpoch(): number {
    return this.settings.groupInstanceId === null
      ? LEAVE_GROUP_MEMBER_EPOCH
      : LEAVE_GROUP_STATIC_MEMBER_EPOCH;
  }

  /** Replaces what the coordinator knows the member owns. */
  setCurrent(partitions: readonly TopicIdPartition[]): void {
    this.current = partitions;
    this.currentVersion++;
  }

  // ---------------------------------------------------------------------------------------------
  // Transitions

  protected override settleProtocolState(now: number): void {
    if (this.state === ConsumerProtocolMemberState.FENCED) this.startJoining(now);
  }

  /** Enters JOINING with epoch 0 and nothing owned: the next heartbeat (at once) carries every field. */
  override startJoining(now: number): void {
    this.transitionTo(ConsumerProtocolMemberState.JOINING);
    this.dropAssignment();
    this.sent = unsentFields();
    this.inFlight.forget('heartbeat');
    this.intervalAt = now;
  }

  /** The coordinator dropped the member: what the consumer holds is lost, and it rejoins with epoch 0. */
  fence(now: number): void {
    if (this.state === ConsumerProtocolMemberState.PREPARE_LEAVING) {
      this.skipLeaveRequest();
      this.memberEpoch = 0;
      return;
    }
    if (!IN_GROUP.includes(this.state)) return;
    this.dropAssignment();
    this.sent = unsentFields();
    this.backoffUntil = now;
    this.resetTo(ConsumerProtocolMemberState.FENCED);
    this.settle(now);
  }

  override finishLeaving(): void {
    this.enterInitial();
    this.dropAssignment();
    this.inFlight.forget('heartbeat');
    this.sent = unsentFields();
  }

  protected override onFatal(from: ConsumerProtocolMemberState): void {
    this.reconciliation = null;
    // Java runs onPartitionsLost on a fatal error, except when the member was leaving anyway.
    const lost = this.held;
    this.held = [];
    const { PREPARE_LEAVING, LEAVING } = ConsumerProtocolMemberState;
    if (lost.length > 0 && from !== PREPARE_LEAVING && from !== LEAVING) {
      this.events.raise('partitionsLost', lost);
    }
  }

  protected override onAcknowledged(eventId: number): void {
    acknowledged(this, eventId);
  }

  /** Forgets the epoch, the target and what the coordinator knows the member owns. */
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
    return HEARTBEATING.has(this.state) || this.describe.wanted;
  }

  /** Leaves after the max poll interval (epoch -1 even when static, so that its partitions move on at once). */
  protected override checkTimers(now: number): void {
    if (!IN_GROUP.includes(this.state) || !this.pollInterval.expired(now)) return;
    // Like Java, the member does not wait for the answer.
    const coordinator = this.coordinatorLookup.node;
    const leave =
      coordinator === null
        ? null
        : heartbeatRequest(this, coordinator, unchangedBody(this, LEAVE_GROUP_MEMBER_EPOCH));
    const { PREPARE_LEAVING, LEAVING, STALE } = ConsumerProtocolMemberState;
    this.stall(leave, [PREPARE_LEAVING, LEAVING, STALE]);
    this.dropAssignment();
    this.inFlight.forget('heartbeat');
    this.sent = unsentFields();
  }

  protected override collectRequests(requests: ConsumerProtocolRequest[], now: number): void {
    const coordinator = this.coordinatorLookup.node;
    if (coordinator === null) return;
    if (this.state !== ConsumerProtocolMemberState.LEAVING && heartbeatDue(this, now)) {
      requests.push(regularHeartbeat(this, coordinator, now));
    }
    if (this.describe.wanted) {
      const { groupId, requestTimeoutMs } = this.settings;
      const target = { kind: 'coordinator', node: coordinator } as const;
      const describe = consumerGroupDescribeRequest(this.nextRequestId(), groupId, target, requestTimeoutMs);
      this.describe.sent(describe.id);
      requests.push(describe);
    }
  }

  protected override considerDeadlines(wakeUp: WakeUp, now: number): void {
    if (this.coordinatorLookup.node !== null) {
      if (heartbeats(this) && !this.inFlight.has('heartbeat')) wakeUp.consider(heartbeatNextAt(this, now));
      if (this.describe.wanted) wakeUp.consider(now);
    }
    if (IN_GROUP.includes(this.state)) wakeUp.consider(this.pollInterval.deadline);
  }

  protected override leaveRequest(coordinator: BrokerNode): ConsumerProtocolRequest {
    this.inFlight.forget('heartbeat');
    return heartbeatRequest(this, coordinator, unchangedBody(this, this.leaveEpoch()));
  }

  protected override unresolvedTopicIds(): readonly string[] {
    return this.unresolved;
  }

  protected override topicListWanted(): boolean {
    return this.subscription.topicListWanted;
  }
}
