import { partitionKey, type TopicPartition } from './batch.js';

/**
 * A read-only map from partitions to values that is looked up by topic and partition number, not by
 * object identity: `map.get({ topic: 't', partition: 0 })` finds the entry whatever object the caller
 * passed in the query. Iteration gives the partitions in the order they were asked for.
 */
export class TopicPartitionMap<V> implements ReadonlyMap<TopicPartition, V> {
  /** The entries, keyed by this map's own partition objects (so iteration needs no copying). */
  private readonly byPartition = new Map<TopicPartition, V>();
  /** The map's partition object of each `partitionKey`. */
  private readonly partitions = new Map<string, TopicPartition>();

  /** @param entries the partitions and their values; a later entry for the same partition wins. */
  constructor(entries: Iterable<readonly [TopicPartition, V]> = []) {
    for (const [tp, value] of entries) {
      const key = partitionKey(tp.topic, tp.partition);
      let own = this.partitions.get(key);
      if (!own) {
        own = { topic: tp.topic, partition: tp.partition };
        this.partitions.set(key, own);
      }
      this.byPartition.set(own, value);
    }
  }

  /** @returns how many partitions the map holds. */
  get size(): number {
    return this.byPartition.size;
  }

  /** @returns the value for the partition, or undefined when it is not in the map. */
  get(tp: TopicPartition): V | undefined {
    const own = this.partitions.get(partitionKey(tp.topic, tp.partition));
    return own === undefined ? undefined : this.byPartition.get(own);
  }

  /** @returns whether the partition is in the map. */
  has(tp: TopicPartition): boolean {
    return this.partitions.has(partitionKey(tp.topic, tp.partition));
  }

  /** Calls `fn` with each value and partition, in order. */
  forEach(
    fn: (value: V, tp: TopicPartition, map: ReadonlyMap<TopicPartition, V>) => void,
    thisArg?: unknown,
  ): void {
    for (const [tp, value] of this.byPartition) fn.call(thisArg, value, tp, this);
  }

  /** @returns the partitions and their values, in order. */
  entries(): MapIterator<[TopicPartition, V]> {
    return this.byPartition.entries();
  }

  /** @returns the partitions, in order. */
  keys(): MapIterator<TopicPartition> {
    return this.byPartition.keys();
  }

  /** @returns the values, in order. */
  values(): MapIterator<V> {
    return this.byPartition.values();
  }

  /** @returns the partitions and their values, in order. */
  [Symbol.iterator](): MapIterator<[TopicPartition, V]> {
    return this.byPartition.entries();
  }
}
