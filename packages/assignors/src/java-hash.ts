/**
 * Java's hashing and `HashMap` iteration order. Java's sticky assignor walks some `HashMap`s, and the
 * order of that walk decides ties; reproducing it lets Runnel's leader produce the very assignment a
 * Java leader would.
 */

/** Java's `String.hashCode()`: 31-polynomial over UTF-16 code units, in 32-bit two's complement. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Java's `TopicPartition.hashCode()`. */
export function javaTopicPartitionHash(topicHash: number, partition: number): number {
  return (Math.imul(31, (31 + partition) | 0) + topicHash) | 0;
}

/** The bucket `HashMap` puts a key with this hash into, for a table of `capacity` buckets. */
export function javaBucket(hash: number, capacity: number): number {
  return (hash ^ (hash >>> 16)) & (capacity - 1);
}

/** The table size of a `new HashMap<>()` after `size` puts of distinct keys (it never shrinks). */
export function javaHashMapCapacity(size: number): number {
  let capacity = 16;
  while (size > capacity * 0.75) capacity *= 2;
  return capacity;
}

/**
 * The order in which a `new HashMap<>()` filled with `keys` (distinct, in insertion order) iterates:
 * by bucket, and within a bucket by insertion. Bins that Java would turn into trees (8+ keys in one
 * bucket) are not modelled; for ids of similar length that needs astronomically bad luck.
 */
export function javaHashMapOrder(keys: readonly string[]): string[] {
  const capacity = javaHashMapCapacity(keys.length);
  const buckets = keys.map((k) => javaBucket(javaStringHash(k), capacity));
  const order = keys.map((_, i) => i);
  order.sort((a, b) => buckets[a]! - buckets[b]! || a - b);
  return order.map((i) => keys[i]!);
}
