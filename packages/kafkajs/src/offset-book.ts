/**
 * KafkaJS's resolved offsets: what the handlers finished (`resolveOffset`, or each `eachMessage` that
 * returned), not yet committed. Commits store the offset after the last resolved record; the
 * auto-commit policy (`autoCommitInterval`, `autoCommitThreshold`) reads the counts kept here.
 */
import type { OffsetsByTopicPartition, TopicOffsets } from './types.js';

interface Entry {
  readonly topic: string;
  readonly partition: number;
  /** The offset after the last resolved record: what a commit stores. */
  next: number;
  /** The offset last committed, or -1. */
  committed: number;
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class OffsetBook {
  private readonly entries = new Map<string, Entry>();
  /** Records resolved since the last commit (for `autoCommitThreshold`). */
  resolvedSinceCommit = 0;

  /** Records that every record before `next` was processed. A lower offset (after a seek back) wins too. */
  resolve(topic: string, partition: number, next: number, count = 1): void {
    const key = keyOf(topic, partition);
    const entry = this.entries.get(key);
    if (entry) entry.next = next;
    else this.entries.set(key, { topic, partition, next, committed: -1 });
    this.resolvedSinceCommit += count;
  }

  /** @returns the offset after the last resolved record of the partition, or undefined. */
  next(topic: string, partition: number): number | undefined {
    return this.entries.get(keyOf(topic, partition))?.next;
  }

  /** @returns the partitions whose resolved offset was not committed yet, with that offset. */
  uncommitted(partitions?: ReadonlySet<string>): Array<{ topic: string; partition: number; offset: number }> {
    const out: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const [key, e] of this.entries) {
      if (e.next === e.committed || (partitions && !partitions.has(key))) continue;
      out.push({ topic: e.topic, partition: e.partition, offset: e.next });
    }
    return out;
  }

  /** Records a successful commit of these offsets. */
  committed(offsets: ReadonlyArray<{ topic: string; partition: number; offset: number }>): void {
    for (const o of offsets) {
      const entry = this.entries.get(keyOf(o.topic, o.partition));
      if (entry) entry.committed = o.offset;
      else this.entries.set(keyOf(o.topic, o.partition), { ...o, next: o.offset, committed: o.offset });
    }
    this.resolvedSinceCommit = 0;
  }

  /** Forgets partitions no longer assigned (revoked or lost). */
  forget(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    for (const tp of partitions) this.entries.delete(keyOf(tp.topic, tp.partition));
  }

  /** @returns the key of a partition in the sets `uncommitted` takes. */
  static key(topic: string, partition: number): string {
    return keyOf(topic, partition);
  }
}

/** @returns offsets grouped by topic, with string offsets, as KafkaJS reports them. */
export function byTopic(
  offsets: ReadonlyArray<{ topic: string; partition: number; offset: number }>,
): OffsetsByTopicPartition {
  const topics = new Map<string, TopicOffsets>();
  for (const o of offsets) {
    let t = topics.get(o.topic);
    if (!t) {
      t = { topic: o.topic, partitions: [] };
      topics.set(o.topic, t);
    }
    t.partitions.push({ partition: o.partition, offset: String(o.offset) });
  }
  return { topics: [...topics.values()] };
}
