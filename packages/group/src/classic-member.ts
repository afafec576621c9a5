/**
 * One member of a consumer group under the classic protocol (JoinGroup / SyncGroup / Heartbeat /
 * LeaveGroup), as a sans-I/O state machine: it owns no socket and no timer. The driver calls
 * `poll(now)`, sends the requests it returns, hands each response (or the error that stopped it) to
 * `onResponse`, shows the events to the consumer, calls `acknowledge` when the consumer finished handling
 * one, and calls `poll` again after any input or at `nextPollAt` at the latest.
 *
 * Every state and every transition of the member is in this file: `VALID_PREVIOUS_STATES` lists, for
 * each state, the states it may be entered from, and `transitionTo` throws on anything else.
 */
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type GroupAssignment,
  type MemberAssignment,
  type MemberSubscription,
  type PartitionAssignor,
  type RebalanceProtocol,
  type TopicMetadata,
  type TopicPartition,
} from '@runnel/assignors';
import { ErrorCode } from '@runnel/protocol';
import type { ExponentialBackoff } from './backoff.js';
import { CoordinatorLookup, isCoordinatorMoved } from './coordinator-lookup.js';
import {
  FencedInstanceIdError,
  GroupBrokerError,
  GroupConfigError,
  GroupFatalError,
  GroupMaxSizeReachedError,
  IllegalTransitionError,
} from './errors.js';
import type { GroupEvent, GroupGeneration } from './events.js';
import { type GroupMemberConfig, positiveInt, readGroupMemberConfig } from './member-config.js';
import { MemberEvents } from './member-events.js';
import type {
  FindCoordinatorResponse,
  HeartbeatResponse,
  JoinGroupResponse,
  LeaveGroupResponse,
  MetadataResponse,
  SyncGroupResponse,
} from './messages.js';
import {
  type BrokerNode,
  type GroupApiName,
  type GroupApis,
  type GroupRequest,
  type GroupRequestOf,
  type GroupResponseFor,
  memberRequest,
} from './requests.js';
import { difference, sortPartitions } from './topic-partitions.js';

/**
 * The states of a classic group member.
 * - `UNJOINED`: not in the group (initial, and after leaving); `subscribe` starts joining.
 * - `JOINING`: sending JoinGroup (again after MEMBER_ID_REQUIRED or a retriable error) and waiting for it.
 * - `ASSIGNING`: elected leader; fetching metadata of every member's topics and running the assignor.
 * - `SYNCING`: sending SyncGroup and waiting for this member's assignment.
 * - `RECONCILING`: assignment received; waiting for the consumer to acknowledge the revoked/assigned events.
 * - `STABLE`: in the group with an acknowledged assignment; heartbeating.
 * - `PREPARING_REJOIN`: a rebalance is needed; waiting for the consumer to finish revoking (eager: all
 *   partitions; cooperative: only those of topics no longer subscribed) before JoinGroup.
 * - `LOSING`: membership was reset (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION); waiting for the consumer to
 *   acknowledge the lost partitions before rejoining.
 * - `STALE`: the consumer did not poll within the max poll interval, so the member left the group on its
 *   own; it rejoins on the next `recordPoll` once the lost partitions are acknowledged.
 * - `PREPARE_LEAVING`: leaving was asked for; waiting for the consumer to finish revoking.
 * - `LEAVING`: LeaveGroup sent, waiting for its answer.
 * - `FATAL`: the member cannot continue (fenced static member, group full, authorization, protocol).
 */
export const MemberState = {
  UNJOINED: 'UNJOINED',
  JOINING: 'JOINING',
  ASSIGNING: 'ASSIGNING',
  SYNCING: 'SYNCING',
  RECONCILING: 'RECONCILING',
  STABLE: 'STABLE',
  PREPARING_REJOIN: 'PREPARING_REJOIN',
  LOSING: 'LOSING',
  STALE: 'STALE',
  PREPARE_LEAVING: 'PREPARE_LEAVING',
  LEAVING: 'LEAVING',
  FATAL: 'FATAL',
} as const;

/** One of {@link MemberState}. */
export type MemberState = (typeof MemberState)[keyof typeof MemberState];

const S = MemberState;

/** States in which the member holds (or is getting) a membership and may be told it lost it. */
const IN_GROUP: readonly MemberState[] = [
  S.JOINING,
  S.ASSIGNING,
  S.SYNCING,
  S.RECONCILING,
  S.STABLE,
  S.PREPARING_REJOIN,
];

/**
 * The transition table: for each state, the states it may be entered from. Staying in a state (JOINING
 * after MEMBER_ID_REQUIRED, for instance) is not a transition.
 */
export const VALID_PREVIOUS_STATES: { readonly [K in MemberState]: readonly MemberState[] } = {
  UNJOINED: [S.PREPARE_LEAVING, S.LEAVING],
  JOINING: [S.UNJOINED, S.ASSIGNING, S.SYNCING, S.PREPARING_REJOIN, S.LOSING, S.STALE],
  ASSIGNING: [S.JOINING],
  SYNCING: [S.JOINING, S.ASSIGNING],
  RECONCILING: [S.SYNCING],
  STABLE: [S.RECONCILING],
  PREPARING_REJOIN: [S.RECONCILING, S.STABLE],
  LOSING: IN_GROUP,
  STALE: [S.ASSIGNING, S.SYNCING, S.RECONCILING, S.STABLE, S.PREPARING_REJOIN],
  PREPARE_LEAVING: [...IN_GROUP, S.LOSING, S.STALE],
  LEAVING: [S.PREPARE_LEAVING],
  FATAL: [...IN_GROUP, S.LOSING, S.STALE, S.PREPARE_LEAVING],
};

