/**
 * The one interface a driver runs any group member through, whatever its protocol: the consumer's
 * group driver holds a `GroupMember` and never asks which class it is.
 */
import type { TopicPartition } from '@runnel/protocol';
import type { GroupFatalError } from './errors.js';
import type { GroupEvent, GroupGeneration } from './events.js';
import type { BrokerNode, MemberApis, MemberRequest, RequestShape } from './requests.js';
import type { TopicIdAndName } from './topic-partitions.js';

/** Any request of any member: the type parameter of {@link GroupMember} and its poll result. */
export type AnyMemberRequest = RequestShape<string, unknown>;

/** The decoded response to a member's request `R`. */
export type ResponseTo<R extends AnyMemberRequest> = R['api'] extends keyof MemberApis
  ? MemberApis[R['api']]['response']
  : unknown;

/**
 * What `poll` returns: the requests to send now, the events for the consumer, and when to poll next.
 * `R` is the union of the member's requests (every member's by default).
 */
export interface MemberPollResult<R extends AnyMemberRequest = MemberRequest> {
  readonly requests: R[];
  readonly events: GroupEvent[];
  /** The time (same clock as `now`) by which `poll` must be called again; `Infinity` when only input can change anything. */
  readonly nextPollAt: number;
  /** Topic ids of the assignment that `onMetadata` has not named yet: refresh metadata for them. */
  readonly unresolvedTopicIds: readonly string[];
  /** True when the member needs the cluster's whole topic list (a regular expression matched here). */
  readonly topicListWanted: boolean;
}

/**
 * A sans-I/O group member. The driver calls `poll(now)`, sends the requests it returns, hands each
 * answer (or the Error that stopped the request) to `onResponse`, shows the events to the consumer,
 * calls `acknowledge` once the consumer handled one, and polls again after any input or at
 * `nextPollAt` at the latest.
 */
export interface GroupMember<R extends AnyMemberRequest = MemberRequest> {
  readonly groupId: string;
  readonly groupInstanceId: string | null;
  /** The protocol's name for the current state, e.g. `STABLE`. */
  readonly state: string;
  /** True when the member is out of the group: never joined, left, or fatal. */
  readonly isOutOfGroup: boolean;
  /** The member id; '' while the member has none. */
  readonly memberId: string;
  /** The member epoch (consumer protocol) or the generation id (classic). */
  readonly memberEpoch: number;
  /** The coordinator the member talks to, or null while it is unknown. */
  readonly coordinator: BrokerNode | null;
  /** The partitions the consumer holds from the events raised so far, sorted. */
  readonly ownedPartitions: TopicPartition[];
  /** When (clock time, as `now`) the coordinator last accepted a heartbeat; null before the first. */
  readonly lastHeartbeatAt: number | null;
  /**
   * True while the coordinator has not confirmed the membership: since a heartbeat failed or went
   * unanswered for two intervals (consumer protocol and share groups), or, for classic members, from one
   * heartbeat interval before the session could run out without an accepted heartbeat. The partitions
   * held may have gone to another member.
   */
  readonly membershipInDoubt: boolean;
  /** The error that put the member in its fatal state, or null. */
  readonly fatalError: GroupFatalError | null;
  /**
   * True when the coordinator names assigned topics by id only: the driver feeds `onMetadata` with the
   * ids and names of the subscribed topics.
   */
  readonly assignsByTopicId: boolean;

  /** @returns the membership to send OffsetCommit under, also for logs. */
  generation(): GroupGeneration;
  /**
   * Subscribes to topic names (or changes the subscription); counts as a poll of the user's code.
   * @throws GroupConfigError on an empty list or name where the protocol needs one;
   *   IllegalTransitionError while leaving, or fatal.
   */
  subscribe(topics: readonly string[], now: number): void;
  /**
   * Subscribes to the topics whose whole name matches `regex` (RE2/J syntax).
   * @throws GroupConfigError when the protocol resolves no regular expressions or `regex` is not
   *   valid; IllegalTransitionError while leaving, or fatal.
   */
  subscribePattern(regex: string, now: number): void;
  /** Supplies topic ids and names from metadata (ignored by members that name topics themselves). */
  onMetadata(topics: readonly TopicIdAndName[]): void;
  /** Records that the user's code polled, which restarts the max-poll-interval timer. */
  recordPoll(now: number): void;
  /** Tells the member the consumer finished handling event `eventId`; unknown ids are ignored. */
  acknowledge(eventId: number, now: number): void;
  /** Leaves the group (revoking first); does nothing when not in the group, leaving, or fatal. */
  leaveGroup(now: number): void;
  /** Reports an OffsetCommit error code sent under `generationId`, so membership errors take effect. */
  onOffsetCommitError(errorCode: number, generationId: number, now: number): void;
  /**
   * Advances timers to `now` and collects what the driver must do.
   * @returns the requests to send (each once), the events raised since the last poll, when to poll
   *   next, and what the member needs from metadata.
   * @throws IllegalTransitionError only on a bug in the state machine.
   */
  poll(now: number): MemberPollResult<R>;
  /**
   * Hands the member the answer to one of its requests: the decoded response, or an Error when the
   * request failed. An answer to a request the member no longer waits for is ignored.
   * @throws IllegalTransitionError only on a bug in the state machine.
   */
  onResponse(request: R, result: ResponseTo<R> | Error, now: number): void;
}
