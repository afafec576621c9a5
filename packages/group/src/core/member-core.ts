/**
 * What every group member shares, whatever its protocol: the state machine over the protocol's own
 * table, the coordinator lookup, the requests in flight, the max-poll-interval timer, the events and
 * the partitions they handed to the consumer, failing, leaving, and the `poll` loop that puts them
 * together. A protocol subclasses it with its own states, fields and handlers (see `classic/` and
 * `consumer-protocol/`); nothing here knows an API but FindCoordinator.
 *
 * Sub-state kept beside the state enum, and why it is not a state of its own: `leave` (below) is the
 * progress of a leave inside PREPARE_LEAVING and LEAVING, one explicit value instead of the flags
 * `leavePending`, `leaveInFlight` and `skipLeave`; the requests awaited are one `InFlightRequests`
 * registry, orthogonal to the state because a heartbeat runs beside a join or a sync; and
 * `PollInterval` keeps whether the user polled since the member stalled.
 */
import type { TopicPartition } from '@runnel/protocol';
import type { GroupFatalError } from '../errors.js';
import type { MemberPollResult } from '../group-member.js';
import type { FindCoordinatorResponse } from '../messages.js';
import {
  type ApiMap,
  type BrokerNode,
  type MemberApiName,
  type MemberApis,
  type MemberRequest,
  type MemberRequestOf,
  type MemberRequestTarget,
  memberRequest,
} from '../requests.js';
import {
  CoordinatorLookup,
  type CoordinatorLookupOutcome,
  isCoordinatorMoved,
} from './coordinator-lookup.js';
import { InFlightRequests, type RequestNotes } from './in-flight.js';
import type { GroupMemberSettings } from './member-config.js';
import { MemberEvents } from './member-events.js';
import { type MemberStates, StateMachine } from './state-machine.js';
import { PollInterval, WakeUp } from './timers.js';

/**
 * Where a leave stands, from `leaveGroup` until the member is out:
 * - `revoking` (PREPARE_LEAVING): waiting for the consumer to acknowledge the revocation;
 *   `sendRequest` turns false when the coordinator already dropped the member (nothing to leave);
 * - `due` (LEAVING): the request that leaves goes out at the next poll;
 * - `in-flight` (LEAVING): that request is on its way.
 */
export type LeaveStep =
  | { readonly kind: 'revoking'; sendRequest: boolean }
  | { readonly kind: 'due' }
  | { readonly kind: 'in-flight'; readonly requestId: number };

/** The in-flight notes every member keeps: at least one for its heartbeat. */
export interface CoreNotes {
  readonly heartbeat: unknown;
}

/** The topic ids a member that needs none reports. */
const NO_TOPIC_IDS: readonly string[] = Object.freeze([]);

/** The request bodies of `Apis`, for a member's request builder. */
type BodyOf<Apis extends ApiMap<Apis>, A extends keyof Apis> = Apis[A]['request'];

/** The shared core of a group member; see the file comment. */
export abstract class MemberCore<
  S extends string,
  Apis extends ApiMap<Apis>,
  Notes extends RequestNotes<Notes> & CoreNotes,