/** States that heartbeat while the member has a generation. */
const HEARTBEATING: ReadonlySet<MemberState> = new Set([
  S.ASSIGNING,
  S.SYNCING,
  S.RECONCILING,
  S.STABLE,
  S.PREPARING_REJOIN,
  S.PREPARE_LEAVING,
]);

/** States that need to know the coordinator. */
const NEEDS_COORDINATOR: ReadonlySet<MemberState> = new Set([...IN_GROUP, S.LOSING, S.PREPARE_LEAVING]);

/** Java's lapse added to the rebalance timeout for the JoinGroup request timeout. */
const JOIN_GROUP_TIMEOUT_LAPSE_MS = 5000;

/**
 * Configuration of a classic group member: the settings both members share (`client.rack` travels in
 * the subscription) and those of the classic protocol; names follow the Java consumer's settings.
 */
export interface ClassicGroupMemberConfig extends GroupMemberConfig {
  /** `partition.assignment.strategy`: the assignors, most preferred first; at least one. */
  readonly assignors: readonly PartitionAssignor[];
  /** `session.timeout.ms` (default 45000). */
  readonly sessionTimeoutMs?: number;
  /** `heartbeat.interval.ms` (default 3000); must be below the session timeout. */
  readonly heartbeatIntervalMs?: number;
  /** The rebalance timeout sent in JoinGroup (default: the max poll interval, as Java does). */
  readonly rebalanceTimeoutMs?: number;
}

/** What `poll` returns: the requests to send now, the events for the consumer, and when to poll next. */
export interface PollResult {
  readonly requests: GroupRequest[];
  readonly events: GroupEvent[];
  /** The time (same clock as `now`) by which `poll` must be called again; `Infinity` when only input can change anything. */
  readonly nextPollAt: number;
}

/**
 * The rebalance protocol a set of assignors runs: the most capable one all of them support
 * (COOPERATIVE over EAGER), as the Java consumer chooses it.
 * @returns 'COOPERATIVE' or 'EAGER'.
 * @throws GroupConfigError when there are no assignors or they support no common protocol.
 */
export function selectRebalanceProtocol(assignors: readonly PartitionAssignor[]): RebalanceProtocol {
  if (assignors.length === 0) throw new GroupConfigError('at least one partition assignor is required');
  const all = (p: RebalanceProtocol) => assignors.every((a) => a.supportedProtocols.includes(p));
  if (all('COOPERATIVE')) return 'COOPERATIVE';
  if (all('EAGER')) return 'EAGER';
  throw new GroupConfigError(
    `assignors ${assignors.map((a) => a.name).join(', ')} support no common rebalance protocol`,
  );
}

interface Timings {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxPollIntervalMs: number;
  rebalanceTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * The classic-protocol group member. See the file comment for how a driver runs it, and
 * `VALID_PREVIOUS_STATES` for its transitions.
 */
export class ClassicGroupMember {
  readonly groupId: string;
  readonly groupInstanceId: string | null;
  /** The rebalance protocol the configured assignors agree on. */
  readonly rebalanceProtocol: RebalanceProtocol;

  private readonly assignors: readonly PartitionAssignor[];
  private readonly clientRack: string | null;
  private readonly timings: Timings;
  private readonly coordinatorLookup: CoordinatorLookup;
  private readonly joinBackoff: ExponentialBackoff;
  private readonly heartbeatBackoff: ExponentialBackoff;
  private readonly metadataBackoff: ExponentialBackoff;

  private currentState: MemberState = S.UNJOINED;
  private subscription: string[] = [];
  private owned: TopicPartition[] = [];
  private generationId = -1;
  private memberId = '';
  private protocolName: string | null = null;
  private leaderId = '';
  private fatal: GroupFatalError | null = null;

  private nextRequestId = 1;
  private joinInFlight: number | null = null;
  private joinNotBefore = 0;
  private rejoinReason = '';
  private rejoinRequested = false;

  /** Leader only: the members of the JoinGroup response, decoded, waiting for metadata. */
  private joinMembers: MemberSubscription[] = [];
  private skipAssignment = false;
  private metadataInFlight: number | null = null;
  private metadataNotBefore = 0;
  private syncAssignments: Map<string, Uint8Array> | null = null;
  private syncInFlight: number | null = null;

  private heartbeatInFlight: { id: number; generationId: number; sentAt: number } | null = null;
  private heartbeatNotBefore = 0;
  private lastHeartbeatOkAt = 0;

  private lastPollAt = 0;
  private polledSinceStale = false;

  private leaveInFlight: number | null = null;
  private leavePending = false;
  /** A LeaveGroup sent without waiting for its answer (the member left after a poll timeout). */
  private outbox: GroupRequest[] = [];

  private readonly events = new MemberEvents();

