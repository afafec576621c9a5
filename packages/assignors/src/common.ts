import { AssignorError } from './errors.js';
import type { GroupSubscription, MemberSubscription, TopicPartition } from './types.js';

/** The generation Java's assignors use for "unknown". */
export const DEFAULT_GENERATION = -1;

/** A subscribed topic as assignors see it: partition count and, per partition, its replicas' racks. */
export interface TopicInfo {
  readonly topic: string;
  readonly numPartitions: number;
  /** Per partition, the distinct non-null racks of its replicas. */
  readonly replicaRacks: readonly (readonly string[])[];
}

/**
 * Orders strings as Java's `String.compareTo` does (by UTF-16 code unit), which is also how
 * JavaScript's relational operators compare strings.
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders partitions by topic, then partition number (Java's `TopicPartitionComparator`). */
export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  return compareStrings(a.topic, b.topic) || a.partition - b.partition;
}

/**
 * Orders members as Java's `AbstractPartitionAssignor.MemberInfo` does: static members first, by
 * `group.instance.id`, then dynamic members by member id.
 */
export function compareMembers(a: MemberSubscription, b: MemberSubscription): number {
  const ai = a.groupInstanceId ?? null;
  const bi = b.groupInstanceId ?? null;
  if (ai !== null && bi !== null) return compareStrings(ai, bi);
  if (ai !== null) return -1;
  if (bi !== null) return 1;
  return compareStrings(a.memberId, b.memberId);
}

/** The member's rack when it is known (non-empty), else null. */
export function memberRack(member: MemberSubscription): string | null {
  const rack = member.rackId ?? null;
  return rack === null || rack === '' ? null : rack;
}

/**
 * Checks the input and collects the metadata of every topic that some member subscribes to and that
 * has at least one partition, as Java's `AbstractPartitionAssignor.assign(Cluster, ...)` does.
 * @returns the topics by name, in order of first subscription.
 * @throws AssignorError for duplicate member ids, duplicate topics, or partitions not numbered 0..n-1.
 */
export function subscribedTopics(group: GroupSubscription): Map<string, TopicInfo> {
  const memberIds = new Set<string>();
  for (const m of group.members) {
    if (memberIds.has(m.memberId)) throw new AssignorError(`duplicate member id ${m.memberId}`);
    memberIds.add(m.memberId);
  }
  const metadata = new Map<string, TopicInfo>();
  for (const t of group.topics) {
    if (metadata.has(t.topic)) throw new AssignorError(`topic ${t.topic} appears twice in the metadata`);
    const n = t.partitions.length;
    const racks: string[][] = new Array(n);
    for (const p of t.partitions) {
      if (!Number.isInteger(p.partition) || p.partition < 0 || p.partition >= n || racks[p.partition]) {
        throw new AssignorError(`topic ${t.topic}: partitions must be numbered 0..${n - 1} without gaps`);
      }
      const distinct: string[] = [];
      for (const r of p.replicaRacks ?? []) if (r !== null && !distinct.includes(r)) distinct.push(r);
      racks[p.partition] = distinct;
    }
    metadata.set(t.topic, { topic: t.topic, numPartitions: n, replicaRacks: racks });
  }
  const topics = new Map<string, TopicInfo>();
  let previous: readonly string[] | null = null;
  for (const m of group.members) {
    // Members decoded from one subscription often share the topic list; skip the repeats.
    if (m.topics === previous) continue;
    previous = m.topics;
    for (const topic of m.topics) {
      const info = metadata.get(topic);
      if (info !== undefined && info.numPartitions > 0) topics.set(topic, info);
    }
  }
  return topics;
}

/**
 * Java's `useRackAwareAssignment`: racks are used only when some consumer rack hosts replicas and not
 * every partition has replicas on all racks (otherwise every choice is equally local).
 */
export function useRackAwareAssignment(
  consumerRacks: ReadonlySet<string>,
  partitionRacks: ReadonlySet<string>,
  racksPerPartition: Iterable<readonly string[]>,
): boolean {
  let intersects = false;
  for (const r of consumerRacks) {
    if (partitionRacks.has(r)) {
      intersects = true;
      break;
    }
  }
  if (!intersects) return false;
  for (const racks of racksPerPartition) {
    if (racks.length !== partitionRacks.size) return true;
  }
  return false;
}

/** An empty assignment entry for every member, in input order. */
export function emptyAssignment(group: GroupSubscription): Map<string, TopicPartition[]> {
  const assignment = new Map<string, TopicPartition[]>();
  for (const m of group.members) assignment.set(m.memberId, []);
  return assignment;
}
