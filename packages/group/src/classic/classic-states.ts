/**
 * The states of a classic group member and its transition table: every state the member can be in,
 * and for each one the states it may be entered from. `StateMachine` (core) throws on anything else.
 */
import type { MemberStates } from '../core/state-machine.js';

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

const { UNJOINED, JOINING, ASSIGNING, SYNCING, RECONCILING, STABLE } = MemberState;
const { PREPARING_REJOIN, LOSING, STALE, PREPARE_LEAVING, LEAVING, FATAL } = MemberState;

/** States in which the member holds (or is getting) a membership and may be told it lost it. */
export const IN_GROUP: readonly MemberState[] = [
  JOINING,
  ASSIGNING,
  SYNCING,
  RECONCILING,
  STABLE,
  PREPARING_REJOIN,
];

/**
 * The transition table: for each state, the states it may be entered from. Staying in a state (JOINING
 * after MEMBER_ID_REQUIRED, for instance) is not a transition.
 */
export const VALID_PREVIOUS_STATES: { readonly [K in MemberState]: readonly MemberState[] } = {
  UNJOINED: [PREPARE_LEAVING, LEAVING],
  JOINING: [UNJOINED, ASSIGNING, SYNCING, PREPARING_REJOIN, LOSING, STALE],
  ASSIGNING: [JOINING],
  SYNCING: [JOINING, ASSIGNING],
  RECONCILING: [SYNCING],
  STABLE: [RECONCILING],
  PREPARING_REJOIN: [RECONCILING, STABLE],
  LOSING: IN_GROUP,
  STALE: [ASSIGNING, SYNCING, RECONCILING, STABLE, PREPARING_REJOIN],
  PREPARE_LEAVING: [...IN_GROUP, LOSING, STALE],
  LEAVING: [PREPARE_LEAVING],
  FATAL: [...IN_GROUP, LOSING, STALE, PREPARE_LEAVING],
};

/** The classic table, with the roles the shared core plays on its states. */
export const CLASSIC_MEMBER_STATES: MemberStates<MemberState> = {
  validPrevious: VALID_PREVIOUS_STATES,
  initial: UNJOINED,
  fatal: FATAL,
  prepareLeaving: PREPARE_LEAVING,
  leaving: LEAVING,
  stale: STALE,
};

/** States that heartbeat while the member has a generation. */
export const HEARTBEATING: ReadonlySet<MemberState> = new Set([
  ASSIGNING,
  SYNCING,
  RECONCILING,
  STABLE,
  PREPARING_REJOIN,
  PREPARE_LEAVING,
]);

/** States that need to know the coordinator. */
export const NEEDS_COORDINATOR: ReadonlySet<MemberState> = new Set([...IN_GROUP, LOSING, PREPARE_LEAVING]);
