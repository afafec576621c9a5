/**
 * One member of a consumer group under the consumer group protocol of KIP-848 (GA in Kafka 4.0), as a
 * sans-I/O state machine. The coordinator computes the assignment; the member sends one request,
 * ConsumerGroupHeartbeat, to join, to stay alive, to acknowledge what it reconciled, and to leave.
 *
 * It is driven exactly like `ClassicGroupMember`: the driver calls `poll(now)`, sends the requests it
 * returns, hands each response (or the Error that stopped it) to `onResponse`, shows the events to the
 * consumer, calls `acknowledge` when the consumer has handled one, and polls again after any input or at
 * `nextPollAt`. Two inputs are particular to this protocol: the driver supplies topic ids and names from
 * metadata (`onMetadata`), because the coordinator names assigned topics only by id; and `poll` reports
 * the ids it could not resolve yet.
 *
 * Every state and transition is in this file: `CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES` lists, for each
 * state, the states it may be entered from, and `transitionTo` throws on anything else.
 */
import { randomBytes } from 'node:crypto';
import type { TopicPartition } from '@runnel/assignors';
import {
  type ConsumerGroupDescribeResponse,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  ErrorCode,
  type FindCoordinatorResponse,
  kafkaErrorInfo,
  UnsupportedVersionError,
} from '@runnel/protocol';
import type { ExponentialBackoff } from './backoff.js';
import {
  assignmentFromResponse,
  assignmentOf,
  assignmentToRequest,
  resolveAssignment,
  sameAssignment,
  type TopicIdAndName,
  type TopicIdAssignment,
  type TopicIdPartition,
  withoutIds,
} from './consumer-protocol-assignment.js';
import {
  type ConsumerGroupDescription,
  type ConsumerGroupMemberDescription,
  consumerGroupDescribeRequest,
  readConsumerGroupDescription,
} from './consumer-protocol-describe.js';
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
import { type GroupMemberConfig, readGroupMemberConfig } from './member-config.js';
import { MemberEvents } from './member-events.js';
import {
  type BrokerNode,
  type ConsumerProtocolApiName,
  type ConsumerProtocolApis,
  type ConsumerProtocolRequest,
  type ConsumerProtocolRequestOf,
  type ConsumerProtocolResponseFor,
  memberRequest,
} from './requests.js';
import { partitionKey, sortPartitions } from './topic-partitions.js';

/**
 * The states of a consumer-protocol member, as Kafka's `MemberState` names them.
 * - `UNSUBSCRIBED`: not in the group (initial, and after leaving); `subscribe` starts joining.
 * - `JOINING`: heartbeating with epoch 0 and every field, until the coordinator answers with an assignment.
 * - `RECONCILING`: the target assignment differs from what the member owns: revoke first (event, wait for
 *   the acknowledgement), then assign (event, wait), or wait for metadata to name new topics.
 * - `ACKNOWLEDGING`: reconciled; the next heartbeat (sent at once) tells the coordinator what it owns now.
 * - `STABLE`: owns its target assignment; heartbeating at the interval the coordinator set.
 * - `FENCED`: the coordinator fenced it (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID); once the lost partitions
 *   are acknowledged it rejoins with epoch 0.
 * - `PREPARE_LEAVING`: leaving was asked for; waiting for the consumer to finish revoking.
 * - `LEAVING`: the heartbeat that leaves (epoch -1, or -2 for a static member) is in flight.
 * - `FATAL`: the member cannot continue (fenced static member, group full, authorization, unsupported).
 * - `STALE`: the consumer did not poll within the max poll interval, so the member left (epoch -1); it
 *   rejoins on the next `recordPoll` once the lost partitions are acknowledged.
 */
export const ConsumerProtocolMemberState = {
  UNSUBSCRIBED: 'UNSUBSCRIBED',
  JOINING: 'JOINING',
  RECONCILING: 'RECONCILING',
  ACKNOWLEDGING: 'ACKNOWLEDGING',
  STABLE: 'STABLE',
  FENCED: 'FENCED',
  PREPARE_LEAVING: 'PREPARE_LEAVING',
  LEAVING: 'LEAVING',
  FATAL: 'FATAL',
  STALE: 'STALE',
} as const;

/** One of {@link ConsumerProtocolMemberState}. */
export type ConsumerProtocolMemberState =
  (typeof ConsumerProtocolMemberState)[keyof typeof ConsumerProtocolMemberState];

const S = ConsumerProtocolMemberState;

/** States of a member the coordinator counts (or is about to count) in the group. */
const IN_GROUP: readonly ConsumerProtocolMemberState[] = [
  S.JOINING,
  S.RECONCILING,
  S.ACKNOWLEDGING,
  S.STABLE,
];

/**
 * The transition table: for each state, the states it may be entered from. Staying in a state is not a
 * transition.
 */
export const CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES: {
  readonly [K in ConsumerProtocolMemberState]: readonly ConsumerProtocolMemberState[];
} = {
  UNSUBSCRIBED: [S.LEAVING, S.FENCED, S.STALE],
  JOINING: [S.UNSUBSCRIBED, S.FENCED, S.STALE],
  RECONCILING: [S.JOINING, S.STABLE, S.ACKNOWLEDGING],
  ACKNOWLEDGING: [S.RECONCILING],
  STABLE: [S.JOINING, S.RECONCILING, S.ACKNOWLEDGING],
  FENCED: IN_GROUP,
  PREPARE_LEAVING: IN_GROUP,
  LEAVING: [S.PREPARE_LEAVING],
  FATAL: [...IN_GROUP, S.FENCED, S.PREPARE_LEAVING, S.LEAVING, S.STALE],
  STALE: [S.LEAVING],
};

