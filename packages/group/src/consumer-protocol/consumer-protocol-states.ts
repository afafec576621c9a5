/**
 * The states of a consumer-protocol (KIP-848) member and its transition table, as Kafka's
 * `MemberState` names them: for each state, the states it may be entered from. `StateMachine` (core)
 * throws on anything else.
 */
import type { MemberStates } from '../core/state-machine.js';

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

const { UNSUBSCRIBED, JOINING, RECONCILING, ACKNOWLEDGING, STABLE } = ConsumerProtocolMemberState;
const { FENCED, PREPARE_LEAVING, LEAVING, FATAL, STALE } = ConsumerProtocolMemberState;

/** States of a member the coordinator counts (or is about to count) in the group. */
export const IN_GROUP: readonly ConsumerProtocolMemberState[] = [JOINING, RECONCILING, ACKNOWLEDGING, STABLE];

/**
 * The transition table: for each state, the states it may be entered from. Staying in a state is not a
 * transition.
 */
export const CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES: {
  readonly [K in ConsumerProtocolMemberState]: readonly ConsumerProtocolMemberState[];
} = {
  UNSUBSCRIBED: [LEAVING, FENCED, STALE],
  JOINING: [UNSUBSCRIBED, FENCED, STALE],
  RECONCILING: [JOINING, STABLE, ACKNOWLEDGING],
  ACKNOWLEDGING: [RECONCILING],
  STABLE: [JOINING, RECONCILING, ACKNOWLEDGING],
  FENCED: IN_GROUP,
  PREPARE_LEAVING: IN_GROUP,
  LEAVING: [PREPARE_LEAVING],
  FATAL: [...IN_GROUP, FENCED, PREPARE_LEAVING, LEAVING, STALE],
  STALE: [LEAVING],
};

/** The consumer-protocol table, with the roles the shared core plays on its states. */
export const CONSUMER_PROTOCOL_MEMBER_STATES: MemberStates<ConsumerProtocolMemberState> = {
  validPrevious: CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES,
  initial: UNSUBSCRIBED,
  fatal: FATAL,
  prepareLeaving: PREPARE_LEAVING,
  leaving: LEAVING,
  stale: STALE,
};

/** States that send heartbeats at the interval (LEAVING sends its one leave heartbeat on its own). */
export const HEARTBEATING: ReadonlySet<ConsumerProtocolMemberState> = new Set([...IN_GROUP, PREPARE_LEAVING]);

/** The epoch that asks the coordinator to remove a member. */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
/** The epoch a static member leaves with: it keeps its partitions reserved for its instance id. */
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;
