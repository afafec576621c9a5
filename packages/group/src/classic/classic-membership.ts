/**
 * The classic member's state on top of the shared core: its membership (generation, member id,
 * leader, protocol), its timers, and the transitions between its states. The handlers of each API
 * (`classic-join.ts`, `classic-heartbeat.ts`) and the request builders (`classic-requests.ts`) act
 * on it; `ClassicGroupMember` is the public face.
 *
 * Sub-state beside the state enum, and why: `rejoinRequested` is orthogonal to JOINING..RECONCILING
 * (a rebalance asked for while a round is under way is owed once that round ends, whatever step it is
 * at); the awaited JoinGroup, Metadata, SyncGroup and Heartbeat are the core's in-flight registry,
 * because a heartbeat runs beside a join round and an answer may outlive the state that sent it. The
 * former `skipAssignment` flag is read where JoinGroup's answer is, and no longer kept.
 */
import type { MemberSubscription } from '@runnel/assignors';
import { ErrorCode, type ExponentialBackoff } from '@runnel/protocol';
import { MemberCore } from '../core/member-core.js';
import type { WakeUp } from '../core/timers.js';
import type { BrokerNode, GroupApis, GroupRequest } from '../requests.js';
import { difference } from '../topic-partitions.js';
import type { ClassicMemberSettings, ClassicTimings } from './classic-config.js';
import { PartitionCountWatch } from './classic-partition-watch.js';
import {
  groupTopics,
  heartbeatRequest,
  joinGroupRequest,
  leaveGroupRequest,
  metadataRequest,
  syncGroupRequest,
} from './classic-requests.js';
import {
  CLASSIC_MEMBER_STATES,
  HEARTBEATING,
  IN_GROUP,
  MemberState,
  NEEDS_COORDINATOR,
} from './classic-states.js';

/** What the classic member notes about each request it waits for. */
export interface ClassicNotes {
  readonly join: undefined;
  readonly metadata: undefined;
  readonly sync: undefined;
  /** The generation the heartbeat was sent in, and when: an answer about an older one is ignored. */
  readonly heartbeat: { readonly generationId: number; readonly sentAt: number };
}

/** The classic member's state; see the file comment. */
export class ClassicMembership extends MemberCore<MemberState, GroupApis, ClassicNotes> {
  readonly config: ClassicMemberSettings;
  readonly timings: ClassicTimings;
  readonly joinBackoff: ExponentialBackoff;
  readonly heartbeatBackoff: ExponentialBackoff;
  readonly metadataBackoff: ExponentialBackoff;

  subscription: string[] = [];
  generationId = -1;
  memberId = '';
  protocolName: string | null = null;
  leaderId = '';
  rejoinReason = '';
  rejoinRequested = false;
  joinNotBefore = 0;

  /** Leader only: the members of the JoinGroup response, decoded, waiting for metadata. */
  joinMembers: MemberSubscription[] = [];
  metadataNotBefore = 0;
  /** Leader only: each member's encoded assignment, for SyncGroup. */
  syncAssignments: Map<string, Uint8Array> | null = null;
  /** Leader only: the partition counts the assignment was made with, read again every metadata max age. */
  readonly partitionWatch: PartitionCountWatch;

  heartbeatNotBefore = 0;
  /** The last heartbeat answer, or a found coordinator (which gets a full session): see `checkTimers`. */
  lastHeartbeatOkAt = 0;
  /**
   * The earliest time the coordinator may have last heard from this member, by what it confirmed: the
   * send time of the last accepted heartbeat, or when the JoinGroup answer came. Its session on the
   * coordinator runs out no sooner than a session timeout after it; null before the first join.
   */
  sessionConfirmedAt: number | null = null;

  constructor(config: ClassicMemberSettings) {
    super(CLASSIC_MEMBER_STATES, config);
    this.config = config;
    this.timings = config.timings;
    this.joinBackoff = config.backoff();
    this.heartbeatBackoff = config.backoff();
    this.metadataBackoff = config.backoff();
    this.partitionWatch = new PartitionCountWatch(config.timings.metadataMaxAgeMs);
  }

  /** @returns whether the member has a generation and a member id from the coordinator. */
  hasGeneration(): boolean {
    return this.generationId >= 0 && this.memberId !== '';
  }

  /** @returns whether the member holds (or is getting) a membership it may be told it lost. */
  inGroup(): boolean {
    return IN_GROUP.includes(this.state) || this.state === MemberState.LOSING;
  }

  // ---------------------------------------------------------------------------------------------
  // Transitions

  protected override settleProtocolState(now: number): void {
    switch (this.state) {
      case MemberState.RECONCILING:
        if (this.rejoinRequested) {
          this.rejoinRequested = false;
          this.prepareRejoin(now);
        } else {
          this.transitionTo(MemberState.STABLE);
        }
        return;
      case MemberState.PREPARING_REJOIN:
      case MemberState.LOSING:
        this.startJoining(now);
        return;
    }
  }

  /** A static member never sends LeaveGroup (its partitions stay reserved for the session timeout). */
  protected override leaveRequestWanted(): boolean {
    return this.config.groupInstanceId === null && this.memberId !== '';
  }

