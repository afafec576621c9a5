/** A partition of a topic, as Kafka's `TopicPartition`: the one type every Runnel package names it by. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * @returns the map key of a partition: the topic and the number joined by a NUL, which no topic name
 *   contains (so no two partitions share a key). Takes the two fields rather than an object, so that
 *   the fetch path keys partitions without allocating one. Never throws.
 */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
