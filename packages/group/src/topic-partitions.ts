/** Sets of partitions as the members compare them, and the topics the driver names from metadata. */
import { partitionKey, type TopicPartition } from '@runnel/protocol';

/** A topic the driver knows from metadata. */
export interface TopicIdAndName {
  /** Kafka's topic id, in Kafka's base64 text form (as @runnel/protocol decodes UUIDs). */
  readonly topicId: string;
  readonly name: string;
  /** Internal topics (`__consumer_offsets`, ...) never match a client-side regular expression. */
  readonly isInternal?: boolean;
}

/** @returns the key of `tp` in sets of partitions. Never throws. */
export function keyOf(tp: TopicPartition): string {
  return partitionKey(tp.topic, tp.partition);
}

/** @returns the partitions of `a` that are not in `b`, in the order of `a`. */
export function difference(a: readonly TopicPartition[], b: readonly TopicPartition[]): TopicPartition[] {
  const inB = new Set(b.map(keyOf));
  return a.filter((tp) => !inB.has(keyOf(tp)));
}

/** @returns the partitions sorted by topic, then partition id (a copy; the input is not changed). */
export function sortPartitions(partitions: readonly TopicPartition[]): TopicPartition[] {
  return [...partitions].sort((x, y) =>
    x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : x.partition - y.partition,
  );
}