  /** Enters JOINING; the JoinGroup goes out at the next poll (not before the join backoff ends). */
  override startJoining(now: number): void {
    this.transitionTo(MemberState.JOINING);
    // The JoinGroup itself keeps the membership alive from here on; a heartbeat answer still on its
    // way says nothing about the rejoin, and a partition-count check still on its way must not be
    // taken for the metadata of the next assignment.
    this.inFlight.forget('heartbeat', 'metadata');
    this.joinNotBefore = Math.max(this.joinNotBefore, now);
  }

  /**
   * Asks for a rebalance. From STABLE it starts at once; while a join is under way the member rejoins
   * once it completes; elsewhere it is ignored.
   */
  requestRejoin(reason: string, now: number): void {
    if (this.state === MemberState.STABLE) {
      this.rejoinReason = reason;
      this.prepareRejoin(now);
      return;
    }
    const { JOINING, ASSIGNING, SYNCING, RECONCILING } = MemberState;
    if (this.isIn(JOINING, ASSIGNING, SYNCING, RECONCILING)) {
      this.rejoinRequested = true;
      this.rejoinReason = reason;
    }
  }

  /** Enters PREPARING_REJOIN, revoking first what the rebalance protocol gives up (eager: everything). */
  prepareRejoin(now: number): void {
    this.transitionTo(MemberState.PREPARING_REJOIN);
    const subscribed = new Set(this.subscription);
    const revoked =
      this.config.rebalanceProtocol === 'EAGER'
        ? this.held
        : this.held.filter((tp) => !subscribed.has(tp.topic));
    if (revoked.length > 0) {
      this.held = difference(this.held, revoked);
      this.events.raise('partitionsRevoked', revoked);
    }
    this.settle(now);
  }

  /** Resets generation (and member id for UNKNOWN_MEMBER_ID) and drops the owned partitions as lost. */
  resetMembership(errorCode: number, api: string, now: number): void {
    const unknownMember = errorCode === ErrorCode.UNKNOWN_MEMBER_ID;
    this.forgetGeneration(unknownMember);
    // Answers to a SyncGroup or Metadata of the generation just dropped must not be taken for
    // answers about the next one.
    this.inFlight.forget('heartbeat', 'sync', 'metadata');
    this.rejoinRequested = false;
    this.rejoinReason = `${api} failed with ${unknownMember ? 'UNKNOWN_MEMBER_ID' : 'ILLEGAL_GENERATION'}`;
    if (this.state === MemberState.PREPARE_LEAVING) return;
    this.resetTo(MemberState.LOSING);
    this.settle(now);
  }

  override finishLeaving(): void {
    this.membershipInDoubt = false;
    this.sessionConfirmedAt = null;
    this.enterInitial();
    this.forgetGeneration(true);
    this.inFlight.forget('heartbeat', 'join', 'sync', 'metadata');
    this.rejoinRequested = false;
  }

  /** A coordinator was found: it has not seen a heartbeat from this member yet, so give it a full session. */
  coordinatorFound(now: number): void {
    this.lastHeartbeatOkAt = Math.max(this.lastHeartbeatOkAt, now);
    this.heartbeatNotBefore = Math.min(this.heartbeatNotBefore, now);
  }

  /**
   * The coordinator confirmed the membership as it stood at `at` (see `sessionConfirmedAt`); a doubt
   * ends unless even that confirmation leaves the session about to run out.
   */
  confirmSession(at: number, now: number): void {
    const confirmedAt = Math.max(this.sessionConfirmedAt ?? at, at);
    this.sessionConfirmedAt = confirmedAt;
    if (now < this.doubtAfter(confirmedAt)) this.membershipInDoubt = false;
  }

  /**
   * @returns when the membership falls in doubt (see `doubtAfter`). Java goes on delivering there; a
   *   member whose heartbeats hang (a frozen coordinator) would hand out records of partitions the
   *   coordinator may already have given to another member. Null while the member does not heartbeat
   *   (a JoinGroup in flight keeps it alive) or no session was confirmed yet.
   */
  protected override doubtDeadline(): number | null {
    if (this.sessionConfirmedAt === null || !HEARTBEATING.has(this.state) || !this.hasGeneration())
      return null;
    return this.doubtAfter(this.sessionConfirmedAt);
  }

  /**
   * @returns one heartbeat interval before a session confirmed at `confirmedAt` could run out on the
   *   coordinator: from then on nothing more is handed out from partitions it may give to others.
   */
  private doubtAfter(confirmedAt: number): number {
    return confirmedAt + this.timings.sessionTimeoutMs - this.timings.heartbeatIntervalMs;
  }

  private forgetGeneration(memberIdToo: boolean): void {
    this.generationId = -1;
    this.protocolName = null;
    this.leaderId = '';
    if (memberIdToo) this.memberId = '';
  }

  // ---------------------------------------------------------------------------------------------
  // The driver loop

  protected override needsCoordinator(): boolean {
    return NEEDS_COORDINATOR.has(this.state);
  }