> {
  readonly settings: GroupMemberSettings;
  readonly events = new MemberEvents();
  readonly coordinatorLookup: CoordinatorLookup;
  readonly inFlight = new InFlightRequests<Notes>();
  readonly pollInterval: PollInterval;
  /** What the consumer holds, through the events raised so far (in the order they were handed out). */
  held: TopicPartition[] = [];
  /**
   * When (clock time) the coordinator last accepted a heartbeat of this member; null before the first.
   * Only heartbeat answers move it (not a found coordinator), so its age says how long the coordinator
   * has not confirmed the member.
   */
  lastHeartbeatAt: number | null = null;
  /**
   * True from a heartbeat that got no answer (the connection broke, it timed out), an answer that the
   * coordinator moved, loads or is unavailable, or two heartbeat intervals without an accepted
   * heartbeat (one that hangs, a coordinator not found), until the coordinator accepts one again: the
   * coordinator may have expired the member meanwhile and handed its partitions to others, who may have
   * committed past where this member's fetches stand. Set so by the epoch members (consumer protocol,
   * share groups), whose clients cannot know the session timeout. A classic member knows it (it sent
   * it), so a failed heartbeat alone leaves it sure; it falls in doubt one heartbeat interval before its
   * session could run out with no heartbeat accepted (see `ClassicMembership.sessionConfirmedAt`).
   */
  membershipInDoubt = false;

  private readonly machine: StateMachine<S>;
  /** Requests sent without waiting for their answer (the leave after a poll timeout). */
  private outbox: MemberRequest<Apis>[] = [];
  private fatal: GroupFatalError | null = null;
  private leave: LeaveStep | null = null;
  private requestIds = 1;

  constructor(states: MemberStates<S>, settings: GroupMemberSettings) {
    this.settings = settings;
    this.machine = new StateMachine(states);
    this.pollInterval = new PollInterval(settings.maxPollIntervalMs);
    this.coordinatorLookup = new CoordinatorLookup(
      settings.groupId,
      settings.backoff(),
      settings.requestTimeoutMs,
      () => this.nextRequestId(),
      this.events,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // What the protocol adds

  /** Moves on from the protocol's own states that only wait for acknowledgements (see `settle`). */
  protected abstract settleProtocolState(now: number): void;
  /** Enters the protocol's joining state, to join again (from STALE here; from others in the protocol). */
  abstract startJoining(now: number): void;
  /** @returns whether the protocol sends a request to leave (a classic static member does not). */
  protected leaveRequestWanted(): boolean {
    return true;
  }
  /** Resets the protocol's membership fields and enters the initial state (call `enterInitial`). */
  abstract finishLeaving(): void;
  /** @returns whether the member needs the coordinator in its current state. */
  protected abstract needsCoordinator(): boolean;
  /** Runs the protocol's timers due at `now` before requests are collected (session, max poll interval; none by default). */
  protected checkTimers(_now: number): void {}
  /**
   * @returns when the membership falls in doubt unless the coordinator confirms it first, by the
   *   protocol's rule (see `membershipInDoubt`), or null for no deadline in the current state. Asked
   *   only while something is held and the membership is not in doubt already.
   */
  protected abstract doubtDeadline(): number | null;
  /** Adds the protocol's requests due at `now` (after FindCoordinator and the leave). */
  protected abstract collectRequests(requests: MemberRequest<Apis>[], now: number): void;
  /** Adds the protocol's deadlines to `wakeUp` (the lookup's and the leave's are added here). */
  protected abstract considerDeadlines(wakeUp: WakeUp, now: number): void;
  /** @returns the request that leaves the group, sent to `coordinator`. */
  protected abstract leaveRequest(coordinator: BrokerNode): MemberRequest<Apis>;
  /** Called on entering FATAL, before the fatal event is raised; `from` is the state it failed in. */
  protected onFatal(from: S): void {
    void from;
  }
  /** Called when the consumer acknowledged event `eventId`, before `settle`. */
  protected onAcknowledged(eventId: number): void {
    void eventId;
  }
  /** @returns the topic ids the member needs named by metadata (by default none). */
  protected unresolvedTopicIds(): readonly string[] {
    return NO_TOPIC_IDS;
  }
  /** @returns whether the member needs the cluster's whole topic list (by default not). */
  protected topicListWanted(): boolean {
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // State

  /**
   * Moves on from states that only wait for acknowledgements (or a poll) once nothing is pending:
   * STALE rejoins once the user polled, PREPARE_LEAVING leaves; the protocol's own states follow its
   * `settleProtocolState`.
   */
  settle(now: number): void {
    if (this.events.awaitingAcknowledgement) return;
    const { stale, prepareLeaving } = this.states;
    if (this.state === stale) {
      if (this.pollInterval.polledSinceStalled) this.startJoining(now);
    } else if (this.state === prepareLeaving) {
      this.revokedForLeaving(this.leaveRequestWanted());
    } else {
      this.settleProtocolState(now);
    }
  }

  /** @returns the protocol's table and the roles of its states. */
  get states(): MemberStates<S> {
    return this.machine.states;
  }

  /** @returns the current state. */
  get state(): S {
    return this.machine.state;
  }

  /** @returns whether the current state is one of `states`. */
  isIn(...states: readonly S[]): boolean {
    return states.includes(this.machine.state);
  }

  /** Enters `next`. @throws IllegalTransitionError when the protocol's table does not allow it. */
  transitionTo(next: S): void {
    this.machine.transitionTo(next);
  }

  /** @returns the error that put the member in FATAL, or null. */
  get fatalError(): GroupFatalError | null {
    return this.fatal;
  }

  /** @returns a new request id, unique among this member's requests. */
  nextRequestId(): number {
    return this.requestIds++;
  }

  /** @returns a member request of `api` with the next request id; `bodyAt` defaults to `body` at every version. */
  request<A extends keyof Apis & string>(
    api: A,
    versions: readonly [number, number],
    target: MemberRequestTarget,
    body: BodyOf<Apis, A>,
    options: {
      timeoutMs?: number;
      bodyAt?: (version: number) => BodyOf<Apis, A>;
      metadataMaxAgeMs?: number;
    } = {},
  ): MemberRequestOf<Apis, A> {
    const timeoutMs = options.timeoutMs ?? this.settings.requestTimeoutMs;
    const id = this.nextRequestId();
    // The API maps of the members are parts of MemberApis, so `api` and `body` fit `memberRequest`.
    return memberRequest({
      id,
      api: api as MemberApiName,
      versions,
      target,
      timeoutMs,
      ...(options.metadataMaxAgeMs === undefined ? {} : { metadataMaxAgeMs: options.metadataMaxAgeMs }),
      body: body as never,
      bodyAt: options.bodyAt as never,
    }) as unknown as MemberRequestOf<Apis, A>;
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs every member takes alike

  /** Records that the user's code polled; a STALE member rejoins on it once nothing is pending. */
  recordPoll(now: number): void {
    this.pollInterval.record(now);
    if (this.state === this.states.stale) this.settle(now);
  }

  /** Takes the consumer's acknowledgement of event `eventId`; unknown or repeated ids are ignored. */
  acknowledge(eventId: number, now: number): void {
    if (!this.events.acknowledge(eventId)) return;
    this.onAcknowledged(eventId);
    this.settle(now);
  }

  /** @returns the answer's meaning for the member; the lookup itself is updated. */
  onFindCoordinator(
    request: MemberRequestOf<MemberApis, 'FindCoordinator'>,
    result: FindCoordinatorResponse | Error,
    now: number,
  ): CoordinatorLookupOutcome {
    return this.coordinatorLookup.onResponse(request, result, now);
  }

  /** Forgets the coordinator; an answer to the heartbeat sent to it says nothing about the membership now. */
  markCoordinatorUnknown(now: number): void {
    if (this.coordinatorLookup.markUnknown(now)) this.inFlight.forget('heartbeat');
  }

  /** Applies the coordinator errors every coordinator API shares. @returns whether `code` was one. */
  handleCoordinatorError(code: number, now: number): boolean {
    if (!isCoordinatorMoved(code)) return false;
    this.markCoordinatorUnknown(now);
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // The driver loop

  /**
   * Advances timers to `now` and collects what the driver must do.
   * @returns the requests to send now (each one at most once), the events raised since the last poll,
   *   the time by which to poll again, and what the member needs from metadata.
   * @throws IllegalTransitionError only on a bug in the state machine.
   */
  poll(now: number): MemberPollResult<MemberRequest<Apis>> {
    this.checkTimers(now);
    const doubtAt = this.pendingDoubtDeadline();
    if (doubtAt !== null && now >= doubtAt) this.membershipInDoubt = true;
    const requests = this.outbox;
    this.outbox = [];
    const find = this.coordinatorLookup.poll(this.needsCoordinator(), now);
    if (find !== null) requests.push(find as unknown as MemberRequest<Apis>);
    this.pollLeave(requests);
    this.collectRequests(requests, now);
    const events = this.events.take();
    const wakeUp = new WakeUp(now);
    wakeUp.consider(this.coordinatorLookup.nextLookupAt(this.needsCoordinator()));
    if (this.leave?.kind === 'due' && this.coordinatorLookup.node !== null) wakeUp.consider(now);
    this.considerDeadlines(wakeUp, now);
    const nextDoubtAt = this.pendingDoubtDeadline();
    if (nextDoubtAt !== null) wakeUp.consider(nextDoubtAt);
    return {
      requests,
      events,
      nextPollAt: wakeUp.at,
      unresolvedTopicIds: this.unresolvedTopicIds(),
      topicListWanted: this.topicListWanted(),
    };
  }

  /** @returns the protocol's doubt deadline while it can matter: something held, not in doubt yet. */
  private pendingDoubtDeadline(): number | null {
    if (this.membershipInDoubt || this.held.length === 0) return null;
    return this.doubtDeadline();
  }

  /** Queues `request` for the next poll without waiting for its answer. */
  sendWithoutWaiting(request: MemberRequest<Apis>): void {
    this.outbox.push(request);
  }

  // ---------------------------------------------------------------------------------------------
  // Losing, failing, stalling

  /** Resets the membership: enters `next`, and what the consumer holds is lost (an event to acknowledge). */
  resetTo(next: S): void {
    const lost = this.held;
    this.held = [];
    this.transitionTo(next);
    if (lost.length > 0) this.events.raise('partitionsLost', lost);
  }

  /**
   * The user's code went past the max poll interval: the member leaves on its own, sending `leave`
   * (when given) without waiting for the answer, walks `path` (ending in the stale state) and loses
   * what the consumer holds. It rejoins on the next `recordPoll`.
   */
  stall(leave: MemberRequest<Apis> | null, path: readonly S[]): void {
    if (leave !== null) this.outbox.push(leave);
    this.pollInterval.stall();
    const lost = this.held;
    this.held = [];
    for (const state of path) this.transitionTo(state);
    if (lost.length > 0) this.events.raise('partitionsLost', lost);
  }

  /**
   * Enters FATAL for good with `error`, unless the table does not allow it from here (already fatal,
   * or out of the group), and raises the fatal event. Nothing is awaited any more.
   */
  fail(error: GroupFatalError): void {
    const from = this.state;
    if (!this.machine.canEnter(this.states.fatal)) return;
    this.transitionTo(this.states.fatal);
    this.fatal = error;
    this.events.forgetAcknowledgements();
    this.inFlight.forget('heartbeat');
    this.outbox = [];
    this.leave = null;
    this.onFatal(from);
    this.events.fatal(error);
  }

  // ---------------------------------------------------------------------------------------------
  // Leaving

  /**
   * Enters PREPARE_LEAVING: what the consumer holds goes back as `type` (revoked; lost when there is
   * no membership to give it back under), and the leave waits for that acknowledgement.
   */
  beginLeaving(type: 'partitionsRevoked' | 'partitionsLost'): void {
    const held = this.held;
    this.held = [];
    this.transitionTo(this.states.prepareLeaving);
    this.leave = { kind: 'revoking', sendRequest: true };
    if (held.length > 0) this.events.raise(type, held);
  }

  /** The coordinator already dropped the member while it prepared to leave: no leave request is sent. */
  skipLeaveRequest(): void {
    if (this.leave?.kind === 'revoking') this.leave.sendRequest = false;
  }

  /** @returns whether the member prepares to leave without a request (it was dropped meanwhile). */
  get leaveRequestSkipped(): boolean {
    return this.leave?.kind === 'revoking' && !this.leave.sendRequest;
  }

  /**
   * The revocation was acknowledged: enters LEAVING. The leave request is due when `wanted` by the
   * protocol, not skipped, and a coordinator is known; otherwise the member finishes leaving at once.
   */
  revokedForLeaving(wanted: boolean): void {
    const send =
      wanted &&
      this.leave?.kind === 'revoking' &&
      this.leave.sendRequest &&
      this.coordinatorLookup.node !== null;
    this.transitionTo(this.states.leaving);
    this.leave = send ? { kind: 'due' } : null;
    if (!send) this.finishLeaving();
  }

  /**
   * Takes the answer to the leave request: whatever it says the member is out (leaving is best effort,
   * as in Java; a coordinator that missed it expires the member after the session timeout).
   * @returns whether `requestId` was the leave request in flight.
   */
  onLeaveAnswer(
    requestId: number,
    api: string,
    result: { errorCode: number; errorMessage?: string | null } | Error,
  ): boolean {
    if (this.leave?.kind !== 'in-flight' || this.leave.requestId !== requestId) return false;
    this.leave = null;
    if (this.state !== this.states.leaving) return true;
    this.events.reportFailure(api, result);
    this.finishLeaving();
    return true;
  }

  /** Enters the initial state after leaving (from `finishLeaving`). */
  protected enterInitial(): void {
    this.transitionTo(this.states.initial);
    this.leave = null;
  }

  private pollLeave(requests: MemberRequest<Apis>[]): void {
    if (this.leave?.kind !== 'due' || this.state !== this.states.leaving) return;
    const coordinator = this.coordinatorLookup.node;
    if (coordinator === null) {
      this.leave = null;
      this.finishLeaving();
      return;
    }
    const request = this.leaveRequest(coordinator);
    this.leave = { kind: 'in-flight', requestId: request.id };
    requests.push(request);
  }
}