/** States that send heartbeats at the interval (LEAVING sends its one leave heartbeat on its own). */
const HEARTBEATING: ReadonlySet<ConsumerProtocolMemberState> = new Set([...IN_GROUP, S.PREPARE_LEAVING]);

/** The epoch that asks the coordinator to remove a member. */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
/** The epoch a static member leaves with: it keeps its partitions reserved for its instance id. */
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

/** What the member subscribes to. */
export type ConsumerProtocolSubscription =
  | { readonly kind: 'topics'; readonly topics: readonly string[] }
  | { readonly kind: 'pattern'; readonly regex: string };

/**
 * Configuration of a consumer-protocol member: the settings both members share (`client.rack` is sent
 * when joining, `max.poll.interval.ms` is also the rebalance timeout, as in Java) and those of KIP-848;
 * names follow the Java consumer's settings.
 */
export interface ConsumerProtocolMemberConfig extends GroupMemberConfig {
  /** `group.remote.assignor`: the server-side assignor to ask for (e.g. `uniform`, `range`), or the broker's default. */
  readonly serverAssignor?: string | null;
  /** The member id; by default a random one, as the Java consumer makes it at startup (KIP-1082). */
  readonly memberId?: string;
}

/** What `poll` returns: the classic member's `PollResult` plus what the member needs from metadata. */
export interface ConsumerProtocolPollResult {
  readonly requests: ConsumerProtocolRequest[];
  readonly events: GroupEvent[];
  /** The time (same clock as `now`) by which `poll` must be called again; `Infinity` when only input can change anything. */
  readonly nextPollAt: number;
  /** Topic ids of the target assignment that `onMetadata` has not named yet: refresh metadata for them. */
  readonly unresolvedTopicIds: readonly string[];
  /** True when the member needs the cluster's topic list (a regular expression resolved on the client, no list yet). */
  readonly topicListWanted: boolean;
}

/** The membership the consumer needs for OffsetCommit: `generationId` carries the member epoch. */
export type ConsumerProtocolGeneration = GroupGeneration;

/** A health snapshot: the member's own view, plus what the coordinator recorded at the last describe. */
export interface ConsumerProtocolHealth {
  readonly state: ConsumerProtocolMemberState;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly coordinator: BrokerNode | null;
  /** What the member owns as the coordinator knows it (acknowledged), sorted. */
  readonly ownedPartitions: readonly TopicPartition[];
  readonly unresolvedTopicIds: readonly string[];
  /** The last ConsumerGroupDescribe answer, or null. */
  readonly group: ConsumerGroupDescription | null;
  /** This member's entry in `group`, or null when the coordinator does not list it. */
  readonly self: ConsumerGroupMemberDescription | null;
  /** When `group` or `describeError` was received. */
  readonly describedAt: number | null;
  /** The error of the last describe, or null. */
  readonly describeError: Error | null;
}

interface SentFields {
  rebalanceTimeoutMs: number;
  topicNames: string | null;
  regex: string | null;
  serverAssignor: string | null;
  rackId: string | null;
  assignmentVersion: number | null;
}

interface Reconciliation {
  /** The resolvable part of the target assignment being reconciled. */
  readonly resolved: readonly TopicIdPartition[];
  step: 'revoking' | 'assigning';
  eventId: number;
}

function unsent(): SentFields {
  return {
    rebalanceTimeoutMs: -1,
    topicNames: null,
    regex: null,
    serverAssignor: null,
    rackId: null,
    assignmentVersion: null,
  };
}

/** @returns a member id as the Java consumer makes one: 16 random bytes in Kafka's base64 form. */
function randomMemberId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * @returns a matcher of whole topic names, as RE2/J's `matches()` on the broker.
 * @throws GroupConfigError when `regex` is not a valid JavaScript regular expression.
 */
function compileClientRegex(regex: string): RegExp {
  try {
    return new RegExp(`^(?:${regex})$`);
  } catch (cause) {
    throw new GroupConfigError(
      `invalid subscription regular expression ${JSON.stringify(regex)}: ${String(cause)}`,
    );
  }
}

function idKey(p: TopicIdPartition): string {
  return `${p.topicId}:${p.partition}`;
}

/**
 * The consumer-protocol group member. See the file comment for how a driver runs it, and
 * `CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES` for its transitions.
 */
export class ConsumerProtocolMember {
  readonly groupId: string;
  readonly groupInstanceId: string | null;
  readonly serverAssignor: string | null;

  private readonly clientRack: string | null;
  private readonly maxPollIntervalMs: number;
  private readonly requestTimeoutMs: number;
  private readonly coordinatorLookup: CoordinatorLookup;
  private readonly heartbeatBackoff: ExponentialBackoff;

  private currentState: ConsumerProtocolMemberState = S.UNSUBSCRIBED;
  private subscription: ConsumerProtocolSubscription | null = null;
  /** Where a regular expression is resolved: by the broker (v1+), or here when the broker has only v0. */
  private regexResolution: 'broker' | 'client' = 'broker';
  private memberIdValue: string;
  private memberEpochValue = 0;
  private fatal: GroupFatalError | null = null;

  /** What the coordinator knows the member owns (acknowledged or about to be). */
  private current: readonly TopicIdPartition[] = [];
  /** Bumped whenever `current` changes, so the heartbeat knows when to send it again. */
  private currentVersion = 0;
  private target: TopicIdAssignment | null = null;
  private unresolved: string[] = [];
  private reconciliation: Reconciliation | null = null;
  /** What the consumer was told it holds, through the events raised so far. */
  private consumerOwned: TopicPartition[] = [];

