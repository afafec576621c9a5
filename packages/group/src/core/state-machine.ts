/**
 * The state of a group member under any protocol: a table of valid previous states, handed in by the
 * protocol, and the one place that changes the state. A transition the table does not list throws, so
 * a bug in a member shows up as an `IllegalTransitionError` instead of a member in a state no rule
 * expects.
 */
import { IllegalTransitionError } from '../errors.js';

/**
 * The states of one group protocol: its transition table, and which of its states play the roles the
 * shared core drives (starting and ending out of the group, failing, leaving, stalling).
 */
export interface MemberStates<S extends string> {
  /** For each state, the states it may be entered from. Staying in a state is not a transition. */
  readonly validPrevious: { readonly [K in S]: readonly S[] };
  /** Not in the group: where a member starts, and where it ends after leaving. */
  readonly initial: S;
  /** The member cannot continue; no state is entered from it. */
  readonly fatal: S;
  /** Leaving was asked for: the member waits for the consumer to finish revoking. */
  readonly prepareLeaving: S;
  /** The request that leaves the group is due or in flight. */
  readonly leaving: S;
  /**
   * Left on its own after the max poll interval; rejoins on the next poll. Null for a protocol without
   * a max poll interval (a share group member acknowledges records instead).
   */
  readonly stale: S | null;
}

/** The current state of a member and its transitions, checked against the protocol's table. */
export class StateMachine<S extends string> {
  private current: S;

  constructor(readonly states: MemberStates<S>) {
    this.current = states.initial;
  }

  /** @returns the current state. */
  get state(): S {
    return this.current;
  }

  /** @returns whether the table lets the member enter `next` from the current state. Never throws. */
  canEnter(next: S): boolean {
    return this.states.validPrevious[next].includes(this.current);
  }

  /**
   * Enters `next`.
   * @throws IllegalTransitionError when the table does not list the current state as a valid previous
   *   state of `next`; the state is then unchanged.
   */
  transitionTo(next: S): void {
    if (!this.canEnter(next)) throw new IllegalTransitionError(this.current, next);
    this.current = next;
  }
}
