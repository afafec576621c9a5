/**
 * The consumer-protocol (KIP-848) member's state on top of what it shares with the share group member
 * (`AbstractMembership`: member id and epoch, the target assignment and its reconciliation, the
 * heartbeat timers, fencing and leaving): the server assignor, the subscription, the describe, what the
 * coordinator knows the member owns (versioned, to send it again only when it changed), the max poll
 * interval, and static membership. The heartbeat's body (`consumer-protocol-heartbeat.ts`) reads it;
 * `ConsumerProtocolMember` is the public face.
 *
 * Sub-state beside the state enum, and why: `reconciliation` (in the base) is RECONCILING's own step;
 * the subscription's `regexResolution` and the describe's step are orthogonal to membership (each in
 * its own module); the former `skipLeave` flag is the core's leave step, and
 * `leavePending`/`leaveInFlight`/`describePending` are gone into it and into `DescribeState`.
 */

import type { GroupMemberSettings } from '../core/member-config.js';
import type { WakeUp } from '../core/timers.js';
import type { GroupFatalError } from '../errors.js';
import type { BrokerNode, ConsumerProtocolApis, ConsumerProtocolRequest } from '../requests.js';
import { AbstractMembership, type HeartbeatNotes } from './abstract-membership.js';
import type { TopicIdPartition } from './consumer-protocol-assignment.js';
import { consumerGroupDescribeRequest, DescribeState } from './consumer-protocol-describe.js';
import {
  consumerProtocolHeartbeat,
  heartbeatRequest,
  type SentFields,
  unchangedBody,
  unsentFields,
  unsupportedProtocol,
} from './consumer-protocol-heartbeat.js';
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
export type ConsumerProtocolNotes = HeartbeatNotes;

/** The settings of a consumer-protocol member beyond those every member has. */
export interface ConsumerProtocolSettings extends GroupMemberSettings {
  readonly serverAssignor: string | null;
  /** The member id to use; by default a random one, as the Java consumer makes it (KIP-1082). */
  readonly memberId?: string;
}

/** The consumer-protocol member's state; see the file comment. */
export class ConsumerProtocolMembership extends AbstractMembership<
  ConsumerProtocolMemberState,
  ConsumerProtocolApis,
  ConsumerProtocolNotes
> {
  protected readonly heartbeatApi = 'ConsumerGroupHeartbeat';
  readonly serverAssignor: string | null;
  readonly subscription = new SubscriptionState();
  readonly describe = new DescribeState();
  /** Bumped whenever `current` changes, so the heartbeat knows when to send it again. */
  currentVersion = 0;
  sent: SentFields = unsentFields();

  constructor(settings: ConsumerProtocolSettings) {
    super(
      { states: CONSUMER_PROTOCOL_MEMBER_STATES, inGroup: IN_GROUP, heartbeating: HEARTBEATING },
      settings,
    );
    this.serverAssignor = settings.serverAssignor;
  }

  /** @returns the epoch that leaves: -1, or -2 for a static member (which keeps its partitions reserved). */
  leaveEpoch(): number {
    return this.settings.groupInstanceId === null
      ? LEAVE_GROUP_MEMBER_EPOCH
      : LEAVE_GROUP_STATIC_MEMBER_EPOCH;
  }

  /** Replaces what the coordinator knows the member owns. */
  override setCurrent(partitions: readonly TopicIdPartition[]): void {
    this.current = partitions;
    this.currentVersion++;
  }

  resetSentFields(): void {
    this.sent = unsentFields();
  }

  protected clearSubscription(): void {
    this.subscription.subscription = null;
  }

  protected nextHeartbeat(coordinator: BrokerNode): ConsumerProtocolRequest {
    return consumerProtocolHeartbeat(this, coordinator);
  }

  protected unsupported(message: string | null, cause?: Error): GroupFatalError {
    return unsupportedProtocol(this.settings.groupId, message, cause);
  }

  // ---------------------------------------------------------------------------------------------
  // The driver loop

  /**
   * A member that matches its regular expression here (the broker has only ConsumerGroupHeartbeat v0)
   * and matches no topic does not join yet: before Kafka 4.0 the coordinator refuses a first heartbeat
   * without subscribed topic names (INVALID_REQUEST, which would be fatal). A topic list bringing a
   * match lets it join; a member already in the group heartbeats with an empty list as any other.
   */
  override heartbeats(): boolean {
    if (!super.heartbeats()) return false;
    const joining = this.state === ConsumerProtocolMemberState.JOINING && this.memberEpoch === 0;
    return !(joining && this.subscription.matchesNothingHere());
  }

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
    this.resetSentFields();
  }

  protected override collectRequests(requests: ConsumerProtocolRequest[], now: number): void {
    super.collectRequests(requests, now);
    const coordinator = this.coordinatorLookup.node;
    if (coordinator !== null && this.describe.wanted) {
      const { groupId, requestTimeoutMs } = this.settings;
      const target = { kind: 'coordinator', node: coordinator } as const;
      const describe = consumerGroupDescribeRequest(this.nextRequestId(), groupId, target, requestTimeoutMs);
      this.describe.sent(describe.id);
      requests.push(describe);
    }
  }

  protected override considerDeadlines(wakeUp: WakeUp, now: number): void {
    super.considerDeadlines(wakeUp, now);
    if (this.coordinatorLookup.node !== null && this.describe.wanted) wakeUp.consider(now);
    if (IN_GROUP.includes(this.state)) wakeUp.consider(this.pollInterval.deadline);
  }

  protected override leaveRequest(coordinator: BrokerNode): ConsumerProtocolRequest {
    this.inFlight.forget('heartbeat');
    return heartbeatRequest(this, coordinator, unchangedBody(this, this.leaveEpoch()));
  }

  protected override topicListWanted(): boolean {
    return this.subscription.topicListWanted;
  }
}
