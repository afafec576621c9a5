/**
 * Reconciling the coordinator's target assignment with what the member owns, as KIP-848 does it:
 * revoke first (an event, wait for the acknowledgement), then assign (an event, wait), then tell the
 * coordinator in the next heartbeat (ACKNOWLEDGING). Topics metadata cannot name yet wait. Share group
 * members (KIP-932) reconcile the same way, so the rules read a {@link ReconcilingMember}: the state
 * names and fields both memberships have (`AbstractMembership` implements it for both).
 */
import type { TopicPartition } from '@runnel/protocol';
import type { MemberEvents } from '../core/member-events.js';
import { keyOf } from '../topic-partitions.js';
import {
  assignmentOf,
  resolveAssignment,
  sameAssignment,
  type TopicIdAssignment,
  type TopicIdPartition,
  withoutIds,
} from './consumer-protocol-assignment.js';

/** RECONCILING's step: revoking first (then assigning), each waiting for the event's acknowledgement. */
export interface Reconciliation {
  /** The resolvable part of the target assignment being reconciled. */
  readonly resolved: readonly TopicIdPartition[];
  step: 'revoking' | 'assigning';
  eventId: number;
}

/** The states the reconciliation moves a member between; both protocols name them alike. */
type ReconcilingState = 'JOINING' | 'RECONCILING' | 'ACKNOWLEDGING' | 'STABLE';

/** What the reconciliation reads and changes of a member whose coordinator assigns by topic id. */
export interface ReconcilingMember {
  readonly state: string;
  /** Enters `next` (checked against the protocol's table). */
  enterState(next: ReconcilingState): void;
  readonly events: MemberEvents;
  readonly memberId: string;
  readonly memberEpoch: number;
  /** Topic names by id, from metadata. */
  readonly topicNames: ReadonlyMap<string, string>;
  /** What the consumer holds, through the events raised so far. */
  held: TopicPartition[];
  /** What the coordinator knows the member owns (acknowledged or about to be). */
  readonly current: readonly TopicIdPartition[];
  setCurrent(partitions: readonly TopicIdPartition[]): void;
  target: TopicIdAssignment | null;
  unresolved: string[];
  reconciliation: Reconciliation | null;
}

const JOINING = 'JOINING';
const RECONCILING = 'RECONCILING';
const ACKNOWLEDGING = 'ACKNOWLEDGING';
const STABLE = 'STABLE';

function idKey(p: TopicIdPartition): string {
  return `${p.topicId}:${p.partition}`;
}

/** Takes a target assignment from a heartbeat answer: reconciles towards it unless it is what is owned. */
export function onTargetAssignment(m: ReconcilingMember, target: TopicIdAssignment): void {
  m.target = target;
  if (sameAssignment(target, assignmentOf(m.current))) {
    m.unresolved = [];
    if (m.reconciliation === null && (m.state === JOINING || m.state === RECONCILING)) {
      m.enterState(STABLE);
    }
    return;
  }
  if (m.state !== RECONCILING) m.enterState(RECONCILING);
  maybeReconcile(m);
}

/** Starts reconciling the resolvable part of the target, unless a reconciliation is under way. */
export function maybeReconcile(m: ReconcilingMember): void {
  if (m.state !== RECONCILING || m.reconciliation !== null || m.target === null) return;
  const { resolved, unresolvedTopicIds } = resolveAssignment(m.target, m.topicNames);
  m.unresolved = unresolvedTopicIds;
  const keep = new Set(resolved.map(idKey));
  const had = new Set(m.current.map(idKey));
  const revoked = m.current.filter((p) => !keep.has(idKey(p)));
  const added = resolved.filter((p) => !had.has(idKey(p)));
  if (revoked.length === 0 && added.length === 0) {
    // Only topics metadata cannot name yet are missing: wait for `onMetadata`.
    if (unresolvedTopicIds.length === 0) m.enterState(STABLE);
    return;
  }
  const r: Reconciliation = { resolved, step: 'revoking', eventId: 0 };
  m.reconciliation = r;
  if (revoked.length > 0) {
    const gone = new Set(withoutIds(revoked).map(keyOf));
    m.held = m.held.filter((tp) => !gone.has(keyOf(tp)));
    r.eventId = m.events.raise('partitionsRevoked', withoutIds(revoked));
  } else {
    assignStep(m, r);
  }
}

/** The revocation is done (or there was none): hand the consumer the reconciled assignment. */
function assignStep(m: ReconcilingMember, r: Reconciliation): void {
  const had = new Set(m.current.map(idKey));
  const added = withoutIds(r.resolved.filter((p) => !had.has(idKey(p))));
  const assignment = withoutIds(r.resolved);
  m.held = assignment;
  r.step = 'assigning';
  r.eventId = m.events.raiseAssigned({
    partitions: added,
    assignment,
    generationId: m.memberEpoch,
    memberId: m.memberId,
  });
}

/**
 * Takes the acknowledgement of event `eventId`: a revocation goes on to assigning, an assignment to
 * ACKNOWLEDGING (the next heartbeat reports what is owned).
 */
export function acknowledged(m: ReconcilingMember, eventId: number): void {
  const r = m.reconciliation;
  if (r === null || r.eventId !== eventId || m.state !== RECONCILING) return;
  if (r.step === 'revoking') {
    assignStep(m, r);
  } else {
    m.reconciliation = null;
    m.setCurrent(r.resolved);
    m.enterState(ACKNOWLEDGING);
  }
}
