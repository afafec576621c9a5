/**
 * The requests a member waits for, one per purpose (its JoinGroup, its heartbeat, its leave...), each
 * with what the member noted when it sent it. One registry instead of a nullable id field per request:
 * an answer is taken only when it is to the request still awaited, so an answer that arrives after the
 * member forgot its request (a reset, a new coordinator) is ignored.
 */

/** Notes by purpose: `Notes[K]` is what the member keeps about its in-flight request of purpose `K`. */
export type RequestNotes<Notes> = { readonly [K in keyof Notes]: unknown };

/** What `take` answers for a request that is not the one awaited. */
export const NOT_AWAITED: unique symbol = Symbol('not awaited');

/** At most one awaited request per purpose. */
export class InFlightRequests<Notes extends RequestNotes<Notes>> {
  // Plain records rather than a Map: the heartbeat's entry changes on every beat.
  private readonly ids: { [K in keyof Notes]?: number } = {};
  private readonly notes: { [K in keyof Notes]?: Notes[K] } = {};

  /** Records that request `id` of `purpose` was sent, replacing an earlier one of the same purpose. */
  start<K extends keyof Notes>(purpose: K, id: number, note: Notes[K]): void {
    this.ids[purpose] = id;
    this.notes[purpose] = note;
  }

  /** @returns whether a request of `purpose` is awaited. Never throws. */
  has(purpose: keyof Notes): boolean {
    return this.ids[purpose] !== undefined;
  }

  /**
   * Takes the answer to request `id` of `purpose`.
   * @returns the note made when it was sent, when `id` is the request awaited for `purpose` (which is
   *   then no longer awaited); `NOT_AWAITED` for any other request. Never throws.
   */
  take<K extends keyof Notes>(purpose: K, id: number): Notes[K] | typeof NOT_AWAITED {
    if (this.ids[purpose] !== id) return NOT_AWAITED;
    const note = this.notes[purpose] as Notes[K];
    this.ids[purpose] = undefined;
    this.notes[purpose] = undefined;
    return note;
  }

  /** Stops waiting for the requests of `purposes`: their answers will be ignored. */
  forget(...purposes: (keyof Notes)[]): void {
    for (const p of purposes) {
      this.ids[p] = undefined;
      this.notes[p] = undefined;
    }
  }
}