  protected override checkTimers(now: number): void {
    if (!HEARTBEATING.has(this.state) || !this.hasGeneration()) return;
    if (this.state !== MemberState.PREPARE_LEAVING && this.pollInterval.expired(now)) {
      this.leaveAfterPollTimeout();
      return;
    }
    if (
      now - this.lastHeartbeatOkAt > this.timings.sessionTimeoutMs &&
      this.coordinatorLookup.node !== null
    ) {
      // Java does the same: no heartbeat answer for a whole session means the coordinator is gone or
      // unreachable; find it again, and the next heartbeat tells whether the membership survived.
      this.markCoordinatorUnknown(now);
    }
  }

  protected override collectRequests(requests: GroupRequest[], now: number): void {
    const coordinator = this.coordinatorLookup.node;
    if (this.joinDue(now) && coordinator) {
      const join = joinGroupRequest(this, coordinator);
      this.inFlight.start('join', join.id, undefined);
      this.rejoinRequested = false;
      requests.push(join);
    } else if (this.metadataDue(now) || this.partitionCheckDue(now)) {
      const assigning = this.state === MemberState.ASSIGNING;
      const metadata = metadataRequest(
        this,
        assigning ? groupTopics(this) : this.partitionWatch.topics,
        assigning,
      );
      this.inFlight.start('metadata', metadata.id, undefined);
      requests.push(metadata);
    } else if (this.state === MemberState.SYNCING && coordinator && !this.inFlight.has('sync')) {
      const sync = syncGroupRequest(this, coordinator);
      this.inFlight.start('sync', sync.id, undefined);
      requests.push(sync);
    }
    if (this.heartbeatDue(now) && coordinator) {
      const heartbeat = heartbeatRequest(this, coordinator);
      this.inFlight.start('heartbeat', heartbeat.id, { generationId: this.generationId, sentAt: now });
      requests.push(heartbeat);
    }
  }

  protected override considerDeadlines(wakeUp: WakeUp): void {
    const coordinator = this.coordinatorLookup.node;
    if (this.joinWaiting() && coordinator) wakeUp.consider(this.joinNotBefore);
    if (this.metadataWaiting()) wakeUp.consider(this.metadataNotBefore);
    if (this.partitionCheckWaiting()) wakeUp.consider(this.partitionWatch.dueAt);
    if (HEARTBEATING.has(this.state) && this.hasGeneration()) {
      if (coordinator && !this.inFlight.has('heartbeat')) wakeUp.consider(this.heartbeatNotBefore);
      if (coordinator) wakeUp.consider(this.lastHeartbeatOkAt + this.timings.sessionTimeoutMs + 1);
      if (this.state !== MemberState.PREPARE_LEAVING) wakeUp.consider(this.pollInterval.deadline);
    }
  }

  protected override leaveRequest(coordinator: BrokerNode): GroupRequest {
    return leaveGroupRequest(this, coordinator, 'the consumer is being closed');
  }

  /** @returns whether a JoinGroup waits to go (at `joinNotBefore`, once a coordinator is known). */
  private joinWaiting(): boolean {
    return (
      this.state === MemberState.JOINING && !this.inFlight.has('join') && !this.events.awaitingAcknowledgement
    );
  }

  private joinDue(now: number): boolean {
    return this.joinWaiting() && now >= this.joinNotBefore;
  }

  /** @returns whether the leader's Metadata request waits to go (at `metadataNotBefore`). */
  private metadataWaiting(): boolean {
    return this.state === MemberState.ASSIGNING && !this.inFlight.has('metadata');
  }

  private metadataDue(now: number): boolean {
    return this.metadataWaiting() && now >= this.metadataNotBefore;
  }

  /** @returns whether the leader's check of its topics' partition counts waits to go (STABLE only). */
  private partitionCheckWaiting(): boolean {
    return (
      this.state === MemberState.STABLE &&
      this.leaderId === this.memberId &&
      this.memberId !== '' &&
      !this.inFlight.has('metadata')
    );
  }

  private partitionCheckDue(now: number): boolean {
    return this.partitionCheckWaiting() && now >= this.partitionWatch.dueAt;
  }

  private heartbeatDue(now: number): boolean {
    return (
      HEARTBEATING.has(this.state) &&
      this.hasGeneration() &&
      !this.inFlight.has('heartbeat') &&
      now >= this.heartbeatNotBefore
    );
  }

  /** Leaves after the max poll interval: LeaveGroup (dynamic members only), partitions lost, STALE. */
  private leaveAfterPollTimeout(): void {
    const coordinator = this.coordinatorLookup.node;
    const leave =
      this.config.groupInstanceId === null && coordinator !== null
        ? leaveGroupRequest(this, coordinator, 'consumer poll timeout has expired')
        : null;
    this.forgetGeneration(true);
    this.inFlight.forget('heartbeat', 'sync', 'metadata');
    this.rejoinRequested = false;
    this.rejoinReason = 'consumer poll timeout has expired';
    this.stall(leave, [MemberState.STALE]);
  }
}
