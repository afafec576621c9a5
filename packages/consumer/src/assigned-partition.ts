import { type OffsetAndEpoch, partitionKey } from './batch.js';
import type { PartitionFetchCursor } from './partition-fetch.js';
import { ReadReplica } from './read-replica.js';

/** How a partition without a position gets one. */
export type PositionSource = 'committed' | 'earliest' | 'latest';

/**
 * Fetched data of one partition waiting for the user, handed out a chunk at a time, or the error its
 * fetch ended in (after the chunks before it).
 */
export interface BufferedFetch {
  readonly partition: AssignedPartition;
  /** The partition's generation when the fetch was sent; a seek since then makes the data stale. */
  readonly generation: number;
  /** The partition's position this data continues from; it moves as chunks are handed out. */
  position: number;
  readonly cursor: PartitionFetchCursor | null;
  error: Error | null;
  /** The fetched bytes it holds (the partition's part of the Fetch response). */
  readonly rawBytes: number;
  /** The position after all of it (see `PartitionFetchCursor.endPosition`); null for none or an error. */
  readonly end: OffsetAndEpoch | null;
}

/**
 * The consumer's state of one assigned partition. Two positions are kept: `position`, the next offset
 * to hand out (it moves when fetched data is handed to the user), and `consumed`, the offset after the
 * last batch the user finished (what commits store). Fetching runs one answer ahead: while the data of
 * one answer (`buffered`) is handed out, the next is fetched from where it ends and waits behind it
 * (`prefetched`), so that the user does not wait for a round trip between two answers of a partition.
 */
export class AssignedPartition {
  readonly key: string;
  position: OffsetAndEpoch | null = null;
  consumed: OffsetAndEpoch | null = null;
  /** The last offset this consumer committed (or read as committed), to skip commits that change nothing. */
  committedOffset: number | null = null;
  /** Where the position comes from when it is null. */
  source: PositionSource = 'committed';
  /** A position lookup (OffsetFetch / ListOffsets) is running. */
  initializing = false;
  /** A truncation check (OffsetForLeaderEpoch) is needed before fetching again. */
  needsValidation = false;
  validating = false;
  paused = false;
  /** Being revoked: nothing more is fetched or handed out while its handlers finish and it is committed. */
  revoking = false;
  /** The user holds a batch of this partition and has not finished it. */
  busy = false;
  /**
   * Records of it that run's parallel orderings took and have not ended: its consumed position is
   * their watermark, and a revocation waits for them.
   */
  unfinished = 0;
  /** Part of a Fetch request in flight. */
  fetching = false;
  /** Fetched data being handed out (or waiting to be), the oldest of the partition's. */
  buffered: BufferedFetch | null = null;
  /** Data fetched from where `buffered` ends, waiting until that is all handed out. */
  prefetched: BufferedFetch | null = null;
  /**
   * A fetch ahead came back with something other than records (an error, a replica to follow, a
   * partial batch): the partition fetches again from its position once `buffered` is handed out, where
   * the answer is acted on as usual.
   */
  prefetchBlocked = false;
  /** An error the user must see and act on (seek) before fetching resumes, e.g. out of range with reset `none`. */
  halted: Error | null = null;
  haltedReported = false;
  /** Bumped by every seek or reset: fetched data of an older generation is dropped. */
  generation = 0;
  /** No longer assigned; in-flight data for it is dropped. */
  revoked = false;
  highWatermark = -1;
  lastStableOffset = -1;
  logStartOffset = -1;
  /** Clock time before which no fetch is sent for it (after a retriable partition error). */
  retryAt = 0;
  /** Why the last position lookup failed, for the cause of a timeout in `position()`. */
  lastError: Error | null = null;
  /** A partition fetch size above `maxPartitionFetchBytes`, after answers that held no complete batch. */
  fetchSize: number | null = null;
  /** Answers in a row that held no complete batch. */
  partialAnswers = 0;
  /** The fetch offset the broker refused as out of range, when that caused the pending reset; else null. */
  resetFrom: number | null = null;
  /** Clock time since which its topic or partition has been missing from the metadata; null while known. */
  missingSince: number | null = null;
  /** Whether it is fetched from its leader or from a preferred read replica (KIP-392). */
  readonly readReplica = new ReadReplica();

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {
    this.key = partitionKey(topic, partition);
  }

  /** @returns whether the partition can go into a Fetch request now. */
  fetchable(now: number): boolean {
    return (
      this.position !== null &&
      !this.paused &&
      !this.revoking &&
      this.fetchFrom !== null &&
      !this.fetching &&
      this.halted === null &&
      !this.revoked &&
      !this.needsValidation &&
      !this.validating &&
      this.retryAt <= now
    );
  }

  /**
   * @returns where the partition's next Fetch starts: its position when nothing is buffered, else
   *   where the buffered data ends; null when it holds as much as it may (an answer ahead already, or
   *   one that cannot be followed).
   */
  get fetchFrom(): OffsetAndEpoch | null {
    const head = this.buffered;
    if (head === null) return this.position;
    if (this.prefetched !== null || this.prefetchBlocked) return null;
    return head.end;
  }

  /** @returns where its log ends for this consumer (the last stable offset under read_committed); -1 while unknown. */
  logEnd(readCommitted: boolean): number {
    return readCommitted && this.lastStableOffset >= 0 ? this.lastStableOffset : this.highWatermark;
  }

  /** @returns whether its next Fetch starts at the log end its last answer reported (it could only wait). */
  atLogEnd(readCommitted: boolean): boolean {
    const from = this.fetchFrom;
    const end = this.logEnd(readCommitted);
    return from !== null && end >= 0 && from.offset >= end;
  }

  /**
   * @returns whether it holds an answer ahead with more of its log behind that answer, and hands out
   *   data: it will want a Fetch as soon as it has handed out what it holds.
   */
  wantsFetchSoon(readCommitted: boolean): boolean {
    const ahead = this.prefetched?.end;
    const end = this.logEnd(readCommitted);
    return (
      ahead != null &&
      end >= 0 &&
      ahead.offset < end &&
      !this.paused &&
      !this.revoking &&
      !this.revoked &&
      this.halted === null
    );
  }

  /** Forgets its buffered data (the buffer drops the entries themselves). */
  dropBuffered(): void {
    this.buffered = null;
    this.prefetched = null;
    this.prefetchBlocked = false;
  }

  /** Stops the partition with an error the user must see; it resumes after a seek. */
  halt(error: Error): void {
    this.halted = error;
    this.haltedReported = false;
  }

  /**
   * Moves the position (a seek, a reset, a truncation): buffered and in-flight data become stale and
   * a halting error is cleared.
   */
  seek(position: OffsetAndEpoch | null, source: PositionSource = 'committed'): void {
    this.generation++;
    this.position = position;
    this.source = source;
    this.dropBuffered();
    this.halted = null;
    this.haltedReported = false;
    this.needsValidation = false;
    this.fetchSize = null;
    this.partialAnswers = 0;
    this.missingSince = null;
    this.resetFrom = null;
    if (position !== null) this.consumed = position;
  }
}