  /**
   * @throws GroupConfigError on an empty group id, no assignors, assignors without a common rebalance
   * protocol, duplicate assignor names, or timeouts that are not positive or a heartbeat interval not
   * below the session timeout.
   */
  constructor(config: ClassicGroupMemberConfig) {
    const settings = readGroupMemberConfig(config);
    this.groupId = settings.groupId;
    this.groupInstanceId = settings.groupInstanceId;
    this.clientRack = settings.clientRack;
    this.rebalanceProtocol = selectRebalanceProtocol(config.assignors);
    const names = new Set(config.assignors.map((a) => a.name));
    if (names.size !== config.assignors.length) throw new GroupConfigError('assignor names must be unique');
    this.assignors = config.assignors;
    const sessionTimeoutMs = positiveInt('session.timeout.ms', config.sessionTimeoutMs, 45_000);
    const heartbeatIntervalMs = positiveInt('heartbeat.interval.ms', config.heartbeatIntervalMs, 3_000);
    if (heartbeatIntervalMs >= sessionTimeoutMs) {
      throw new GroupConfigError('heartbeat.interval.ms must be lower than session.timeout.ms');
    }
    const { maxPollIntervalMs, requestTimeoutMs } = settings;
    this.timings = {
      sessionTimeoutMs,
      heartbeatIntervalMs,
      maxPollIntervalMs,
      rebalanceTimeoutMs: positiveInt('rebalance timeout', config.rebalanceTimeoutMs, maxPollIntervalMs),
      requestTimeoutMs,
    };
    this.coordinatorLookup = new CoordinatorLookup(
      this.groupId,
      settings.backoff(),
      requestTimeoutMs,
      () => this.nextRequestId++,
      this.events,
    );
    this.joinBackoff = settings.backoff();
    this.heartbeatBackoff = settings.backoff();
    this.metadataBackoff = settings.backoff();
  }

  // ---------------------------------------------------------------------------------------------
  // What the consumer reads

  /** @returns the current state. */
  get state(): MemberState {
    return this.currentState;
  }

  /** @returns the coordinator the member talks to, or null while it is unknown. */
  get coordinator(): BrokerNode | null {
    return this.coordinatorLookup.node;
  }

  /** @returns the partitions the member owns now (sorted), as it would report them in JoinGroup. */
  get ownedPartitions(): TopicPartition[] {
    return sortPartitions(this.owned);
  }

  /** @returns whether the coordinator elected this member leader in the current generation. */
  get isLeader(): boolean {
    return this.memberId !== '' && this.leaderId === this.memberId;
  }

  /** @returns the error that put the member in FATAL, or null. */
  get fatalError(): GroupFatalError | null {
    return this.fatal;
  }

