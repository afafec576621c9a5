/**
 * The requests a member waits for, one per purpose (its JoinGroup, its heartbeat, its leave...), each
 * with what the member noted when it sent it. One registry instead of a nullable id field per request:
 * an answer is taken only when it is to the request still awaited, so an answer that arrives after the
 * member forgot its request (a reset, a new coordinator) is ignored.
 */

/** Notes by purpose: `Notes[K]` is what the member keeps about its in-flight request of purpose `K`. */
export type RequestNotes<Notes> = { readonly [K in keyof Notes]: unknown };

/** At most one awaited request per purpose. */
export class InFlightRequests<Notes extends RequestNotes<Notes>> {
  private readonly awaited = new Map<keyof Notes, { readonly id: number; readonly note: unknown }>();

  /** Records that request `id` of `purpose` was sent, replacing an earlier one of the same purpose. */
  start<K extends keyof Notes>(purpose: K, id: number, note: Notes[K]): void {
    this.awaited.set(purpose, { id, note });
  }

  /** @returns whether a request of `purpose` is awaited. Never throws. */
  has(purpose: keyof Notes): boolean {
    return this.awaited.has(purpose);
  }

  /**
   * Takes the answer to request `id` of `purpose`.
   * @returns the note made when it was sent, when `id` is the request awaited for `purpose` (which is
   *   then no longer awaited); null for any other request. Never throws.
   */
  take<K extends keyof Notes>(purpose: K, id: number): { readonly note: Notes[K] } | null {
    const awaited = this.awaited.get(purpose);
    if (awaited === undefined || awaited.id !== id) return null;
    this.awaited.delete(purpose);
    return { note: awaited.note as Notes[K] };
  }

  /** Stops waiting for the requests of `purposes`: their answers will be ignored. */
  forget(...purposes: (keyof Notes)[]): void {
    for (const p of purposes) this.awaited.delete(p);
  }
}
