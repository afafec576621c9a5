/**
 * The classic leader's watch over the partition counts it assigned with. Under the classic protocol
 * the coordinator never looks at topics: when a subscribed topic gains partitions (or is created or
 * deleted), nobody is told, and the new partitions stay unassigned until something else rebalances the
 * group. Java's leader keeps the metadata snapshot it assigned with and rejoins when its metadata,
 * refreshed every `metadata.max.age.ms`, no longer matches; this is the same rule. Only the leader
 * watches: a follower cannot tell which snapshot the assignment was computed from.
 */
import { ErrorCode } from '@runnel/protocol';
import type { MetadataResponse } from '../messages.js';
import type { ClassicMembership } from './classic-membership.js';
import { MemberState } from './classic-states.js';

/**
 * @returns the partition count of each topic a Metadata answer describes: 0 for a topic the cluster
 *   does not have (UNKNOWN_TOPIC_OR_PARTITION); topics with any other error are left out, since a
 *   passing error (a leader election) says nothing about the count.
 */
export function partitionCounts(result: MetadataResponse): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of result.topics) {
    if (t.name === null) continue;
    if (t.errorCode === ErrorCode.NONE) counts.set(t.name, t.partitions.length);
    else if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) counts.set(t.name, 0);
  }
  return counts;
}

/** When the leader reads its topics' metadata again, and what it compares the answer with. */
export class PartitionCountWatch {
  /** The counts the assignment was computed from; null when the leader skipped it (KIP-814). */
  private counts: Map<string, number> | null = null;
  private watched: string[] = [];
  private nextCheckAt = Number.POSITIVE_INFINITY;

  /** @param maxAgeMs `metadata.max.age.ms`: how long the counts may go unchecked. */
  constructor(private readonly maxAgeMs: number) {}

  /** @returns the topics the next check asks about (every topic a member of the group subscribes to). */
  get topics(): readonly string[] {
    return this.watched;
  }

  /** The leader assigned `topics` from `result`: these counts are what later metadata must match. */
  assignedWith(topics: readonly string[], result: MetadataResponse, now: number): void {
    this.watched = [...topics];
    this.counts = partitionCounts(result);
    this.nextCheckAt = now + this.maxAgeMs;
  }

  /** The leader kept the previous assignment (KIP-814): the first check's answer becomes the baseline. */
  assignmentSkipped(topics: readonly string[], now: number): void {
    this.watched = [...topics];
    this.counts = null;
    this.nextCheckAt = now + this.maxAgeMs;
  }

  /** This member is not the leader of the new generation: nothing to watch. */
  stop(): void {
    this.watched = [];
    this.counts = null;
    this.nextCheckAt = Number.POSITIVE_INFINITY;
  }

  /** @returns when the next check is due (infinity when nothing is watched). */
  get dueAt(): number {
    return this.watched.length > 0 ? this.nextCheckAt : Number.POSITIVE_INFINITY;
  }

  /** A check failed (no answer): tries again at `retryAt`. */
  failed(retryAt: number): void {
    this.nextCheckAt = retryAt;
  }

  /**
   * Takes a check's answer: schedules the next check and keeps the answer as the baseline.
   * @returns the topics whose partition count differs from the baseline (none for a first baseline).
   */
  checked(result: MetadataResponse, now: number): string[] {
    this.nextCheckAt = now + this.maxAgeMs;
    const latest = partitionCounts(result);
    const before = this.counts;
    this.counts = new Map([...(before ?? []), ...latest]);
    if (before === null) return [];
    return [...latest].filter(([topic, n]) => (before.get(topic) ?? 0) !== n).map(([topic]) => topic);
  }
}

/**
 * Takes the answer to the leader's partition-count check: a count that changed since the assignment
 * asks for a rebalance (the JoinGroup reason names the topics); a failed check is tried again after
 * the metadata backoff. An answer that finds the member no longer STABLE is dropped.
 */
export function onPartitionCheck(m: ClassicMembership, result: MetadataResponse | Error, now: number): void {
  if (m.state !== MemberState.STABLE) return;
  if (result instanceof Error) {
    m.partitionWatch.failed(now + m.metadataBackoff.fail());
    return;
  }
  m.metadataBackoff.reset();
  const changed = m.partitionWatch.checked(result, now);
  if (changed.length > 0) {
    m.requestRejoin(`the partition count of ${changed.join(', ')} changed since the assignment`, now);
  }
}