  /** @returns the current generation, member id and protocol, for OffsetCommit and for logs. */
  generation(): GroupGeneration {
    return {
      groupId: this.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      protocolName: this.protocolName,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs from the consumer

  /**
   * Subscribes to `topics`. From UNJOINED this starts joining; in the group a changed subscription
   * triggers a rebalance (under cooperative rebalancing, partitions of dropped topics are revoked first).
   * Also counts as a poll of the user code.
   * @throws IllegalTransitionError while leaving, left for good, or fatal.
   */
  subscribe(topics: readonly string[], now: number): void {
    const next = [...new Set(topics)].sort();
    if (
      this.currentState === S.FATAL ||
      this.currentState === S.PREPARE_LEAVING ||
      this.currentState === S.LEAVING
    ) {
      throw new IllegalTransitionError(
        this.currentState,
        S.JOINING,
        `cannot subscribe while ${this.currentState}`,
      );
    }
    const changed = next.join('\u0000') !== this.subscription.join('\u0000');
    this.subscription = next;
    this.lastPollAt = now;
    if (this.currentState === S.UNJOINED) {
      this.rejoinReason = '';
      this.transitionTo(S.JOINING);
      return;
    }
    if (changed) this.requestRejoin('subscription changed', now);
  }

  /**
   * Asks for a rebalance (e.g. the leader saw the partition count of a subscribed topic change). Ignored
   * when the member is not in the group; while a join is under way, the member rejoins once it completes.
   */
  requestRejoin(reason: string, now: number): void {
    if (this.currentState === S.STABLE) {
      this.rejoinReason = reason;
      this.prepareRejoin(now);
      return;
    }
    if (
      this.currentState === S.JOINING ||
      this.currentState === S.ASSIGNING ||
      this.currentState === S.SYNCING ||
      this.currentState === S.RECONCILING
    ) {
      this.rejoinRequested = true;
      this.rejoinReason = reason;
    }
  }

  /**
   * Records that the user code polled, which restarts the max-poll-interval timer; a STALE member
   * rejoins on it.
   */
  recordPoll(now: number): void {
    this.lastPollAt = now;
    if (this.currentState === S.STALE) {
      this.polledSinceStale = true;
      this.settle(now);
    }
  }

  /**
   * Tells the member the consumer finished handling an event (callbacks ran, revoked offsets committed).
   * Unknown or already acknowledged ids are ignored, so a late acknowledgement after a reset is harmless.
   */
  acknowledge(eventId: number, now: number): void {
    if (!this.events.acknowledge(eventId)) return;
    this.settle(now);
  }

  /**
   * Leaves the group: revokes the owned partitions (an event to acknowledge), then sends LeaveGroup,
   * except for a static member (its partitions stay reserved for the session timeout, as in Java) or
   * when no coordinator is known. Ends in UNJOINED; `subscribe` may join again. Does nothing when not in
   * the group, already leaving, or fatal.
   */
  leaveGroup(now: number): void {
    const s = this.currentState;
    if (s === S.UNJOINED || s === S.PREPARE_LEAVING || s === S.LEAVING || s === S.FATAL) return;
    const partitions = this.owned;
    this.owned = [];
    this.transitionTo(S.PREPARE_LEAVING);
    if (partitions.length > 0) {
      const orderly = this.hasGeneration() && s !== S.STALE && s !== S.LOSING;
      this.events.raise(orderly ? 'partitionsRevoked' : 'partitionsLost', partitions);
    }
    this.settle(now);
  }

  /**
   * Reports an error code from an OffsetCommit sent with `generationId`, so that membership errors take
   * effect: UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION reset the membership (partitions lost),
   * REBALANCE_IN_PROGRESS triggers a rejoin, FENCED_INSTANCE_ID is fatal, coordinator errors start a new
   * coordinator lookup. Errors from an older generation are ignored.
   */
  onOffsetCommitError(errorCode: number, generationId: number, now: number): void {
    if (this.handleCoordinatorError(errorCode, now)) return;
    if (generationId !== this.generationId || !this.inGroup()) return;
    switch (errorCode) {
      case ErrorCode.REBALANCE_IN_PROGRESS:
        this.requestRejoin('offset commit failed with REBALANCE_IN_PROGRESS', now);
        return;
      case ErrorCode.UNKNOWN_MEMBER_ID:
      case ErrorCode.ILLEGAL_GENERATION:
        this.resetMembership(errorCode, 'OffsetCommit', now);
        return;
      case ErrorCode.FENCED_INSTANCE_ID:
        this.fail(new FencedInstanceIdError(this.groupInstanceId ?? '', 'OffsetCommit'));
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The driver loop

  /**
   * Advances timers to `now` and collects what the driver must do.
   * @returns the requests to send now (each one at most once), the events raised since the last poll,
   * and the time by which to poll again.
   * @throws IllegalTransitionError only on a bug in the state machine.
   */
  poll(now: number): PollResult {
    this.checkTimers(now);
    const requests: GroupRequest[] = this.outbox;
    this.outbox = [];
    const s = this.currentState;
    const find = this.coordinatorLookup.poll(NEEDS_COORDINATOR.has(s), now);
    if (find !== null) requests.push(find);
    const coordinator = this.coordinatorLookup.node;
    if (
      s === S.JOINING &&
      coordinator &&
      this.joinInFlight === null &&
      now >= this.joinNotBefore &&
      !this.events.awaitingAcknowledgement
    ) {
      requests.push(this.joinGroupRequest(coordinator));
    } else if (s === S.ASSIGNING && this.metadataInFlight === null && now >= this.metadataNotBefore) {
      requests.push(this.metadataRequest());
    } else if (s === S.SYNCING && coordinator && this.syncInFlight === null) {
      requests.push(this.syncGroupRequest(coordinator));
    } else if (s === S.LEAVING && this.leavePending) {
      this.leavePending = false;
      if (coordinator) {
        const leave = this.leaveGroupRequest(coordinator, 'the consumer is being closed');
        this.leaveInFlight = leave.id;
        requests.push(leave);
      } else {
        this.finishLeaving();
      }
    }
    if (this.heartbeatDue(now) && coordinator) {
      requests.push(this.heartbeatRequest(coordinator, now));
    }
    const events = this.events.take();
    return { requests, events, nextPollAt: this.nextPollAt(now) };
  }

  /**
   * Hands the member the answer to one of its requests: the decoded response, or an Error when the
   * request failed (connection error, timeout, unsupported version). A response to a request the member
   * no longer waits for is ignored.
   * @throws IllegalTransitionError only on a bug in the state machine.
   */
  onResponse<R extends GroupRequest>(request: R, result: GroupResponseFor<R> | Error, now: number): void {
    switch (request.api) {
      case 'FindCoordinator':
        this.onFindCoordinator(request, result as FindCoordinatorResponse | Error, now);
        return;
      case 'JoinGroup':
        if (request.id !== this.joinInFlight) return;
        this.joinInFlight = null;
        this.onJoinGroup(result as JoinGroupResponse | Error, now);
        return;
      case 'Metadata':
        if (request.id !== this.metadataInFlight) return;
        this.metadataInFlight = null;
        this.onMetadata(result as MetadataResponse | Error, now);
        return;
      case 'SyncGroup':
        if (request.id !== this.syncInFlight) return;
        this.syncInFlight = null;
        this.onSyncGroup(result as SyncGroupResponse | Error, now);
        return;
      case 'Heartbeat': {
        const hb = this.heartbeatInFlight;
        if (hb === null || request.id !== hb.id) return;
        this.heartbeatInFlight = null;
        this.onHeartbeat(result as HeartbeatResponse | Error, hb.generationId, hb.sentAt, now);
        return;
      }
      case 'LeaveGroup':
        if (request.id !== this.leaveInFlight) return;
        this.leaveInFlight = null;
        this.onLeaveGroup(result as LeaveGroupResponse | Error);
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Transitions

  private transitionTo(next: MemberState): void {
    const from = this.currentState;
    if (!VALID_PREVIOUS_STATES[next].includes(from)) throw new IllegalTransitionError(from, next);
    this.currentState = next;
  }

  /** Moves on from states that only wait for acknowledgements (or a poll) once nothing is pending. */
  private settle(now: number): void {
    if (this.events.awaitingAcknowledgement) return;
    switch (this.currentState) {
      case S.RECONCILING:
        if (this.rejoinRequested) {
          this.rejoinRequested = false;
          this.prepareRejoin(now);
        } else {
          this.transitionTo(S.STABLE);
        }
        return;
      case S.PREPARING_REJOIN:
      case S.LOSING:
        this.startJoining(now);
        return;
      case S.STALE:
        if (this.polledSinceStale) this.startJoining(now);
        return;
      case S.PREPARE_LEAVING:
        if (this.groupInstanceId === null && this.memberId !== '' && this.coordinatorLookup.node !== null) {
          this.transitionTo(S.LEAVING);
          this.leavePending = true;
        } else {
          this.finishLeaving();
        }
        return;
    }
  }

  private startJoining(now: number): void {
    this.transitionTo(S.JOINING);
    // The JoinGroup itself keeps the membership alive from here on; a heartbeat answer still on its
    // way says nothing about the rejoin.
    this.heartbeatInFlight = null;
    this.joinNotBefore = Math.max(this.joinNotBefore, now);
  }

  private prepareRejoin(now: number): void {
    this.transitionTo(S.PREPARING_REJOIN);
    let revoked: TopicPartition[];
    if (this.rebalanceProtocol === 'EAGER') {
      revoked = this.owned;
    } else {
      const subscribed = new Set(this.subscription);
      revoked = this.owned.filter((tp) => !subscribed.has(tp.topic));
    }
    if (revoked.length > 0) {
      this.owned = difference(this.owned, revoked);
      this.events.raise('partitionsRevoked', revoked);
    }
    this.settle(now);
  }

  /** Resets generation (and member id for UNKNOWN_MEMBER_ID) and drops the owned partitions as lost. */
  private resetMembership(errorCode: number, api: string, now: number): void {
    this.generationId = -1;
    this.protocolName = null;
    this.leaderId = '';
    if (errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
    this.heartbeatInFlight = null;
    // Answers to a SyncGroup or Metadata of the generation just dropped must not be taken for
    // answers about the next one.
    this.syncInFlight = null;
    this.metadataInFlight = null;
    this.rejoinRequested = false;
    this.rejoinReason = `${api} failed with ${errorCode === ErrorCode.UNKNOWN_MEMBER_ID ? 'UNKNOWN_MEMBER_ID' : 'ILLEGAL_GENERATION'}`;
    if (this.currentState === S.PREPARE_LEAVING) return;
    const lost = this.owned;
    this.owned = [];
    this.transitionTo(S.LOSING);
    if (lost.length > 0) this.events.raise('partitionsLost', lost);
    this.settle(now);
  }

  private fail(error: GroupFatalError): void {
    if (this.currentState === S.FATAL || this.currentState === S.UNJOINED || this.currentState === S.LEAVING)
      return;
    this.transitionTo(S.FATAL);
    this.fatal = error;
    this.events.forgetAcknowledgements();
    this.heartbeatInFlight = null;
    this.outbox = [];
    this.events.fatal(error);
  }

  private finishLeaving(): void {
    this.transitionTo(S.UNJOINED);
    this.generationId = -1;
    this.memberId = '';
    this.protocolName = null;
    this.leaderId = '';
    this.heartbeatInFlight = null;
    this.joinInFlight = null;
    this.syncInFlight = null;
    this.metadataInFlight = null;
    this.rejoinRequested = false;
  }

  // ---------------------------------------------------------------------------------------------
  // Timers

  private hasGeneration(): boolean {
    return this.generationId >= 0 && this.memberId !== '';
  }

  private inGroup(): boolean {
    return IN_GROUP.includes(this.currentState) || this.currentState === S.LOSING;
  }

  private heartbeatDue(now: number): boolean {
    return (
      HEARTBEATING.has(this.currentState) &&
      this.hasGeneration() &&
      this.heartbeatInFlight === null &&
      now >= this.heartbeatNotBefore
    );
  }

  private checkTimers(now: number): void {
    const s = this.currentState;
    if (!HEARTBEATING.has(s) || !this.hasGeneration()) return;
    if (s !== S.PREPARE_LEAVING && now - this.lastPollAt > this.timings.maxPollIntervalMs) {
      this.leaveAfterPollTimeout(now);
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

  private leaveAfterPollTimeout(now: number): void {
    const coordinator = this.coordinatorLookup.node;
    if (this.groupInstanceId === null && coordinator !== null) {
      this.outbox.push(this.leaveGroupRequest(coordinator, 'consumer poll timeout has expired'));
    }
    const lost = this.owned;
    this.owned = [];
    this.generationId = -1;
    this.memberId = '';
    this.protocolName = null;
    this.leaderId = '';
    this.heartbeatInFlight = null;
    this.syncInFlight = null;
    this.metadataInFlight = null;
    this.rejoinRequested = false;
    this.polledSinceStale = false;
    this.rejoinReason = 'consumer poll timeout has expired';
    this.transitionTo(S.STALE);
    if (lost.length > 0) this.events.raise('partitionsLost', lost);
    this.settle(now);
  }

  private nextPollAt(now: number): number {
    let at = Number.POSITIVE_INFINITY;
    const consider = (t: number) => {
      at = Math.min(at, Math.max(t, now));
    };
    const s = this.currentState;
    consider(this.coordinatorLookup.nextLookupAt(NEEDS_COORDINATOR.has(s)));
    const coordinator = this.coordinatorLookup.node;
    if (
      s === S.JOINING &&
      coordinator &&
      this.joinInFlight === null &&
      !this.events.awaitingAcknowledgement
    ) {
      consider(this.joinNotBefore);
    }
    if (s === S.ASSIGNING && this.metadataInFlight === null) consider(this.metadataNotBefore);
    if (HEARTBEATING.has(s) && this.hasGeneration()) {
      if (coordinator && this.heartbeatInFlight === null) consider(this.heartbeatNotBefore);
      if (coordinator) consider(this.lastHeartbeatOkAt + this.timings.sessionTimeoutMs + 1);
      if (s !== S.PREPARE_LEAVING) consider(this.lastPollAt + this.timings.maxPollIntervalMs + 1);
    }
    return at;
  }

  // ---------------------------------------------------------------------------------------------
  // Coordinator

  private markCoordinatorUnknown(now: number): void {
    // An answer from the old coordinator says nothing about the membership any more.
    if (this.coordinatorLookup.markUnknown(now)) this.heartbeatInFlight = null;
  }

  /** Applies the coordinator errors every coordinator API shares. @returns whether `code` was one. */
  private handleCoordinatorError(code: number, now: number): boolean {
    if (!isCoordinatorMoved(code)) return false;
    this.markCoordinatorUnknown(now);
    return true;
  }

  private onFindCoordinator(
    request: GroupRequestOf<'FindCoordinator'>,
    result: FindCoordinatorResponse | Error,
    now: number,
  ): void {
    const outcome = this.coordinatorLookup.onResponse(request, result, now);
    if (outcome.kind === 'denied') this.fail(outcome.fatal);
    else if (outcome.kind === 'found') {
      // A new coordinator has not seen a heartbeat from this member yet; give it a full session.
      this.lastHeartbeatOkAt = Math.max(this.lastHeartbeatOkAt, now);
      this.heartbeatNotBefore = Math.min(this.heartbeatNotBefore, now);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // JoinGroup

  private onJoinGroup(result: JoinGroupResponse | Error, now: number): void {
    if (this.currentState !== S.JOINING) return;
    if (result instanceof Error) {
      this.markCoordinatorUnknown(now);
      this.joinNotBefore = now + this.joinBackoff.fail();
      this.events.error(result);
      return;
    }
    const code = result.errorCode;
    switch (code) {
      case ErrorCode.NONE:
        this.joinBackoff.reset();
        this.onJoined(result, now);
        return;
      case ErrorCode.MEMBER_ID_REQUIRED:
        // KIP-394: the coordinator hands out the id first and only counts the member once it rejoins
        // with it, so that a client crashing in a join loop leaves no ghost members.
        this.memberId = result.memberId;
        this.rejoinReason = 'need to re-join with the given member-id';
        this.joinNotBefore = now;
        return;
      case ErrorCode.UNKNOWN_MEMBER_ID:
      case ErrorCode.ILLEGAL_GENERATION:
        this.resetMembership(code, 'JoinGroup', now);
        return;
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
        this.markCoordinatorUnknown(now);
        return;
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
      case ErrorCode.REBALANCE_IN_PROGRESS:
        this.joinNotBefore = now + this.joinBackoff.fail();
        return;
      case ErrorCode.FENCED_INSTANCE_ID:
        this.fail(new FencedInstanceIdError(this.groupInstanceId ?? '', 'JoinGroup'));
        return;
      case ErrorCode.GROUP_MAX_SIZE_REACHED:
        this.fail(new GroupMaxSizeReachedError(this.groupId));
        return;
      case ErrorCode.INCONSISTENT_GROUP_PROTOCOL:
      case ErrorCode.INVALID_SESSION_TIMEOUT:
      case ErrorCode.INVALID_GROUP_ID:
      case ErrorCode.GROUP_AUTHORIZATION_FAILED:
      case ErrorCode.UNSUPPORTED_VERSION:
      case ErrorCode.UNRELEASED_INSTANCE_ID:
        this.fail(new GroupFatalError(`JoinGroup for group ${this.groupId} failed`, code));
        return;
      default:
        this.joinNotBefore = now + this.joinBackoff.fail();
        this.events.error(new GroupBrokerError('JoinGroup', code));
        return;
    }
  }

  private onJoined(result: JoinGroupResponse, now: number): void {
    const assignor = this.assignors.find((a) => a.name === result.protocolName);
    if (
      assignor === undefined ||
      (result.protocolType !== undefined &&
        result.protocolType !== null &&
        result.protocolType !== CONSUMER_PROTOCOL_TYPE)
    ) {
      this.fail(
        new GroupFatalError(
          `JoinGroup chose protocol ${result.protocolType ?? CONSUMER_PROTOCOL_TYPE}/${result.protocolName}, which this member did not offer`,
          ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
        ),
      );
      return;
    }
    this.generationId = result.generationId;
    this.memberId = result.memberId;
    this.leaderId = result.leader;
    this.protocolName = assignor.name;
    this.skipAssignment = result.skipAssignment ?? false;
    this.lastHeartbeatOkAt = now;
    this.heartbeatNotBefore = now + this.timings.heartbeatIntervalMs;
    this.heartbeatBackoff.reset();
    this.syncAssignments = null;
    if (this.isLeader && !this.skipAssignment) {
      try {
        this.joinMembers = result.members.map((m) =>
          decodeSubscription(m.memberId, m.groupInstanceId ?? null, m.metadata),
        );
      } catch (error) {
        // A member whose metadata cannot be read breaks the assignment for everyone; like Java, fail
        // this round and rejoin (the coordinator drops members that cannot keep up).
        this.events.error(asError(error));
        this.joinNotBefore = now + this.joinBackoff.fail();
        return;
      }
      this.metadataNotBefore = now;
      this.transitionTo(S.ASSIGNING);
      return;
    }
    this.transitionTo(S.SYNCING);
  }

  // ---------------------------------------------------------------------------------------------
  // Leader: metadata and assignment

  private onMetadata(result: MetadataResponse | Error, now: number): void {
    if (this.currentState !== S.ASSIGNING) return;
    if (result instanceof Error) {
      this.metadataNotBefore = now + this.metadataBackoff.fail();
      this.events.error(result);
      return;
    }
    this.metadataBackoff.reset();
    const racks = new Map<number, string | null>(result.brokers.map((b) => [b.nodeId, b.rack ?? null]));
    const topics: TopicMetadata[] = [];
    for (const t of result.topics) {
      if (t.errorCode !== ErrorCode.NONE || t.name === null) continue;
      const partitions = [...t.partitions]
        .sort((a, b) => a.partitionIndex - b.partitionIndex)
        .map((p) => ({
          partition: p.partitionIndex,
          replicaRacks: p.replicaNodes.map((n) => racks.get(n) ?? null),
        }));
      topics.push({ topic: t.name, partitions });
    }
    const assignor = this.assignors.find((a) => a.name === this.protocolName);
    let assignment: GroupAssignment;
    try {
      if (!assignor) throw new GroupConfigError(`no assignor named ${this.protocolName}`);
      assignment = assignor.assign({ members: this.joinMembers, topics });
    } catch (error) {
      this.events.error(asError(error));
      this.joinNotBefore = now + this.joinBackoff.fail();
      this.transitionTo(S.JOINING);
      return;
    }
    const encoded = new Map<string, Uint8Array>();
    for (const m of this.joinMembers) {
      encoded.set(m.memberId, encodeAssignment(assignment.get(m.memberId) ?? { partitions: [] }));
    }
    this.syncAssignments = encoded;
    this.joinMembers = [];
    this.transitionTo(S.SYNCING);
  }

  // ---------------------------------------------------------------------------------------------
  // SyncGroup

  private onSyncGroup(result: SyncGroupResponse | Error, now: number): void {
    if (this.currentState !== S.SYNCING) return;
    if (result instanceof Error) {
      this.markCoordinatorUnknown(now);
      this.events.error(result);
      this.rejoinAfterFailedSync(now, true);
      return;
    }
    const code = result.errorCode;
    switch (code) {
      case ErrorCode.NONE:
        this.onSynced(result, now);
        return;
      case ErrorCode.REBALANCE_IN_PROGRESS:
        this.rejoinReason = 'SyncGroup failed with REBALANCE_IN_PROGRESS';
        this.rejoinAfterFailedSync(now, false);
        return;
      case ErrorCode.UNKNOWN_MEMBER_ID:
      case ErrorCode.ILLEGAL_GENERATION:
        this.resetMembership(code, 'SyncGroup', now);
        return;
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
        this.markCoordinatorUnknown(now);
        this.rejoinAfterFailedSync(now, false);
        return;
      case ErrorCode.FENCED_INSTANCE_ID:
        this.fail(new FencedInstanceIdError(this.groupInstanceId ?? '', 'SyncGroup'));
        return;
      case ErrorCode.GROUP_AUTHORIZATION_FAILED:
      case ErrorCode.INCONSISTENT_GROUP_PROTOCOL:
      case ErrorCode.UNSUPPORTED_VERSION:
        this.fail(new GroupFatalError(`SyncGroup for group ${this.groupId} failed`, code));
        return;
      default:
        this.events.error(new GroupBrokerError('SyncGroup', code));
        this.rejoinAfterFailedSync(now, true);
        return;
    }
  }

  private rejoinAfterFailedSync(now: number, backoff: boolean): void {
    this.joinNotBefore = backoff ? now + this.joinBackoff.fail() : now;
    this.heartbeatInFlight = null;
    this.transitionTo(S.JOINING);
  }

  private onSynced(result: SyncGroupResponse, now: number): void {
    if (
      (result.protocolName != null && result.protocolName !== this.protocolName) ||
      (result.protocolType != null && result.protocolType !== CONSUMER_PROTOCOL_TYPE)
    ) {
      this.fail(
        new GroupFatalError(
          `SyncGroup returned protocol ${result.protocolType}/${result.protocolName}, JoinGroup chose ${this.protocolName}`,
          ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
        ),
      );
      return;
    }
    let assignment: MemberAssignment;
    try {
      assignment = decodeAssignment(result.assignment);
    } catch (error) {
      this.fail(
        new GroupFatalError('the assignment from SyncGroup cannot be decoded', null, { cause: error }),
      );
      return;
    }
    const partitions = sortPartitions(assignment.partitions);
    const revoked = difference(this.owned, partitions);
    const added = difference(partitions, this.owned);
    this.owned = partitions;
    this.transitionTo(S.RECONCILING);
    const assignor = this.assignors.find((a) => a.name === this.protocolName);
    try {
      assignor?.onAssignment?.(
        { partitions, userData: assignment.userData },
        { memberId: this.memberId, generationId: this.generationId },
      );
    } catch (error) {
      this.events.error(asError(error));
    }
    if (revoked.length > 0) {
      this.events.raise('partitionsRevoked', revoked);
      // KIP-429: partitions the leader took away are free for their new owner only after this member
      // revoked them and told the group so, which takes a second rebalance.
      if (this.rebalanceProtocol === 'COOPERATIVE')
        this.requestRejoinAfterReconcile('need to revoke partitions and re-join');
    }
    const subscribed = new Set(this.subscription);
    if (partitions.some((tp) => !subscribed.has(tp.topic))) {
      this.requestRejoinAfterReconcile('the assignment holds topics this member does not subscribe to');
    }
    this.events.raiseAssigned({
      partitions: added,
      assignment: partitions,
      generationId: this.generationId,
      memberId: this.memberId,
    });
    this.settle(now);
  }

  private requestRejoinAfterReconcile(reason: string): void {
    this.rejoinRequested = true;
    this.rejoinReason = reason;
  }

  // ---------------------------------------------------------------------------------------------
  // Heartbeat

  private onHeartbeat(
    result: HeartbeatResponse | Error,
    generationAtSend: number,
    sentAt: number,
    now: number,
  ): void {
    if (result instanceof Error) {
      this.markCoordinatorUnknown(now);
      this.heartbeatNotBefore = now + this.heartbeatBackoff.fail();
      this.events.error(result);
      return;
    }
    const code = result.errorCode;
    if (code === ErrorCode.NONE) {
      this.heartbeatBackoff.reset();
      this.lastHeartbeatOkAt = now;
      this.heartbeatNotBefore = sentAt + this.timings.heartbeatIntervalMs;
      return;
    }
    if (this.handleCoordinatorError(code, now)) return;
    // An answer about an older generation says nothing about the current one (Java ignores it too).
    const current = generationAtSend === this.generationId;
    switch (code) {
      case ErrorCode.REBALANCE_IN_PROGRESS:
        // The coordinator keeps counting heartbeats as liveness during a rebalance.
        this.lastHeartbeatOkAt = now;
        this.heartbeatNotBefore = sentAt + this.timings.heartbeatIntervalMs;
        // Only news for a member that thinks it is done: while it is joining or syncing, the JoinGroup
        // or SyncGroup answer itself says whether another round is needed (Java ignores it there too).
        if (current && (this.currentState === S.STABLE || this.currentState === S.RECONCILING)) {
          this.requestRejoin('group is rebalancing (heartbeat)', now);
        }
        return;
      case ErrorCode.UNKNOWN_MEMBER_ID:
      case ErrorCode.ILLEGAL_GENERATION:
        if (current && this.hasGeneration()) this.resetMembership(code, 'Heartbeat', now);
        return;
      case ErrorCode.FENCED_INSTANCE_ID:
        if (current) this.fail(new FencedInstanceIdError(this.groupInstanceId ?? '', 'Heartbeat'));
        return;
      case ErrorCode.GROUP_AUTHORIZATION_FAILED:
        this.fail(new GroupFatalError(`Heartbeat for group ${this.groupId} failed`, code));
        return;
      default:
        this.heartbeatNotBefore = now + this.heartbeatBackoff.fail();
        this.events.error(new GroupBrokerError('Heartbeat', code));
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // LeaveGroup

  private onLeaveGroup(result: LeaveGroupResponse | Error): void {
    if (this.currentState !== S.LEAVING) return;
    // Leaving is best effort, as in Java: whatever the answer, the member is out; a coordinator that
    // missed it expires the member after the session timeout.
    this.events.reportFailure('LeaveGroup', result);
    this.finishLeaving();
  }

  // ---------------------------------------------------------------------------------------------
  // Request builders

  private request<A extends GroupApiName>(
    api: A,
    versions: [number, number],
    target: GroupRequestOf<A>['target'],
    body: GroupApis[A]['request'],
    timeoutMs = this.timings.requestTimeoutMs,
    bodyAt?: (version: number) => GroupApis[A]['request'],
  ): GroupRequestOf<A> {
    return memberRequest({ id: this.nextRequestId++, api, versions, target, timeoutMs, body, bodyAt });
  }

  private joinGroupRequest(node: BrokerNode): GroupRequest {
    const topics = new Set(this.subscription);
    const protocols = this.assignors.map((a) => ({
      name: a.name,
      metadata: encodeSubscription({
        topics: this.subscription,
        userData: a.subscriptionUserData?.(topics) ?? null,
        ownedPartitions: this.owned,
        generationId: this.generationId,
        rackId: this.clientRack,
      }),
    }));
    const r = this.request(
      'JoinGroup',
      [this.groupInstanceId === null ? 0 : 5, 9],
      { kind: 'coordinator', node },
      {
        groupId: this.groupId,
        sessionTimeoutMs: this.timings.sessionTimeoutMs,
        rebalanceTimeoutMs: this.timings.rebalanceTimeoutMs,
        memberId: this.memberId,
        groupInstanceId: this.groupInstanceId,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocols,
        reason: this.rejoinReason || null,
      },
      Math.max(this.timings.requestTimeoutMs, this.timings.rebalanceTimeoutMs + JOIN_GROUP_TIMEOUT_LAPSE_MS),
    );
    this.joinInFlight = r.id;
    this.rejoinRequested = false;
    return r;
  }

  private metadataRequest(): GroupRequest {
    const topics = [...new Set(this.joinMembers.flatMap((m) => m.topics))].sort();
    // Version 4 is the first that can turn off topic auto-creation, which a leader must not trigger.
    const r = this.request(
      'Metadata',
      [4, 12],
      { kind: 'any' },
      {
        topics: topics.map((name) => ({ name })),
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      },
    );
    this.metadataInFlight = r.id;
    return r;
  }

  private syncGroupRequest(node: BrokerNode): GroupRequest {
    const assignments = this.syncAssignments
      ? [...this.syncAssignments].map(([memberId, assignment]) => ({ memberId, assignment }))
      : [];
    const r = this.request(
      'SyncGroup',
      [this.groupInstanceId === null ? 0 : 3, 5],
      { kind: 'coordinator', node },
      {
        groupId: this.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: this.groupInstanceId,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocolName: this.protocolName,
        assignments,
      },
    );
    this.syncInFlight = r.id;
    return r;
  }

  private heartbeatRequest(node: BrokerNode, now: number): GroupRequest {
    const r = this.request(
      'Heartbeat',
      [this.groupInstanceId === null ? 0 : 3, 4],
      { kind: 'coordinator', node },
      {
        groupId: this.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: this.groupInstanceId,
      },
    );
    this.heartbeatInFlight = { id: r.id, generationId: this.generationId, sentAt: now };
    return r;
  }

  private leaveGroupRequest(node: BrokerNode, reason: string): GroupRequestOf<'LeaveGroup'> {
    const { groupId, memberId, groupInstanceId } = this;
    const bodyAt = (version: number) =>
      version <= 2 ? { groupId, memberId } : { groupId, members: [{ memberId, groupInstanceId, reason }] };
    return this.request('LeaveGroup', [0, 5], { kind: 'coordinator', node }, bodyAt(5), undefined, bodyAt);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
