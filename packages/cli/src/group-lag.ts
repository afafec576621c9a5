/**
 * A group's partitions with their committed offset, end offset and lag, as `groups describe` and `lag`
 * show them (and as Kafka's consumer-groups tool computes them: the end is the high watermark).
 */
import type { GroupDescription, TopicPartition } from '@runnel/consumer';
import { type Admin, type GroupOffset, keyOf, LATEST, sortPartitions } from './admin.js';

/** One partition of the group. */
export interface PartitionLagRow extends TopicPartition {
  /** The group's committed offset; null when it has none. */
  readonly committed: number | null;
  /** The high watermark; null when the topic or partition no longer exists. */
  readonly end: number | null;
  /** `end - committed`; null when either is unknown. */
  readonly lag: number | null;
  /** The member that owns the partition now; null when none does. */
  readonly memberId: string | null;
}

/**
 * Joins the group's committed offsets, its members' assignments and the partitions' end offsets.
 * @returns a row per partition that is committed or assigned, sorted by topic and partition.
 * @throws what {@link Admin.listOffsets} throws.
 */
export async function groupLag(
  admin: Admin,
  description: GroupDescription,
  committed: readonly GroupOffset[],
): Promise<PartitionLagRow[]> {
  const owners = new Map<string, string>();
  for (const m of description.members) for (const tp of m.assignment) owners.set(keyOf(tp), m.memberId);
  const byKey = new Map<string, TopicPartition>();
  for (const tp of [...committed, ...description.members.flatMap((m) => m.assignment)]) {
    byKey.set(keyOf(tp), { topic: tp.topic, partition: tp.partition });
  }
  const metadata = await admin.bounded(
    'reading topic metadata',
    admin.client.topicMetadata(new Set([...byKey.values()].map((tp) => tp.topic))),
  );
  // Offsets may outlive their topic: such partitions keep their row, without an end.
  const existing = [...byKey.values()].filter(
    (tp) => metadata.partition(tp.topic, tp.partition) !== undefined,
  );
  const ends =
    existing.length > 0 ? await admin.listOffsets(existing, LATEST, 0) : new Map<string, number | null>();
  const offsets = new Map(committed.map((o) => [keyOf(o), o.offset]));
  return sortPartitions([...byKey.values()]).map((tp) => {
    const key = keyOf(tp);
    const c = offsets.get(key) ?? null;
    const end = ends.get(key) ?? null;
    return {
      ...tp,
      committed: c,
      end,
      lag: c === null || end === null ? null : Math.max(0, end - c),
      memberId: owners.get(key) ?? null,
    };
  });
}

/** @returns the sum of the known lags. */
export function totalLag(rows: readonly PartitionLagRow[]): number {
  return rows.reduce((sum, r) => sum + (r.lag ?? 0), 0);
}
