import type { EventPartition, ProducerEvent } from './events.js';

/** `topic-partition`, the key every per-partition map of the checker uses. */
export function partitionKey(tp: EventPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

/**
 * The truth of what was written: every record VerifiableProducer saw acknowledged, by partition.
 * Records whose send failed are not in it (they may or may not be in the log).
 */
export class AckedRecords {
  private readonly sorted = new Map<string, number[]>();
  private total = 0;

  /**
   * Collects the `producer_send_success` events of one or more producer runs.
   *
   * @returns the acknowledged offsets; an offset acknowledged twice (a retried send the broker
   *   deduplicated) counts once.
   */
  static from(events: Iterable<ProducerEvent>): AckedRecords {
    const sets = new Map<string, Set<number>>();
    for (const event of events) {
      if (event.name !== 'producer_send_success') continue;
      const key = partitionKey(event);
      let offsets = sets.get(key);
      if (offsets === undefined) sets.set(key, (offsets = new Set()));
      offsets.add(event.offset);
    }
    const acked = new AckedRecords();
    for (const [key, offsets] of sets) {
      acked.sorted.set(
        key,
        [...offsets].sort((a, b) => a - b),
      );
      acked.total += offsets.size;
    }
    return acked;
  }

  /** @returns these records less those `excluded` names (by `topic-partition` key and offset). */
  without(excluded: (key: string, offset: number) => boolean): AckedRecords {
    const kept = new AckedRecords();
    for (const [key, offsets] of this.sorted) {
      const left = offsets.filter((o) => !excluded(key, o));
      if (left.length > 0) kept.sorted.set(key, left);
      kept.total += left.length;
    }
    return kept;
  }

  /** How many records were acknowledged. */
  get count(): number {
    return this.total;
  }

  /** The partitions written to, as `topic-partition` keys. */
  partitions(): string[] {
    return [...this.sorted.keys()];
  }

  /** The acknowledged offsets of one partition, ascending. */
  offsets(key: string): readonly number[] {
    return this.sorted.get(key) ?? [];
  }

  /** @returns how many acknowledged offsets of partition `key` lie in [from, to). */
  countBetween(key: string, from: number, to: number): number {
    if (to <= from) return 0;
    const offsets = this.sorted.get(key);
    if (offsets === undefined) return 0;
    return lowerBound(offsets, to) - lowerBound(offsets, from);
  }
}

/** The index of the first element >= `value` in ascending `values`. */
function lowerBound(values: readonly number[], value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
