/**
 * Acknowledgements waiting to be sent, per partition, and their wire form: the acknowledgement batches
 * of ShareFetch and ShareAcknowledge. Consecutive offsets become one batch, with one type when they all
 * share it and one type per offset otherwise, as Java's share consumer sends them. No I/O.
 */
import type { AckCode } from './share-records.js';

/** One acknowledgement batch as both requests carry it. */
export interface AcknowledgementBatch {
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  readonly acknowledgeTypes: number[];
}

/** One acknowledgement waiting to be sent. */
export interface PendingAcknowledgement {
  readonly offset: number;
  readonly code: AckCode;
  /** When the record's acquisition lock runs out: sending it later is pointless (ms since the epoch). */
  readonly lockExpiresAt: number;
  /** The order it was made in, so that a commit waits for those made before it and no later ones. */
  readonly seq: number;
}

/**
 * @returns the acknowledgement batches of `acks` (any order; an offset given twice keeps its first
 *   code), sorted by offset. Never throws.
 */
export function acknowledgementBatches(acks: readonly PendingAcknowledgement[]): AcknowledgementBatch[] {
  const sorted = [...acks].sort((a, b) => a.offset - b.offset);
  const batches: AcknowledgementBatch[] = [];
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i]!.offset;
    const codes: number[] = [sorted[i]!.code];
    let last = first;
    let j = i + 1;
    while (j < sorted.length && sorted[j]!.offset <= last + 1) {
      if (sorted[j]!.offset === last + 1) {
        last++;
        codes.push(sorted[j]!.code);
      }
      j++;
    }
    const same = codes.every((c) => c === codes[0]);
    batches.push({
      firstOffset: BigInt(first),
      lastOffset: BigInt(last),
      acknowledgeTypes: same ? [codes[0]!] : codes,
    });
    i = j;
  }
  return batches;
}

/** The acknowledgements of every partition waiting to be sent, keyed by `topic:partition`. */
export class PendingAcknowledgements {
  private readonly byPartition = new Map<string, PendingAcknowledgement[]>();

  /** @returns the number of partitions with acknowledgements waiting. */
  get partitions(): number {
    return this.byPartition.size;
  }

  /** Adds one acknowledgement of the partition `key`. */
  add(key: string, ack: PendingAcknowledgement): void {
    const list = this.byPartition.get(key);
    if (list === undefined) this.byPartition.set(key, [ack]);
    else list.push(ack);
  }

  /** @returns the smallest `seq` waiting, or Infinity. */
  oldestSeq(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const list of this.byPartition.values()) for (const a of list) oldest = Math.min(oldest, a.seq);
    return oldest;
  }

  /** Puts acknowledgements back (their request failed and may be retried). */
  restore(key: string, acks: readonly PendingAcknowledgement[]): void {
    for (const ack of acks) this.add(key, ack);
  }

  /** @returns whether acknowledgements of `key` wait. */
  has(key: string): boolean {
    return this.byPartition.has(key);
  }

  /** @returns the partitions with acknowledgements waiting. */
  keys(): string[] {
    return [...this.byPartition.keys()];
  }

  /** @returns the acknowledgements of `key`, kept (an empty list when none). */
  peek(key: string): readonly PendingAcknowledgement[] {
    return this.byPartition.get(key) ?? [];
  }

  /** @returns and forgets the acknowledgements of `key` (an empty list when none). */
  take(key: string): PendingAcknowledgement[] {
    const list = this.byPartition.get(key) ?? [];
    this.byPartition.delete(key);
    return list;
  }

  /** @returns and forgets every acknowledgement whose lock ran out by `now`, by partition. */
  takeExpired(now: number): Map<string, PendingAcknowledgement[]> {
    const out = new Map<string, PendingAcknowledgement[]>();
    for (const [key, list] of this.byPartition) {
      const expired = list.filter((a) => a.lockExpiresAt <= now);
      if (expired.length === 0) continue;
      out.set(key, expired);
      const kept = list.filter((a) => a.lockExpiresAt > now);
      if (kept.length === 0) this.byPartition.delete(key);
      else this.byPartition.set(key, kept);
    }
    return out;
  }
}
