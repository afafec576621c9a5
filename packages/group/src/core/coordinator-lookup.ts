/**
 * Finding the group coordinator, as both members do it: a sans-I/O helper that a member owns. It sends
 * FindCoordinator when the member needs a coordinator it does not know, backs off after a failure,
 * forgets the coordinator when it moved, reports the failures it retries, and tells the member what an
 * answer means; what the member does about it (heartbeat timers, FATAL) stays in the member.
 */

import type { ExponentialBackoff } from '@runnel/protocol';
import { ErrorCode } from '@runnel/protocol';
import { GroupBrokerError, GroupFatalError } from '../errors.js';
import type { FindCoordinatorResponse } from '../messages.js';
import { type BrokerNode, type MemberApis, type MemberRequestOf, memberRequest } from '../requests.js';
import type { MemberEvents } from './member-events.js';

/** The FindCoordinator request both members send. */
export type FindCoordinatorRequestOf = MemberRequestOf<MemberApis, 'FindCoordinator'>;

/** What an answer to FindCoordinator means for the member. */
export type CoordinatorLookupOutcome =
  /** The answer is to a lookup the helper no longer waits for: nothing changed. */
  | { readonly kind: 'ignored' }
  /** The coordinator is known now: `node`. */
  | { readonly kind: 'found'; readonly node: BrokerNode }
  /** The lookup failed for now and is retried after a backoff; `error` went to the member's events. */
  | { readonly kind: 'retrying'; readonly error: Error }
  /**
   * The broker refused for good (GROUP_AUTHORIZATION_FAILED, INVALID_GROUP_ID): `error` is the broker's
   * answer, `fatal` the error a member that needs the coordinator fails with.
   */
  | { readonly kind: 'denied'; readonly error: GroupBrokerError; readonly fatal: GroupFatalError };

/** @returns whether `errorCode` says the coordinator moved or is gone (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE). */
export function isCoordinatorMoved(errorCode: number): boolean {
  return errorCode === ErrorCode.NOT_COORDINATOR || errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

/** The coordinator of one group, looked up with FindCoordinator. */
export class CoordinatorLookup {
  private known: BrokerNode | null = null;
  private inFlight: number | null = null;
  private notBefore = 0;
  /** A node to ask only when no other is known, until an answer names the coordinator (see `markUnknown`). */
  private avoid: number | null = null;

  /**
   * @param groupId the group whose coordinator to find
   * @param backoff the wait between failed lookups (reset by a successful one)
   * @param timeoutMs the timeout of a FindCoordinator request
   * @param nextRequestId hands out the member's request ids, so that they stay unique per member
   * @param events the member's events, where failed lookups are reported
   */
  constructor(
    private readonly groupId: string,
    private readonly backoff: ExponentialBackoff,
    private readonly timeoutMs: number,
    private readonly nextRequestId: () => number,
    private readonly events: MemberEvents,
  ) {}

  /** @returns the coordinator, or null while it is unknown. */
  get node(): BrokerNode | null {
    return this.known;
  }

  /**
   * @param needed whether the member needs the coordinator in its current state
   * @returns the FindCoordinator request to send now: one when `needed`, no coordinator is known, no
   *   lookup is in flight and the backoff is over; otherwise null. Never throws.
   */
  poll(needed: boolean, now: number): FindCoordinatorRequestOf | null {
    if (!needed || this.known !== null || this.inFlight !== null || now < this.notBefore) return null;
    const groupId = this.groupId;
    // Version 4 replaced the single `key` by a `coordinatorKeys` array (KIP-699).
    const bodyAt = (version: number) =>
      version <= 3 ? { key: groupId, keyType: 0 } : { keyType: 0, coordinatorKeys: [groupId] };
    const request = memberRequest({
      id: this.nextRequestId(),
      api: 'FindCoordinator',
      versions: [0, 6],
      target: this.avoid === null ? { kind: 'any' } : { kind: 'any', avoid: this.avoid },
      timeoutMs: this.timeoutMs,
      body: bodyAt(6),
      bodyAt,
    });
    this.inFlight = request.id;
    return request;
  }

  /**
   * @param needed as for `poll`
   * @returns when `poll` will send a lookup: the end of the backoff, or `Infinity` when it waits for an
   *   answer, knows the coordinator, or is not `needed`. Never throws.
   */
  nextLookupAt(needed: boolean): number {
    return needed && this.known === null && this.inFlight === null
      ? this.notBefore
      : Number.POSITIVE_INFINITY;
  }

  /**
   * Forgets the coordinator (it moved, stopped answering, or answered too late to be trusted); the next
   * `poll` looks it up again, first asking another broker: a broker that hangs would hang the lookup too,
   * and one thawed after a freeze names itself coordinator from the group it held, until the controller
   * tells it otherwise. A lookup that fails may ask it again.
   * @returns whether a coordinator was known. Never throws.
   */
  markUnknown(now: number): boolean {
    if (this.known === null) return false;
    this.avoid = this.known.nodeId;
    this.known = null;
    this.notBefore = now;
    return true;
  }

  /**
   * Takes the answer to a FindCoordinator request: the decoded response, or the Error that stopped it.
   * @returns what the answer means (see {@link CoordinatorLookupOutcome}). Never throws.
   */
  onResponse(
    request: FindCoordinatorRequestOf,
    result: FindCoordinatorResponse | Error,
    now: number,
  ): CoordinatorLookupOutcome {
    if (request.id !== this.inFlight) return { kind: 'ignored' };
    this.inFlight = null;
    if (result instanceof Error) return this.retry(now, result);
    let errorCode = result.errorCode ?? ErrorCode.NONE;
    let errorMessage = result.errorMessage ?? null;
    let node: BrokerNode | null = null;
    if (result.coordinators !== undefined && result.coordinators.length > 0) {
      const c = result.coordinators.find((x) => x.key === this.groupId) ?? result.coordinators[0];
      if (c) {
        errorCode = c.errorCode;
        errorMessage = c.errorMessage ?? null;
        node = { nodeId: c.nodeId, host: c.host, port: c.port };
      }
    } else if (result.nodeId !== undefined && result.host !== undefined && result.port !== undefined) {
      node = { nodeId: result.nodeId, host: result.host, port: result.port };
    }
    if (errorCode === ErrorCode.NONE && node !== null && node.nodeId >= 0) {
      this.backoff.reset();
      this.known = node;
      this.avoid = null;
      return { kind: 'found', node };
    }
    if (errorCode === ErrorCode.GROUP_AUTHORIZATION_FAILED || errorCode === ErrorCode.INVALID_GROUP_ID) {
      return {
        kind: 'denied',
        error: new GroupBrokerError('FindCoordinator', errorCode, errorMessage),
        fatal: new GroupFatalError(`FindCoordinator for group ${this.groupId} failed`, errorCode),
      };
    }
    // A success without a usable node is a coordinator that is not there yet.
    const code = errorCode === ErrorCode.NONE ? ErrorCode.COORDINATOR_NOT_AVAILABLE : errorCode;
    return this.retry(now, new GroupBrokerError('FindCoordinator', code, errorMessage));
  }

  private retry(now: number, error: Error): CoordinatorLookupOutcome {
    this.avoid = null;
    this.notBefore = now + this.backoff.fail();
    this.events.error(error);
    return { kind: 'retrying', error };
  }
}