  private readonly topicNames = new Map<string, string>();
  private clusterTopics: readonly TopicIdAndName[] | null = null;

  private nextRequestId = 1;
  private heartbeatInFlight: { id: number; sentAt: number } | null = null;
  private heartbeatIntervalMs = 0;
  private intervalAt = 0;
  private backoffUntil = 0;
  private sent: SentFields = unsent();

  private lastPollAt = 0;
  private polledSinceStale = false;

  private leavePending = false;
  private leaveInFlight: number | null = null;
  /** Fenced while preparing to leave: the coordinator already dropped the member, so no leave is sent. */
  private skipLeave = false;
  /** Requests sent without waiting for their answer (the leave after a poll timeout). */
  private outbox: ConsumerProtocolRequest[] = [];

  private describePending = false;
  private describeInFlight: number | null = null;
  private description: ConsumerGroupDescription | null = null;
  private describeError: Error | null = null;
  private describedAt: number | null = null;

  private readonly events = new MemberEvents();

  /**
   * @throws GroupConfigError on an empty group id or member id, or timeouts that are not positive
   *   32-bit integers.
   */
  constructor(config: ConsumerProtocolMemberConfig) {
    const settings = readGroupMemberConfig(config);
    if (config.memberId === '') throw new GroupConfigError('member id must not be empty');
    this.groupId = settings.groupId;
    this.groupInstanceId = settings.groupInstanceId;
    this.clientRack = settings.clientRack;
    this.serverAssignor = config.serverAssignor || null;
    this.memberIdValue = config.memberId ?? randomMemberId();
    this.maxPollIntervalMs = settings.maxPollIntervalMs;
    this.requestTimeoutMs = settings.requestTimeoutMs;
    this.coordinatorLookup = new CoordinatorLookup(
      this.groupId,
      settings.backoff(),
      this.requestTimeoutMs,
      () => this.nextRequestId++,
      this.events,
    );
    this.heartbeatBackoff = settings.backoff();
  }

  // ---------------------------------------------------------------------------------------------
  // What the consumer reads

  /** @returns the current state. */
  get state(): ConsumerProtocolMemberState {
    return this.currentState;
  }

  /** @returns the member id (kept for the life of the member, also across fencing). */
  get memberId(): string {
    return this.memberIdValue;
  }

  /** @returns the member epoch: 0 while joining, then what the coordinator last said. */
  get memberEpoch(): number {
    return this.memberEpochValue;
  }

  /** @returns the coordinator the member talks to, or null while it is unknown. */
  get coordinator(): BrokerNode | null {
    return this.coordinatorLookup.node;
  }

  /** @returns the partitions the consumer holds from the events raised so far, sorted. */
  get ownedPartitions(): TopicPartition[] {
    return sortPartitions(this.consumerOwned);
  }

  /** @returns the topic ids of the target assignment that metadata has not named yet, sorted. */
  get unresolvedTopicIds(): readonly string[] {
    return this.unresolved;
  }

  /** @returns the error that put the member in FATAL, or null. */
  get fatalError(): GroupFatalError | null {
    return this.fatal;
  }

  /** @returns the membership to send with OffsetCommit (member epoch as generation), for logs too. */
  generation(): ConsumerProtocolGeneration {
    const inGroup = IN_GROUP.includes(this.currentState) || this.currentState === S.PREPARE_LEAVING;
    const active = inGroup && this.memberEpochValue > 0;
    return {
      groupId: this.groupId,
      generationId: active ? this.memberEpochValue : -1,
      memberId: active ? this.memberIdValue : '',
      groupInstanceId: this.groupInstanceId,
      protocolName: this.serverAssignor,
    };
  }

