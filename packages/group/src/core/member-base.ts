/**
 * The public shell every member class extends: what any protocol answers alike, read from its
 * `MemberCore`. A protocol's member class adds its own inputs and reads.
 */
import type { TopicPartition } from '@runnel/protocol';
import type { GroupFatalError } from '../errors.js';
import type { GroupMember, MemberPollResult } from '../group-member.js';
import type { ApiMap, BrokerNode, MemberRequest } from '../requests.js';
import { sortPartitions } from '../topic-partitions.js';
import type { MemberCore } from './member-core.js';

/** The public shell of a member over its core. */
export abstract class GroupMemberBase<
  S extends string,
  Apis extends ApiMap<Apis>,
  // biome-ignore lint/suspicious/noExplicitAny: the shell does not read the protocol's in-flight notes.
  Core extends MemberCore<S, Apis, any>,
> implements Pick<GroupMember<MemberRequest<Apis>>, 'recordPoll' | 'acknowledge' | 'poll'>
{
  protected constructor(protected readonly core: Core) {}

  /** @returns `group.id`. */
  get groupId(): string {
    return this.core.settings.groupId;
  }

  /** @returns `group.instance.id` of a static member, or null. */
  get groupInstanceId(): string | null {
    return this.core.settings.groupInstanceId;
  }

  /** @returns the current state. */
  get state(): S {
    return this.core.state;
  }

  /** @returns whether the member is out of the group: never joined, left, or fatal. */
  get isOutOfGroup(): boolean {
    const { initial, fatal } = this.core.states;
    return this.core.isIn(initial, fatal);
  }

  /** @returns the coordinator the member talks to, or null while it is unknown. */
  get coordinator(): BrokerNode | null {
    return this.core.coordinatorLookup.node;
  }

  /** @returns the partitions the consumer holds from the events raised so far, sorted. */
  get ownedPartitions(): TopicPartition[] {
    return sortPartitions(this.core.held);
  }

  /** @returns when (clock time) the coordinator last accepted a heartbeat; null before the first. */
  get lastHeartbeatAt(): number | null {
    return this.core.lastHeartbeatAt;
  }

  /**
   * @returns whether the coordinator has not confirmed the membership since a heartbeat failed: what
   *   the consumer holds may belong to another member by now (see `MemberCore.membershipInDoubt`).
   */
  get membershipInDoubt(): boolean {
    return this.core.membershipInDoubt;
  }

  /** @returns the error that put the member in FATAL, or null. */
  get fatalError(): GroupFatalError | null {
    return this.core.fatalError;
  }

  /**
   * Records that the user code polled, which restarts the max-poll-interval timer; a STALE member
   * rejoins on it once its lost partitions are acknowledged.
   */
  recordPoll(now: number): void {
    this.core.recordPoll(now);
  }

  /**
   * Tells the member the consumer finished handling an event (callbacks ran, revoked offsets committed).
   * Unknown or already acknowledged ids are ignored, so a late acknowledgement after a reset is harmless.
   */
  acknowledge(eventId: number, now: number): void {
    this.core.acknowledge(eventId, now);
  }

  /**
   * Advances timers to `now` and collects what the driver must do.
   * @returns the requests to send now (each one at most once), the events raised since the last poll,
   *   the time by which to poll again, and what the member needs from metadata.
   * @throws IllegalTransitionError only on a bug in the state machine.
   */
  poll(now: number): MemberPollResult<MemberRequest<Apis>> {
    return this.core.poll(now);
  }
}
