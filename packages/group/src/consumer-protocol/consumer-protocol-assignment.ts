/**
 * Assignments as the consumer group protocol carries them: partitions keyed by topic id. The broker
 * names topics only by id, so the member resolves ids to names through metadata before it can tell the
 * consumer what it owns.
 */
import type {
  ConsumerGroupHeartbeatRequestTopicPartitions,
  ConsumerGroupHeartbeatResponseAssignment,
  TopicPartition,
} from '@runnel/protocol';
import { sortPartitions } from '../topic-partitions.js';

/** Partitions by topic id; every list sorted ascending and free of duplicates. */
export type TopicIdAssignment = ReadonlyMap<string, readonly number[]>;

/** The empty assignment. */
export const NO_ASSIGNMENT: TopicIdAssignment = new Map();

/** A partition together with the id of its topic. */
export interface TopicIdPartition extends TopicPartition {
  readonly topicId: string;
}

/**
 * @returns the assignment of a ConsumerGroupHeartbeat response, partitions sorted and de-duplicated;
 *   entries for the same topic are merged, topics without partitions and partition numbers that cannot
 *   exist (negative, not integers) are left out. Never throws.
 */
export function assignmentFromResponse(
  assignment: ConsumerGroupHeartbeatResponseAssignment,
): TopicIdAssignment {
  const merged = new Map<string, Set<number>>();
  for (const t of assignment.topicPartitions) {
    let set = merged.get(t.topicId);
    for (const p of t.partitions) {
      if (!Number.isInteger(p) || p < 0) continue;
      if (set === undefined) {
        set = new Set();
        merged.set(t.topicId, set);
      }
      set.add(p);
    }
  }
  const out = new Map<string, number[]>();
  for (const id of [...merged.keys()].sort()) {
    out.set(
      id,
      [...(merged.get(id) ?? [])].sort((a, b) => a - b),
    );
  }
  return out;
}

/** @returns whether both assignments hold the same partitions. */
export function sameAssignment(a: TopicIdAssignment, b: TopicIdAssignment): boolean {
  if (a.size !== b.size) return false;
  for (const [id, partitions] of a) {
    const other = b.get(id);
    if (other === undefined || other.length !== partitions.length) return false;
    for (let i = 0; i < partitions.length; i++) if (other[i] !== partitions[i]) return false;
  }
  return true;
}

/** @returns the assignment as the `topicPartitions` field of a ConsumerGroupHeartbeat request. */
export function assignmentToRequest(a: TopicIdAssignment): ConsumerGroupHeartbeatRequestTopicPartitions[] {
  return [...a].map(([topicId, partitions]) => ({ topicId, partitions: [...partitions] }));
}

/**
 * Resolves topic ids to names.
 * @returns the partitions whose topic name is known (sorted by name, then partition) and the ids
 *   that are not (sorted). Never throws.
 */
export function resolveAssignment(
  a: TopicIdAssignment,
  names: ReadonlyMap<string, string>,
): { resolved: TopicIdPartition[]; unresolvedTopicIds: string[] } {
  const resolved: TopicIdPartition[] = [];
  const unresolvedTopicIds: string[] = [];
  for (const [topicId, partitions] of a) {
    const topic = names.get(topicId);
    if (topic === undefined) {
      unresolvedTopicIds.push(topicId);
      continue;
    }
    for (const partition of partitions) resolved.push({ topicId, topic, partition });
  }
  return {
    resolved: sortPartitions(resolved) as TopicIdPartition[],
    unresolvedTopicIds: unresolvedTopicIds.sort(),
  };
}

/** @returns the partitions grouped by topic id (the inverse of `resolveAssignment` for its resolved part). */
export function assignmentOf(partitions: readonly TopicIdPartition[]): TopicIdAssignment {
  const byId = new Map<string, number[]>();
  for (const p of partitions) {
    const list = byId.get(p.topicId);
    if (list === undefined) byId.set(p.topicId, [p.partition]);
    else if (!list.includes(p.partition)) list.push(p.partition);
  }
  const out = new Map<string, number[]>();
  for (const id of [...byId.keys()].sort())
    out.set(
      id,
      (byId.get(id) ?? []).sort((a, b) => a - b),
    );
  return out;
}

/** @returns the partitions as plain topic-partitions (no ids), sorted. */
export function withoutIds(partitions: readonly TopicIdPartition[]): TopicPartition[] {
  return sortPartitions(partitions.map((p) => ({ topic: p.topic, partition: p.partition })));
}
