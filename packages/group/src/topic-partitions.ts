import type { TopicPartition } from '@runnel/assignors';

/** @returns a stable string key for a partition, `topic-partition` as Java prints it. */
export function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

/** @returns the partitions of `a` that are not in `b`, in the order of `a`. */
export function difference(a: readonly TopicPartition[], b: readonly TopicPartition[]): TopicPartition[] {
  const inB = new Set(b.map(partitionKey));
  return a.filter((tp) => !inB.has(partitionKey(tp)));
}

/** @returns the partitions sorted by topic, then partition id (a copy; the input is not changed). */
export function sortPartitions(partitions: readonly TopicPartition[]): TopicPartition[] {
  return [...partitions].sort((x, y) =>
    x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : x.partition - y.partition,
  );
}
