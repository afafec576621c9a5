/**
 * The states of a share group member (KIP-932) and its transition table, named as Kafka's
 * `MemberState` names them: for each state, the states it may be entered from. `StateMachine` (core)
 * throws on anything else. A share member has no max poll interval (records carry acquisition locks
 * instead), so it has no STALE state.
 */
import type { MemberStates } from '../core/state-machine.js';

/**
 * The states of a share group member.
 * - `UNSUBSCRIBED`: not in the group (initial, and after leaving); `subscribe` starts joining.
 * - `JOINING`: heartbeating with epoch 0 and the subscription, until the coordinator answers with an
 *   assignment.
 * - `RECONCILING`: the target assignment differs from what the member owns: stop fetching the revoked
 *   partitions (event, wait for the acknowledgement), then fetch the new ones (event, wait), or wait for
 *   metadata to name new topics.
 * - `ACKNOWLEDGING`: reconciled; the next heartbeat (sent at once) tells the coordinator so.
 * - `STABLE`: fetches its target assignment; heartbeating at the interval the coordinator set.
 * - `FENCED`: the coordinator dropped it (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID); once the lost
 *   partitions are acknowledged it rejoins with epoch 0.
 * - `PREPARE_LEAVING`: leaving was asked for; waiting for the consumer to stop fetching.
 * - `LEAVING`: the heartbeat that leaves (epoch -1) is in flight.
 * - `FATAL`: the member cannot continue (group full, authorization, not a share group, unsupported).
 */
export const ShareMemberState = {
  UNSUBSCRIBED: 'UNSUBSCRIBED',
  JOINING: 'JOINING',
  RECONCILING: 'RECONCILING',
  ACKNOWLEDGING: 'ACKNOWLEDGING',
  STABLE: 'STABLE',
  FENCED: 'FENCED',
  PREPARE_LEAVING: 'PREPARE_LEAVING',
  LEAVING: 'LEAVING',
  FATAL: 'FATAL',
} as const;

/** One of {@link ShareMemberState}. */
export type ShareMemberState = (typeof ShareMemberState)[keyof typeof ShareMemberState];

const { UNSUBSCRIBED, JOINING, RECONCILING, ACKNOWLEDGING, STABLE } = ShareMemberState;
const { FENCED, PREPARE_LEAVING, LEAVING, FATAL } = ShareMemberState;

/** States of a member the coordinator counts (or is about to count) in the group. */
export const SHARE_IN_GROUP: readonly ShareMemberState[] = [JOINING, RECONCILING, ACKNOWLEDGING, STABLE];

/**
 * The transition table: for each state, the states it may be entered from. Staying in a state is not a
 * transition.
 */
export const SHARE_VALID_PREVIOUS_STATES: {
  readonly [K in ShareMemberState]: readonly ShareMemberState[];
} = {
  UNSUBSCRIBED: [LEAVING, FENCED],
  JOINING: [UNSUBSCRIBED, FENCED],
  RECONCILING: [JOINING, STABLE, ACKNOWLEDGING],
  ACKNOWLEDGING: [RECONCILING],
  STABLE: [JOINING, RECONCILING, ACKNOWLEDGING],
  FENCED: SHARE_IN_GROUP,
  PREPARE_LEAVING: SHARE_IN_GROUP,
  LEAVING: [PREPARE_LEAVING],
  FATAL: [...SHARE_IN_GROUP, FENCED, PREPARE_LEAVING, LEAVING],
};

/** The share table, with the roles the shared core plays on its states (no stale one). */
export const SHARE_MEMBER_STATES: MemberStates<ShareMemberState> = {
  validPrevious: SHARE_VALID_PREVIOUS_STATES,
  initial: UNSUBSCRIBED,
  fatal: FATAL,
  prepareLeaving: PREPARE_LEAVING,
  leaving: LEAVING,
  stale: null,
};

/** States that send heartbeats at the interval (LEAVING sends its one leave heartbeat on its own). */
export const SHARE_HEARTBEATING: ReadonlySet<ShareMemberState> = new Set([
  ...SHARE_IN_GROUP,
  PREPARE_LEAVING,
]);

/** The epoch that asks the coordinator to remove a share member. */
export const SHARE_LEAVE_GROUP_MEMBER_EPOCH = -1;
