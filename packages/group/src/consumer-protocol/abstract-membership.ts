/**
 * What the members of the two broker-assigned protocols share (KIP-848's consumer protocol and
 * KIP-932's share groups), as Java's `AbstractMembershipManager` holds it for its consumer and share
 * membership managers: one heartbeat request carries the member epoch; the coordinator assigns
 * partitions by topic id, and the member reconciles them revoke-first; fencing drops what is owned and
 * rejoins with epoch 0; leaving revokes first. Each protocol adds its states table (with these state
 * names), the heartbeat's body and version, and the error codes only it has.
 *
 * Sub-state beside the state enum, and why: `reconciliation` is RECONCILING's own step (revoking or
 * assigning, with the event it waits for); the heartbeat's interval, backoff and the fields already sent
 * are timers and a cache, not states; `membershipInDoubt` (from a failed heartbeat, or two intervals
 * without an accepted one, to an accepted one) runs across STABLE, RECONCILING, FENCED and JOINING alike.
 */
import {
  ErrorCode,
  type ExponentialBackoff,
  kafkaErrorInfo,
  UnsupportedVersionError,
} from '@runnel/protocol';
import type { RequestNotes } from '../core/in-flight.js';
import type { GroupMemberSettings } from '../core/member-config.js';
import { MemberCore } from '../core/member-core.js';
import type { MemberStates } from '../core/state-machine.js';
import type { WakeUp } from '../core/timers.js';
import { GroupBrokerError, GroupConfigError, GroupFatalError, GroupMaxSizeReachedError } from '../errors.js';
import type { ApiMap, BrokerNode, MemberRequest } from '../requests.js';
import {
  assignmentFromResponse,
  assignmentOf,
  sameAssignment,
  type TopicIdAssignment,
  type TopicIdPartition,
} from './consumer-protocol-assignment.js';
import {
  acknowledged,
  maybeReconcile,
  onTargetAssignment,
  type Reconciliation,
  type ReconcilingMember,
} from './consumer-protocol-reconciliation.js';

/**
 * Heartbeat intervals without an accepted heartbeat after which the membership is in doubt. The
 * coordinator answers a heartbeat at once, so a member it has not confirmed for two intervals has lost
 * its way to it (a hung connection, a frozen broker, a coordinator that moved); the coordinator expires
 * the member only after the session timeout (45 s by default; it must exceed the interval), which the
 * client cannot know. Measured from when the last accepted heartbeat was sent (see `confirmedAt`).
 */
const UNCONFIRMED_HEARTBEAT_INTERVALS = 2;

/** The state names both protocols give their members (Kafka's `MemberState`); STALE is KIP-848's only. */
export type EpochMemberState =
  | 'UNSUBSCRIBED'
  | 'JOINING'
  | 'RECONCILING'
  | 'ACKNOWLEDGING'
  | 'STABLE'
  | 'FENCED'
  | 'PREPARE_LEAVING'
  | 'LEAVING'
  | 'FATAL'
  | 'STALE';

/** What the member notes about each request it waits for: when the heartbeat went out (the interval runs from there). */
export interface HeartbeatNotes {
  readonly heartbeat: { readonly sentAt: number };
}

/** The fields of a successful heartbeat answer both protocols read. */
export interface HeartbeatAnswer {
  readonly heartbeatIntervalMs: number;
  readonly memberId: string | null;
  readonly memberEpoch: number;
  readonly assignment: Parameters<typeof assignmentFromResponse>[0] | null;
}

/** The tables of a protocol's states that the heartbeat and the membership read. */
export interface EpochMemberTables<S extends string> {
  readonly states: MemberStates<S>;
  /** States the coordinator counts (or is about to count) in the group. */
  readonly inGroup: readonly S[];
  /** States that send heartbeats at the interval (LEAVING sends its one leave heartbeat on its own). */
  readonly heartbeating: ReadonlySet<S>;
}

/**
 * @returns a member id as Java's consumers make one: 16 random bytes in Kafka's base64 form.
 *
 * The bytes come from `Math.random` (V8 seeds it per process from the OS's entropy). A member id must be
 * unique, not secret: any client allowed to describe the group reads every member's id. A
 * cryptographic source meant loading node:crypto here, about 5 ms of CPU measured on the consumer
 * protocol's path from `subscribe` to its first heartbeat, where franz-go's whole start-up is ~20 ms.
 */
export function randomMemberId(): string {
  const bytes = Buffer.allocUnsafe(16);
  for (let i = 0; i < 16; i += 4) bytes.writeUInt32LE(Math.floor(Math.random() * 0x1_0000_0000), i);
  return bytes.toString('base64url');
}