  /** @returns a health snapshot; `requestDescription` refreshes its `group` part. Never throws. */
  health(): ConsumerProtocolHealth {
    return {
      state: this.currentState,
      memberId: this.memberIdValue,
      memberEpoch: this.memberEpochValue,
      coordinator: this.coordinatorLookup.node,
      ownedPartitions: withoutIds(this.current),
      unresolvedTopicIds: this.unresolved,
      group: this.description,
      self: this.description?.members.find((m) => m.memberId === this.memberIdValue) ?? null,
      describedAt: this.describedAt,
      describeError: this.describeError,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs from the consumer

  /**
   * Subscribes to topic names. From UNSUBSCRIBED this starts joining; in the group the next heartbeat
   * carries the new subscription and the coordinator computes a new target assignment. Counts as a poll.
   * @throws GroupConfigError when `topics` is empty (call `leaveGroup` to unsubscribe).
   * @throws IllegalTransitionError while leaving, or fatal.
   */
  subscribe(topics: readonly string[], now: number): void {
    const names = [...new Set(topics)].sort();
    if (names.length === 0 || names.includes('')) {
      throw new GroupConfigError(
        'subscribe needs at least one non-empty topic name; use leaveGroup to unsubscribe',
      );
    }
    this.setSubscription({ kind: 'topics', topics: names }, now);
  }

  /**
   * Subscribes to the topics whose whole name matches `regex` (RE2/J syntax). Brokers with
   * ConsumerGroupHeartbeat v1+ resolve it themselves; against a v0-only broker the member falls back
   * to matching the topic list `onMetadata` supplies (internal topics excluded). Counts as a poll.
   * @throws GroupConfigError when `regex` is empty, or when this member already matches on the client
   *   and `regex` is not a valid JavaScript regular expression.
   * @throws IllegalTransitionError while leaving, or fatal.
   */
  subscribePattern(regex: string, now: number): void {
    if (regex === '') throw new GroupConfigError('the subscription regular expression must not be empty');
    if (this.regexResolution === 'client') compileClientRegex(regex);
    this.setSubscription({ kind: 'pattern', regex }, now);
  }

  /**
   * Supplies topic ids and names from metadata: they name the topics of assignments (ids stay known once
   * seen), and are the topic list a client-side regular expression matches against (each call replaces
   * that list).
   */
  onMetadata(topics: readonly TopicIdAndName[]): void {
    for (const t of topics) this.topicNames.set(t.topicId, t.name);
    this.clusterTopics = topics;
    this.maybeReconcile();
  }

  /**
   * Records that the user code polled, which restarts the max-poll-interval timer; a STALE member
   * rejoins on it once its lost partitions are acknowledged.
   */
  recordPoll(now: number): void {
    this.lastPollAt = now;
    if (this.currentState === S.STALE) {
      this.polledSinceStale = true;
      this.settle(now);
    }
  }

  /**
   * Tells the member the consumer finished handling an event (callbacks ran, revoked offsets committed):
   * a revocation lets the reconciliation go on to assigning, an assignment lets it acknowledge. Unknown
   * or already acknowledged ids are ignored.
   */
  acknowledge(eventId: number, now: number): void {
    if (!this.events.acknowledge(eventId)) return;
    const r = this.reconciliation;
    if (r !== null && r.eventId === eventId && this.currentState === S.RECONCILING) {
      if (r.step === 'revoking') {
        this.assignStep(r);
      } else {
        this.reconciliation = null;
        this.setCurrent(r.resolved);
        this.transitionTo(S.ACKNOWLEDGING);
      }
    }
    this.settle(now);
  }

  /**
   * Leaves the group: revokes what the consumer holds (an event to acknowledge), then sends the leave
   * heartbeat (epoch -1; -2 for a static member, whose partitions stay reserved for its instance id).
   * Ends in UNSUBSCRIBED; `subscribe` may join again. A FENCED or STALE member is already out of the
   * group and goes straight to UNSUBSCRIBED. Does nothing when unsubscribed, already leaving, or fatal.
   */
  leaveGroup(now: number): void {
    const s = this.currentState;
    if (s === S.UNSUBSCRIBED || s === S.PREPARE_LEAVING || s === S.LEAVING || s === S.FATAL) return;
    this.subscription = null;
    if (s === S.FENCED || s === S.STALE) {
      this.transitionTo(S.UNSUBSCRIBED);
      return;
    }
    this.reconciliation = null;
    this.skipLeave = false;
    this.transitionTo(S.PREPARE_LEAVING);
    const held = this.consumerOwned;
    this.consumerOwned = [];
    if (held.length > 0) this.events.raise('partitionsRevoked', held);
    this.settle(now);
  }

  /**
   * Reports an error code from an OffsetCommit sent with `memberEpoch`. Coordinator errors start a new
   * coordinator lookup. Membership errors (STALE_MEMBER_EPOCH, FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID)
   * change nothing here: under this protocol the heartbeat is what fences a member, and the consumer
   * retries a STALE_MEMBER_EPOCH commit with `generation()`, as Java does.
   */
  onOffsetCommitError(errorCode: number, memberEpoch: number, now: number): void {
    void memberEpoch;
    if (isCoordinatorMoved(errorCode)) this.markCoordinatorUnknown(now);
  }

  /**
   * Asks for a ConsumerGroupDescribe of this group; it is sent by the next `poll` once the coordinator
   * is known, and its answer lands in `health()`.
   */
  requestDescription(): void {
    if (this.describeInFlight === null) this.describePending = true;
  }

  // ---------------------------------------------------------------------------------------------
  // The driver loop

  /**
   * Advances timers to `now` and collects what the driver must do.
   * @returns the requests to send now (each one at most once), the events raised since the last poll,
   *   the time by which to poll again, and what the member needs from metadata.
   * @throws IllegalTransitionError only on a bug in the state machine.
   */
  poll(now: number): ConsumerProtocolPollResult {
    this.checkPollTimer(now);
    const requests: ConsumerProtocolRequest[] = this.outbox;
    this.outbox = [];
    const s = this.currentState;
    const find = this.coordinatorLookup.poll(this.needsCoordinator(), now);
    if (find !== null) requests.push(find);
    const coordinator = this.coordinatorLookup.node;
    if (s === S.LEAVING && this.leavePending) {
      this.leavePending = false;
      if (coordinator !== null) {
        const leave = this.heartbeatRequest(coordinator, this.unchangedBody(this.leaveEpoch()));
        this.leaveInFlight = leave.id;
        this.heartbeatInFlight = null;
        requests.push(leave);
      } else {
        this.finishLeaving();
      }
    } else if (coordinator !== null && this.heartbeatDue(now)) {
      requests.push(this.regularHeartbeat(coordinator, now));
    }
    if (this.describePending && coordinator !== null) {
      this.describePending = false;
      const r = consumerGroupDescribeRequest(
        this.nextRequestId++,
        this.groupId,
        { kind: 'coordinator', node: coordinator },
        this.requestTimeoutMs,
      );
      this.describeInFlight = r.id;
      requests.push(r);
    }
    const events = this.events.take();
    return {
      requests,
      events,
      nextPollAt: this.nextPollAt(now),
      unresolvedTopicIds: this.unresolved,
      topicListWanted: this.clientRegex() !== null && this.clusterTopics === null,
    };
  }

  /**
   * Hands the member the answer to one of its requests: the decoded response, or an Error when the
   * request failed (connection error, timeout, `UnsupportedVersionError`). A response to a request the
   * member no longer waits for is ignored.
   * @throws IllegalTransitionError only on a bug in the state machine.
   */
  onResponse<R extends ConsumerProtocolRequest>(
    request: R,
    result: ConsumerProtocolResponseFor<R> | Error,
    now: number,
  ): void {
    switch (request.api) {
      case 'FindCoordinator':
        this.onFindCoordinator(request, result as FindCoordinatorResponse | Error, now);
        return;
      case 'ConsumerGroupHeartbeat': {
        if (request.id === this.leaveInFlight) {
          this.leaveInFlight = null;
          this.onLeaveResponse(result as ConsumerGroupHeartbeatResponse | Error);
          return;
        }
        const hb = this.heartbeatInFlight;
        if (hb === null || request.id !== hb.id) return;
        this.heartbeatInFlight = null;
        this.onHeartbeat(request, result as ConsumerGroupHeartbeatResponse | Error, hb.sentAt, now);
        return;
      }
      case 'ConsumerGroupDescribe':
        if (request.id !== this.describeInFlight) return;
        this.describeInFlight = null;
        this.onDescribe(result as ConsumerGroupDescribeResponse | Error, now);
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Transitions

  private transitionTo(next: ConsumerProtocolMemberState): void {
    const from = this.currentState;
    if (!CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES[next].includes(from)) {
      throw new IllegalTransitionError(from, next);
    }
    this.currentState = next;
  }

  private setSubscription(subscription: ConsumerProtocolSubscription, now: number): void {
    const s = this.currentState;
    if (s === S.FATAL || s === S.PREPARE_LEAVING || s === S.LEAVING) {
      throw new IllegalTransitionError(s, S.JOINING, `cannot subscribe while ${s}`);
    }
    this.subscription = subscription;
    this.lastPollAt = now;
    if (s === S.UNSUBSCRIBED) this.startJoining(now);
  }

  /** Moves on from states that only wait for acknowledgements (or a poll) once nothing is pending. */
  private settle(now: number): void {
    if (this.events.awaitingAcknowledgement) return;
    switch (this.currentState) {
      case S.FENCED:
        this.startJoining(now);
        return;
      case S.STALE:
        if (this.polledSinceStale) this.startJoining(now);
        return;
      case S.PREPARE_LEAVING:
        this.transitionTo(S.LEAVING);
        if (this.skipLeave || this.coordinatorLookup.node === null) this.finishLeaving();
        else this.leavePending = true;
        return;
    }
  }

  private startJoining(now: number): void {
    this.transitionTo(S.JOINING);
    this.memberEpochValue = 0;
    this.target = null;
    this.unresolved = [];
    this.reconciliation = null;
    this.setCurrent([]);
    this.sent = unsent();
    this.heartbeatInFlight = null;
    this.intervalAt = now;
  }

  private setCurrent(partitions: readonly TopicIdPartition[]): void {
    this.current = partitions;
    this.currentVersion++;
  }

  /** The coordinator dropped the member: what the consumer holds is lost, and it rejoins with epoch 0. */
  private fence(now: number): void {
    const s = this.currentState;
    if (s === S.PREPARE_LEAVING) {
      this.skipLeave = true;
      this.memberEpochValue = 0;
      return;
    }
    if (!IN_GROUP.includes(s)) return;
    this.reconciliation = null;
    this.target = null;
    this.unresolved = [];
    this.setCurrent([]);
    this.memberEpochValue = 0;
    this.sent = unsent();
    this.backoffUntil = now;
    this.transitionTo(S.FENCED);
    const lost = this.consumerOwned;
    this.consumerOwned = [];
    if (lost.length > 0) this.events.raise('partitionsLost', lost);
    this.settle(now);
  }

  private fail(error: GroupFatalError): void {
    const s = this.currentState;
    if (s === S.FATAL || s === S.UNSUBSCRIBED) return;
    this.transitionTo(S.FATAL);
    this.fatal = error;
    this.reconciliation = null;
    this.heartbeatInFlight = null;
    this.leaveInFlight = null;
    this.leavePending = false;
    this.outbox = [];
    this.events.forgetAcknowledgements();
    // Java runs onPartitionsLost on a fatal error, except when the member was leaving anyway.
    const lost = this.consumerOwned;
    this.consumerOwned = [];
    if (lost.length > 0 && s !== S.PREPARE_LEAVING && s !== S.LEAVING)
      this.events.raise('partitionsLost', lost);
    this.events.fatal(error);
  }

  private finishLeaving(): void {
    this.transitionTo(S.UNSUBSCRIBED);
    this.memberEpochValue = 0;
    this.target = null;
    this.unresolved = [];
    this.reconciliation = null;
    this.setCurrent([]);
    this.heartbeatInFlight = null;
    this.leavePending = false;
    this.sent = unsent();
  }

  // ---------------------------------------------------------------------------------------------
  // Reconciliation

  private onTargetAssignment(target: TopicIdAssignment): void {
    this.target = target;
    if (sameAssignment(target, assignmentOf(this.current))) {
      this.unresolved = [];
      const s = this.currentState;
      if (this.reconciliation === null && (s === S.JOINING || s === S.RECONCILING)) {
        this.transitionTo(S.STABLE);
      }
      return;
    }
    if (this.currentState !== S.RECONCILING) this.transitionTo(S.RECONCILING);
    this.maybeReconcile();
  }

  /** Starts reconciling the resolvable part of the target, unless a reconciliation is under way. */
  private maybeReconcile(): void {
    if (this.currentState !== S.RECONCILING || this.reconciliation !== null || this.target === null) return;
    const { resolved, unresolvedTopicIds } = resolveAssignment(this.target, this.topicNames);
    this.unresolved = unresolvedTopicIds;
    const keep = new Set(resolved.map(idKey));
    const had = new Set(this.current.map(idKey));
    const revoked = this.current.filter((p) => !keep.has(idKey(p)));
    const added = resolved.filter((p) => !had.has(idKey(p)));
    if (revoked.length === 0 && added.length === 0) {
      // Only topics metadata cannot name yet are missing: wait for `onMetadata`.
      if (unresolvedTopicIds.length === 0) this.transitionTo(S.STABLE);
      return;
    }
    const r: Reconciliation = { resolved, step: 'revoking', eventId: 0 };
    this.reconciliation = r;
    if (revoked.length > 0) {
      const gone = new Set(withoutIds(revoked).map(partitionKey));
      this.consumerOwned = this.consumerOwned.filter((tp) => !gone.has(partitionKey(tp)));
      r.eventId = this.events.raise('partitionsRevoked', withoutIds(revoked));
    } else {
      this.assignStep(r);
    }
  }

  private assignStep(r: Reconciliation): void {
    const had = new Set(this.current.map(idKey));
    const added = withoutIds(r.resolved.filter((p) => !had.has(idKey(p))));
    const assignment = withoutIds(r.resolved);
    this.consumerOwned = assignment;
    r.step = 'assigning';
    r.eventId = this.events.raiseAssigned({
      partitions: added,
      assignment,
      generationId: this.memberEpochValue,
      memberId: this.memberIdValue,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Heartbeats

  private heartbeatDue(now: number): boolean {
    if (!this.heartbeats() || this.heartbeatInFlight !== null) return false;
    return now >= this.heartbeatAt(now);
  }

  /** @returns whether the member heartbeats at the interval now (not once fenced while preparing to leave). */
  private heartbeats(): boolean {
    return (
      HEARTBEATING.has(this.currentState) && !(this.currentState === S.PREPARE_LEAVING && this.skipLeave)
    );
  }

  /** When the next heartbeat may go: at once when joining or acknowledging, else at the interval; never inside a backoff. */
  private heartbeatAt(now: number): number {
    const urgent =
      this.currentState === S.ACKNOWLEDGING ||
      (this.currentState === S.JOINING && this.memberEpochValue === 0);
    return Math.max(this.backoffUntil, urgent ? now : this.intervalAt);
  }

  private regularHeartbeat(coordinator: BrokerNode, now: number): ConsumerProtocolRequest {
    const r = this.heartbeatRequest(coordinator, this.heartbeatBody());
    this.heartbeatInFlight = { id: r.id, sentAt: now };
    this.intervalAt = now + this.heartbeatIntervalMs;
    if (this.currentState === S.ACKNOWLEDGING) {
      // Like Java, the acknowledgement is done once the heartbeat carrying it is out; a failure resends
      // every field, the owned partitions among them.
      if (this.target === null || sameAssignment(this.target, assignmentOf(this.current))) {
        this.unresolved = [];
        this.transitionTo(S.STABLE);
      } else {
        this.transitionTo(S.RECONCILING);
        this.maybeReconcile();
      }
    }
    return r;
  }

  /**
   * The heartbeat body: every field when joining or after a failure, and otherwise only the fields
   * that changed since the last heartbeat (the others null, or -1 for the rebalance timeout), as the
   * Java consumer sends it.
   */
  private heartbeatBody(): ConsumerGroupHeartbeatRequest {
    const full = this.currentState === S.JOINING;
    const sent = this.sent;
    const body = this.unchangedBody(this.memberEpochValue);
    if (full || sent.rebalanceTimeoutMs !== this.maxPollIntervalMs) {
      body.rebalanceTimeoutMs = this.maxPollIntervalMs;
      sent.rebalanceTimeoutMs = this.maxPollIntervalMs;
    }
    if (this.clientRack !== null && (full || sent.rackId !== this.clientRack)) {
      body.rackId = this.clientRack;
      sent.rackId = this.clientRack;
    }
    const names = this.subscribedTopicNames();
    const namesKey = names.join('\u0000');
    if (full || sent.topicNames !== namesKey) {
      body.subscribedTopicNames = names;
      sent.topicNames = namesKey;
    }
    const regex = this.brokerRegex();
    if ((full && regex !== null) || (regex !== sent.regex && (regex !== null || sent.regex !== null))) {
      // An empty string tells the coordinator the member dropped its regular expression.
      body.subscribedTopicRegex = regex ?? '';
      sent.regex = regex;
    }
    if (this.serverAssignor !== null && (full || sent.serverAssignor !== this.serverAssignor)) {
      body.serverAssignor = this.serverAssignor;
      sent.serverAssignor = this.serverAssignor;
    }
    if (full || sent.assignmentVersion !== this.currentVersion) {
      body.topicPartitions = assignmentToRequest(assignmentOf(this.current));
      sent.assignmentVersion = this.currentVersion;
    }
    return body;
  }

  /** @returns a heartbeat body that changes nothing but the epoch: every optional field null, or -1. */
  private unchangedBody(memberEpoch: number): ConsumerGroupHeartbeatRequest {
    return {
      groupId: this.groupId,
      memberId: this.memberIdValue,
      memberEpoch,
      instanceId: this.groupInstanceId,
      rackId: null,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: null,
    };
  }

  private leaveEpoch(): number {
    return this.groupInstanceId === null ? LEAVE_GROUP_MEMBER_EPOCH : LEAVE_GROUP_STATIC_MEMBER_EPOCH;
  }

  private subscribedTopicNames(): string[] {
    const sub = this.subscription;
    if (sub === null) return [];
    if (sub.kind === 'topics') return [...sub.topics];
    const matcher = this.clientRegex();
    if (matcher === null) return [];
    return (this.clusterTopics ?? [])
      .filter((t) => !t.isInternal && matcher.test(t.name))
      .map((t) => t.name)
      .sort();
  }

  private brokerRegex(): string | null {
    const sub = this.subscription;
    return sub !== null && sub.kind === 'pattern' && this.regexResolution === 'broker' ? sub.regex : null;
  }

  private clientRegexCache: { source: string; matcher: RegExp } | null = null;

  /** @returns the matcher of a regular expression resolved here, or null when the broker resolves it. */
  private clientRegex(): RegExp | null {
    const sub = this.subscription;
    if (sub === null || sub.kind !== 'pattern' || this.regexResolution !== 'client') return null;
    if (this.clientRegexCache?.source !== sub.regex) {
      this.clientRegexCache = { source: sub.regex, matcher: compileClientRegex(sub.regex) };
    }
    return this.clientRegexCache.matcher;
  }

  private heartbeatRequest(
    coordinator: BrokerNode,
    body: ConsumerGroupHeartbeatRequest,
  ): ConsumerProtocolRequestOf<'ConsumerGroupHeartbeat'> {
    const needsV1 = body.subscribedTopicRegex !== null && body.subscribedTopicRegex !== undefined;
    const v0: ConsumerGroupHeartbeatRequest = { ...body, subscribedTopicRegex: undefined };
    return this.request(
      'ConsumerGroupHeartbeat',
      [needsV1 ? 1 : 0, 1],
      { kind: 'coordinator', node: coordinator },
      body,
      (version) => (version >= 1 ? body : v0),
    );
  }

  private onHeartbeat(
    request: ConsumerProtocolRequestOf<'ConsumerGroupHeartbeat'>,
    result: ConsumerGroupHeartbeatResponse | Error,
    sentAt: number,
    now: number,
  ): void {
    if (!HEARTBEATING.has(this.currentState)) return;
    if (result instanceof Error) {
      this.onHeartbeatFailure(request, result, now);
      return;
    }
    const code = result.errorCode;
    if (code === ErrorCode.NONE) {
      this.heartbeatBackoff.reset();
      this.backoffUntil = 0;
      if (result.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = result.heartbeatIntervalMs;
      this.intervalAt = sentAt + this.heartbeatIntervalMs;
      if (result.memberId) this.memberIdValue = result.memberId;
      this.memberEpochValue = result.memberEpoch;
      // A leaving member does not take on new partitions.
      if (result.assignment !== null && this.currentState !== S.PREPARE_LEAVING) {
        this.onTargetAssignment(assignmentFromResponse(result.assignment));
      }
      return;
    }
    this.sent = unsent();
    this.intervalAt = now;
    switch (code) {
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
        this.markCoordinatorUnknown(now);
        this.backoffUntil = now;
        return;
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
        this.backoffUntil = now + this.heartbeatBackoff.fail();
        return;
      case ErrorCode.FENCED_MEMBER_EPOCH:
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.events.error(new GroupBrokerError('ConsumerGroupHeartbeat', code, result.errorMessage));
        this.fence(now);
        return;
      case ErrorCode.FENCED_INSTANCE_ID:
        this.fail(new FencedInstanceIdError(this.groupInstanceId ?? '', 'ConsumerGroupHeartbeat'));
        return;
      case ErrorCode.GROUP_MAX_SIZE_REACHED:
        this.fail(new GroupMaxSizeReachedError(this.groupId));
        return;
      case ErrorCode.UNSUPPORTED_VERSION:
        this.fail(this.unsupportedProtocol(result.errorMessage));
        return;
      case ErrorCode.GROUP_AUTHORIZATION_FAILED:
      case ErrorCode.INVALID_REQUEST:
      case ErrorCode.UNSUPPORTED_ASSIGNOR:
      case ErrorCode.UNRELEASED_INSTANCE_ID:
      case ErrorCode.INVALID_REGULAR_EXPRESSION:
        this.fail(this.fatalFromCode(code, result.errorMessage));
        return;
      case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
        // The member stays in the group (other topics may still be assigned); the user learns of it.
        this.backoffUntil = now + this.heartbeatBackoff.fail();
        this.events.error(new GroupBrokerError('ConsumerGroupHeartbeat', code, result.errorMessage));
        return;
      default:
        if (kafkaErrorInfo(code).retriable) {
          this.backoffUntil = now + this.heartbeatBackoff.fail();
          this.events.error(new GroupBrokerError('ConsumerGroupHeartbeat', code, result.errorMessage));
        } else {
          // Java treats an error it does not expect here as fatal: it may be a bug on either side.
          this.fail(this.fatalFromCode(code, result.errorMessage));
        }
        return;
    }
  }

  private onHeartbeatFailure(
    request: ConsumerProtocolRequestOf<'ConsumerGroupHeartbeat'>,
    error: Error,
    now: number,
  ): void {
    this.sent = unsent();
    this.intervalAt = now;
    if (error instanceof UnsupportedVersionError) {
      const brokerHasApi = error.brokerVersions !== null;
      const sub = this.subscription;
      if (request.minVersion >= 1 && brokerHasApi && sub?.kind === 'pattern') {
        // The broker speaks only v0, which cannot carry a regular expression: match it here instead.
        try {
          compileClientRegex(sub.regex);
        } catch (cause) {
          this.fail(
            new GroupFatalError(
              `the broker cannot resolve regular expressions and ${JSON.stringify(sub.regex)} is not one this client can`,
              ErrorCode.INVALID_REGULAR_EXPRESSION,
              { cause },
            ),
          );
          return;
        }
        this.regexResolution = 'client';
        this.backoffUntil = now;
        this.events.error(error);
        return;
      }
      this.fail(this.unsupportedProtocol(error.message, error));
      return;
    }
    this.markCoordinatorUnknown(now);
    this.backoffUntil = now + this.heartbeatBackoff.fail();
    this.events.error(error);
  }

  private onLeaveResponse(result: ConsumerGroupHeartbeatResponse | Error): void {
    if (this.currentState !== S.LEAVING) return;
    // Leaving is best effort, as in Java: whatever the answer, the member is out; a coordinator that
    // missed it expires the member after the session timeout.
    this.events.reportFailure('ConsumerGroupHeartbeat', result);
    this.finishLeaving();
  }

  private fatalFromCode(code: number, message: string | null): GroupFatalError {
    const detail = message ? `: ${message}` : '';
    return new GroupFatalError(
      `ConsumerGroupHeartbeat for group ${this.groupId} failed with ${kafkaErrorInfo(code).name}${detail}`,
      code,
    );
  }

  private unsupportedProtocol(message: string | null, cause?: Error): GroupFatalError {
    return new GroupFatalError(
      `the cluster does not support the consumer group protocol for group ${this.groupId}; use the classic protocol${message ? ` (${message})` : ''}`,
      ErrorCode.UNSUPPORTED_VERSION,
      { code: 'ERR_GROUP_PROTOCOL_UNSUPPORTED', cause },
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Timers

  private checkPollTimer(now: number): void {
    if (!IN_GROUP.includes(this.currentState)) return;
    if (now - this.lastPollAt <= this.maxPollIntervalMs) return;
    // Like Java, the member leaves with epoch -1 even when static, so that its partitions move on
    // at once, and does not wait for the answer.
    const coordinator = this.coordinatorLookup.node;
    if (coordinator !== null) {
      this.outbox.push(this.heartbeatRequest(coordinator, this.unchangedBody(LEAVE_GROUP_MEMBER_EPOCH)));
    }
    this.transitionTo(S.PREPARE_LEAVING);
    this.transitionTo(S.LEAVING);
    this.transitionTo(S.STALE);
    this.reconciliation = null;
    this.target = null;
    this.unresolved = [];
    this.setCurrent([]);
    this.memberEpochValue = 0;
    this.heartbeatInFlight = null;
    this.sent = unsent();
    this.polledSinceStale = false;
    const lost = this.consumerOwned;
    this.consumerOwned = [];
    if (lost.length > 0) this.events.raise('partitionsLost', lost);
  }

  private nextPollAt(now: number): number {
    let at = Number.POSITIVE_INFINITY;
    const consider = (t: number) => {
      at = Math.min(at, Math.max(t, now));
    };
    const s = this.currentState;
    consider(this.coordinatorLookup.nextLookupAt(this.needsCoordinator()));
    if (this.coordinatorLookup.node !== null) {
      if (this.heartbeats() && this.heartbeatInFlight === null) consider(this.heartbeatAt(now));
      if (s === S.LEAVING && this.leavePending) consider(now);
      if (this.describePending) consider(now);
    }
    if (IN_GROUP.includes(s)) consider(this.lastPollAt + this.maxPollIntervalMs + 1);
    return at;
  }

  // ---------------------------------------------------------------------------------------------
  // Coordinator

  private needsCoordinator(): boolean {
    return HEARTBEATING.has(this.currentState) || this.describePending;
  }

  private markCoordinatorUnknown(now: number): void {
    // An answer from the old coordinator says nothing about the membership any more.
    if (this.coordinatorLookup.markUnknown(now)) this.heartbeatInFlight = null;
  }

  private onFindCoordinator(
    request: ConsumerProtocolRequestOf<'FindCoordinator'>,
    result: FindCoordinatorResponse | Error,
    now: number,
  ): void {
    const outcome = this.coordinatorLookup.onResponse(request, result, now);
    if (outcome.kind !== 'denied') return;
    if (this.currentState === S.UNSUBSCRIBED) {
      // Only a describe wanted the coordinator: its caller learns of the refusal from `health()`.
      this.describePending = false;
      this.describeError = outcome.error;
      return;
    }
    this.fail(outcome.fatal);
  }

  // ---------------------------------------------------------------------------------------------
  // ConsumerGroupDescribe

  private onDescribe(result: ConsumerGroupDescribeResponse | Error, now: number): void {
    this.describedAt = now;
    if (result instanceof Error) {
      this.describeError = result;
      return;
    }
    try {
      this.description = readConsumerGroupDescription(result, this.groupId);
      this.describeError = null;
    } catch (error) {
      this.describeError = error as Error;
      if (error instanceof GroupBrokerError && isCoordinatorMoved(error.errorCode)) {
        this.markCoordinatorUnknown(now);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Request builder

  private request<A extends ConsumerProtocolApiName>(
    api: A,
    versions: [number, number],
    target: ConsumerProtocolRequestOf<A>['target'],
    body: ConsumerProtocolApis[A]['request'],
    bodyAt?: (version: number) => ConsumerProtocolApis[A]['request'],
  ): ConsumerProtocolRequestOf<A> {
    const timeoutMs = this.requestTimeoutMs;
    return memberRequest({ id: this.nextRequestId++, api, versions, target, timeoutMs, body, bodyAt });
  }
}

export type { TopicIdAndName } from './consumer-protocol-assignment.js';