/**
 * @returns the topic names a member subscribes to: each once, sorted.
 * @throws GroupConfigError when there is none, or one is empty (a member leaves with `leaveGroup`).
 */
export function subscribedNames(topics: readonly string[]): string[] {
  const names = [...new Set(topics)].sort();
  if (names.length === 0 || names.includes('')) {
    throw new GroupConfigError(
      'subscribe needs at least one non-empty topic name; use leaveGroup to unsubscribe',
    );
  }
  return names;
}

/** The membership of a broker-assigned member; see the file comment. */
export abstract class AbstractMembership<
    S extends EpochMemberState,
    Apis extends ApiMap<Apis>,
    Notes extends RequestNotes<Notes> & HeartbeatNotes,
  >
  extends MemberCore<S, Apis, Notes>
  implements ReconcilingMember
{
  readonly heartbeatBackoff: ExponentialBackoff;
  /** Topic names by id, from metadata; ids stay known once seen. */
  readonly topicNames = new Map<string, string>();
  readonly inGroup: readonly S[];
  readonly heartbeating: ReadonlySet<S>;

  memberId: string;
  memberEpoch = 0;
  /** What the coordinator knows the member owns (acknowledged or about to be). */
  current: readonly TopicIdPartition[] = [];
  target: TopicIdAssignment | null = null;
  unresolved: string[] = [];
  reconciliation: Reconciliation | null = null;

  heartbeatIntervalMs = 0;
  intervalAt = 0;
  backoffUntil = 0;
  /**
   * When the last accepted heartbeat was sent: the coordinator confirmed the membership as it stood
   * then, not when its answer arrived. A broker frozen while its offsets partition moved to another
   * takes the heartbeats queued on its connections once it thaws, and answers them from the group it
   * held before, a member the new coordinator has expired meanwhile among them.
   */
  private confirmedAt: number | null = null;

  constructor(tables: EpochMemberTables<S>, settings: GroupMemberSettings & { readonly memberId?: string }) {
    super(tables.states, settings);
    this.inGroup = tables.inGroup;
    this.heartbeating = tables.heartbeating;
    this.memberId = settings.memberId ?? randomMemberId();
    this.heartbeatBackoff = settings.backoff();
  }

  /** The name of the protocol's heartbeat API, for errors. */
  protected abstract readonly heartbeatApi: string;
  /** Forgets what the heartbeats told the coordinator: the next one carries every field. */
  abstract resetSentFields(): void;
  /** @returns the heartbeat to send now, with the protocol's body (only what changed, unless joining). */
  protected abstract nextHeartbeat(coordinator: BrokerNode): MemberRequest<Apis>;
  /** @returns the fatal error of a cluster without the protocol. */
  protected abstract unsupported(message: string | null, cause?: Error): GroupFatalError;
  /** Forgets the subscription (the member leaves). */
  protected abstract clearSubscription(): void;

  /** Replaces what the coordinator knows the member owns. */
  setCurrent(partitions: readonly TopicIdPartition[]): void {
    this.current = partitions;
  }

  /** Enters the state named `next` (both protocols name the reconciliation's states alike). */
  enterState(next: EpochMemberState): void {
    this.transitionTo(state<S>(next));
  }

  /** @returns whether the member is in one of the states the coordinator counts in the group. */
  get inTheGroup(): boolean {
    return this.inGroup.includes(this.state);
  }

  // ---------------------------------------------------------------------------------------------
  // Transitions

  protected override settleProtocolState(now: number): void {
    if (this.state === state<S>('FENCED')) this.startJoining(now);
  }

  /** Enters JOINING with epoch 0 and nothing owned: the next heartbeat (at once) carries every field. */
  override startJoining(now: number): void {
    this.transitionTo(state<S>('JOINING'));
    this.dropAssignment();
    this.resetSentFields();
    this.inFlight.forget('heartbeat');
    this.intervalAt = now;
  }

  /** The coordinator dropped the member: what the consumer holds is lost, and it rejoins with epoch 0. */
  fence(now: number): void {
    if (this.state === state<S>('PREPARE_LEAVING')) {
      this.skipLeaveRequest();
      this.memberEpoch = 0;
      return;
    }
    if (!this.inTheGroup) return;
    this.dropAssignment();
    this.resetSentFields();
    this.backoffUntil = now;
    // Until the consumer released what it held, none of it may be handed out: it is another's now.
    this.doubtMembership();
    this.resetTo(state<S>('FENCED'));
    this.settle(now);
  }

  /**
   * Leaves the group: revokes what the consumer holds (an event to acknowledge), then the protocol's
   * leave heartbeat goes. A FENCED (or STALE) member is already out and goes straight to UNSUBSCRIBED.
   * Does nothing when unsubscribed, already leaving, or fatal.
   */
  leaveGroup(now: number): void {
    if (this.isIn(state('UNSUBSCRIBED'), state('PREPARE_LEAVING'), state('LEAVING'), state('FATAL'))) return;
    this.clearSubscription();
    if (this.state === state<S>('FENCED') || this.state === state<S>('STALE')) {
      this.transitionTo(state<S>('UNSUBSCRIBED'));
      return;
    }
    this.reconciliation = null;
    this.beginLeaving('partitionsRevoked');
    this.settle(now);
  }

  override finishLeaving(): void {
    this.membershipInDoubt = false;
    this.enterInitial();
    this.dropAssignment();
    this.inFlight.forget('heartbeat');
    this.resetSentFields();
  }

  protected override onFatal(from: S): void {
    this.reconciliation = null;
    // Java runs onPartitionsLost on a fatal error, except when the member was leaving anyway.
    const lost = this.held;
    this.held = [];
    if (lost.length > 0 && from !== state<S>('PREPARE_LEAVING') && from !== state<S>('LEAVING')) {
      this.events.raise('partitionsLost', lost);
    }
  }

  protected override onAcknowledged(eventId: number): void {
    acknowledged(this, eventId);
  }

  /** The coordinator may have expired the member: what the consumer holds must wait (nothing held: no doubt). */
  private doubtMembership(): void {
    if (this.held.length > 0) this.membershipInDoubt = true;
  }

  /** Forgets the epoch, the target and what the coordinator knows the member owns. */
  protected dropAssignment(): void {
    this.memberEpoch = 0;
    this.target = null;
    this.unresolved = [];
    this.reconciliation = null;
    this.setCurrent([]);
  }

  // ---------------------------------------------------------------------------------------------
  // The heartbeat

  /** @returns whether the member heartbeats at the interval now (not once fenced while preparing to leave). */
  heartbeats(): boolean {
    return this.heartbeating.has(this.state) && !this.leaveRequestSkipped;
  }

  /** @returns when the next heartbeat may go: at once when joining or acknowledging, else at the interval; never inside a backoff. */
  heartbeatNextAt(now: number): number {
    const urgent =
      this.state === state<S>('ACKNOWLEDGING') ||
      (this.state === state<S>('JOINING') && this.memberEpoch === 0);
    return Math.max(this.backoffUntil, urgent ? now : this.intervalAt);
  }

  /**
   * @returns when the membership falls in doubt unless a heartbeat is accepted first (see
   *   `UNCONFIRMED_HEARTBEAT_INTERVALS`): a heartbeat that hangs (up to the request timeout) or a
   *   coordinator not found again would otherwise leave a member the coordinator may have expired
   *   handing out what it holds. Null while the member does not heartbeat at the interval or none was
   *   accepted yet.
   */
  protected override doubtDeadline(): number | null {
    if (!this.heartbeats() || this.confirmedAt === null || this.heartbeatIntervalMs <= 0) return null;
    return this.confirmedAt + UNCONFIRMED_HEARTBEAT_INTERVALS * this.heartbeatIntervalMs;
  }

  /** @returns whether a heartbeat is due at `now` (none in flight). */
  heartbeatDue(now: number): boolean {
    if (!this.heartbeats() || this.inFlight.has('heartbeat')) return false;
    return now >= this.heartbeatNextAt(now);
  }

  /** @returns the heartbeat due now, recorded as in flight; an ACKNOWLEDGING member is done acknowledging. */
  regularHeartbeat(coordinator: BrokerNode, now: number): MemberRequest<Apis> {
    const r = this.nextHeartbeat(coordinator);
    this.inFlight.start('heartbeat', r.id, { sentAt: now } as Notes['heartbeat']);
    this.intervalAt = now + this.heartbeatIntervalMs;
    if (this.state === state<S>('ACKNOWLEDGING')) {
      // Like Java, the acknowledgement is done once the heartbeat carrying it is out; a failure resends
      // every field, the owned partitions among them.
      if (this.target === null || sameAssignment(this.target, assignmentOf(this.current))) {
        this.unresolved = [];
        this.transitionTo(state<S>('STABLE'));
      } else {
        this.transitionTo(state<S>('RECONCILING'));
        maybeReconcile(this);
      }
    }
    return r;
  }

  /** Takes a successful heartbeat answer, arrived at `now`, to the heartbeat sent at `sentAt`. */
  onHeartbeatAccepted(answer: HeartbeatAnswer, sentAt: number, now: number): void {
    this.lastHeartbeatAt = now;
    this.confirmedAt = Math.max(this.confirmedAt ?? sentAt, sentAt);
    this.heartbeatBackoff.reset();
    this.backoffUntil = 0;
    if (answer.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = answer.heartbeatIntervalMs;
    const doubtAt = this.doubtDeadline();
    if (doubtAt === null || now < doubtAt) {
      this.membershipInDoubt = false;
      this.intervalAt = sentAt + this.heartbeatIntervalMs;
    } else {
      // An answer to a heartbeat sent before the doubt began leaves it. The next heartbeat, which
      // confirms or fences the member, goes to the coordinator another broker names, an interval
      // later: a thawed broker learns from the controller that it no longer coordinates the group, but
      // not at once.
      this.intervalAt = now + this.heartbeatIntervalMs;
      this.markCoordinatorUnknown(now);
    }
    if (answer.memberId) this.memberId = answer.memberId;
    this.memberEpoch = answer.memberEpoch;
    // A leaving member does not take on new partitions.
    if (answer.assignment !== null && this.state !== state<S>('PREPARE_LEAVING')) {
      onTargetAssignment(this, assignmentFromResponse(answer.assignment));
    }
  }

  /**
   * Takes a heartbeat answer's error code (not NONE) as both protocols do: the coordinator moved or
   * loads, fencing, a full group, an unsupported protocol, a topic not authorized; other retriable codes
   * back off, and any other code is fatal (as in Java: it may be a bug on either side).
   */
  onHeartbeatError(code: number, message: string | null, now: number): void {
    this.resetSentFields();
    this.intervalAt = now;
    const api = this.heartbeatApi;
    switch (code) {
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
        this.doubtMembership();
        this.markCoordinatorUnknown(now);
        this.backoffUntil = now;
        return;
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
        this.doubtMembership();
        this.backoffUntil = now + this.heartbeatBackoff.fail();
        return;
      case ErrorCode.FENCED_MEMBER_EPOCH:
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.events.error(new GroupBrokerError(api, code, message));
        this.fence(now);
        return;
      case ErrorCode.GROUP_MAX_SIZE_REACHED:
        this.fail(new GroupMaxSizeReachedError(this.settings.groupId));
        return;
      case ErrorCode.UNSUPPORTED_VERSION:
        this.fail(this.unsupported(message));
        return;
      case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
        // The member stays in the group (other topics may still be assigned); the user learns of it.
        this.backoffUntil = now + this.heartbeatBackoff.fail();
        this.events.error(new GroupBrokerError(api, code, message));
        return;
      default:
        if (kafkaErrorInfo(code).retriable) {
          this.doubtMembership();
          this.backoffUntil = now + this.heartbeatBackoff.fail();
          this.events.error(new GroupBrokerError(api, code, message));
        } else {
          this.fail(this.fatalFromCode(code, message));
        }
        return;
    }
  }

  /**
   * Takes a heartbeat that failed on the way (connection error, timeout): a version the broker lacks is
   * fatal, anything else looks the coordinator up again after a backoff.
   */
  onHeartbeatFailed(error: Error, now: number): void {
    this.resetSentFields();
    this.intervalAt = now;
    if (error instanceof UnsupportedVersionError) {
      this.fail(this.unsupported(error.message, error));
      return;
    }
    // The coordinator may have expired the member while the heartbeat was lost.
    this.doubtMembership();
    this.markCoordinatorUnknown(now);
    this.backoffUntil = now + this.heartbeatBackoff.fail();
    this.events.error(error);
  }

  /** @returns the fatal error of a heartbeat answered with `code`. */
  fatalFromCode(code: number, message: string | null): GroupFatalError {
    const detail = message ? `: ${message}` : '';
    return new GroupFatalError(
      `${this.heartbeatApi} for group ${this.settings.groupId} failed with ${kafkaErrorInfo(code).name}${detail}`,
      code,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // The driver loop

  protected override collectRequests(requests: MemberRequest<Apis>[], now: number): void {
    const coordinator = this.coordinatorLookup.node;
    if (coordinator === null || this.state === state<S>('LEAVING')) return;
    if (this.heartbeatDue(now)) requests.push(this.regularHeartbeat(coordinator, now));
  }

  protected override considerDeadlines(wakeUp: WakeUp, now: number): void {
    if (this.coordinatorLookup.node === null) return;
    if (this.heartbeats() && !this.inFlight.has('heartbeat')) wakeUp.consider(this.heartbeatNextAt(now));
  }

  protected override unresolvedTopicIds(): readonly string[] {
    return this.unresolved;
  }
}

/**
 * @returns `name` as a state of the protocol's own enum: both protocols name these states alike, and
 *   their tables (checked by the core's state machine) decide which transitions are allowed.
 */
function state<S extends EpochMemberState>(name: EpochMemberState): S {
  return name as S;
}
