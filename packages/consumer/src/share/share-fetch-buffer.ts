/**
 * The records ShareFetch acquired, waiting for the user, and the memory they take. As the consumer's
 * FetchBuffer, three amounts count against `maxBufferedBytes`: the fetched bytes of buffered answers,
 * what handed-out batches hold beyond them (decompressed bytes, record objects) until finished, and the
 * room reserved by requests in flight; a compressed batch is decompressed only below the bound.
 *
 * Share-specific: only the acquired offsets are handed out (a ShareFetch answer may hold records another
 * member holds), each with its delivery count; acquired offsets that hold no record (control records,
 * compacted gaps) are settled as GAP; acquired offsets past the bytes received, and everything of a
 * batch that cannot be read, are released so that they are delivered again; data whose acquisition lock
 * ran out is dropped, since it is no longer ours. No I/O.
 */
import type { ConsumerRecord } from '../batch.js';
import type { RecordClasses } from '../deserializers.js';
import { PartitionFetchCursor } from '../partition-fetch.js';
import {
  AckCode as Ack,
  type AckCode,
  type AcknowledgementSink,
  SHARE_RECORD_BYTES,
  ShareDelivery,
} from './share-records.js';

/** A range of acquired offsets and its delivery count, as ShareFetch reports it. */
export interface AcquiredRange {
  readonly first: number;
  readonly last: number;
  readonly deliveryCount: number;
}

/** One partition of a ShareFetch answer. */
export interface SharePartitionData {
  /** `topic:partition`. */
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  readonly records: Uint8Array | null;
  /** Sorted by offset, not overlapping. */
  readonly acquired: readonly AcquiredRange[];
  /** When the acquisition lock runs out (ms since the epoch). */
  readonly lockExpiresAt: number;
}

/** What the buffer tells its owner. */
export interface ShareBufferHooks {
  /** Acquired `offsets` of `data` were settled without the user: GAP (no record) or RELEASE (unread). */
  settle(data: SharePartitionData, offsets: readonly number[], code: AckCode): void;
  /** `count` acquired records of `data` were dropped because their lock ran out before they were handed out. */
  expired(data: SharePartitionData, count: number): void;
  /** Fetched data could not be read (corrupt, or past the decompression cap). */
  readError(data: SharePartitionData, error: Error): void;
}

/** What {@link ShareFetchBuffer.take} returns. */
export type ShareTakeResult = { readonly delivery: ShareDelivery } | { readonly error: Error } | null;

/** Options of the records' decoding. */
export interface ShareDecodeOptions {
  readonly checkCrcs: boolean;
  readonly maxDecompressedSize: number;
  /** The class of the records read (one that deserializes, when the config has deserializers). */
  readonly recordClasses?: RecordClasses;
}

class Entry {
  readonly cursor: PartitionFetchCursor;
  /** The next offset not yet handed out, settled or released. */
  accounted: number;
  private range = 0;
  error: Error | null = null;

  constructor(
    readonly data: SharePartitionData,
    options: ShareDecodeOptions,
  ) {
    const first = data.acquired[0]?.first ?? 0;
    this.accounted = first;
    this.cursor = new PartitionFetchCursor(
      {
        topic: data.topic,
        partition: data.partition,
        fetchOffset: first,
        records: data.records,
        highWatermark: -1,
        lastStableOffset: -1,
        abortedTransactions: null,
      },
      // The broker acquires only what the group's share.isolation.level lets it hand out.
      {
        readCommitted: false,
        checkCrcs: options.checkCrcs,
        maxDecompressedSize: options.maxDecompressedSize,
        ...(options.recordClasses ? { recordClasses: options.recordClasses } : {}),
      },
    );
  }

  get rawBytes(): number {
    return this.cursor.rawBytes;
  }

  /** @returns the delivery count of `offset` when it is acquired, else 0; offsets must be asked in order. */
  deliveryCountOf(offset: number): number {
    const ranges = this.data.acquired;
    while (this.range < ranges.length && ranges[this.range]!.last < offset) this.range++;
    const r = ranges[this.range];
    return r !== undefined && r.first <= offset ? r.deliveryCount : 0;
  }

  /** @returns the acquired offsets in [`from`, `to`], in order; offsets must be asked in order. */
  acquiredBetween(from: number, to: number): number[] {
    const out: number[] = [];
    for (let i = this.range; i < this.data.acquired.length; i++) {
      const r = this.data.acquired[i]!;
      if (r.first > to) break;
      for (let o = Math.max(from, r.first); o <= Math.min(to, r.last); o++) out.push(o);
    }
    return out;
  }

  /** @returns every acquired offset from `accounted` on. */
  remaining(): number[] {
    return this.acquiredBetween(this.accounted, Number.MAX_SAFE_INTEGER);
  }
}

export class ShareFetchBuffer {
  private readonly ready: Entry[] = [];
  private raw = 0;
  private held = 0;
  private reserved = 0;
  private readonly outstanding = new Set<ShareDelivery>();

  /**
   * @param maxBytes `maxBufferedBytes`.
   * @param chunkBytes the most record bytes one handed-out batch gathers past its first record batch.
   */
  constructor(
    private readonly maxBytes: number,
    private readonly chunkBytes: number,
    private readonly options: ShareDecodeOptions,
    private readonly hooks: ShareBufferHooks,
  ) {}

  /** @returns the bytes of fetched data and of what handed-out batches hold. */
  get bufferedBytes(): number {
    return this.raw + this.held;
  }

  /** @returns the bytes a new ShareFetch answer may take. */
  get room(): number {
    return this.maxBytes - this.raw - this.held - this.reserved;
  }

  /** @returns the handed-out deliveries not finished yet. */
  get deliveries(): ReadonlySet<ShareDelivery> {
    return this.outstanding;
  }

  /** Counts `bytes` against the bound while a ShareFetch is in flight. */
  reserve(bytes: number): void {
    this.reserved += bytes;
  }

  /** Gives a reservation back once its answer arrived or failed. */
  unreserve(bytes: number): void {
    this.reserved -= bytes;
  }

  /** Buffers the acquired records of one partition of a ShareFetch answer. */
  add(data: SharePartitionData): void {
    if (data.acquired.length === 0) return;
    const entry = new Entry(data, this.options);
    this.ready.push(entry);
    this.raw += entry.rawBytes;
  }

  /**
   * Takes the next chunk of acquired records, oldest answer first.
   * @param owner the consumer, recorded in the delivery so that only it may acknowledge the records
   * @param sink where the delivery reports acknowledgements
   * @returns a delivery, an error the user must see (its unread records were released), or null when
   *   nothing can be handed out now.
   */
  take(owner: object, sink: AcknowledgementSink, now: number): ShareTakeResult {
    for (let i = 0; i < this.ready.length; i++) {
      const entry = this.ready[i]!;
      if (entry.error !== null || entry.cursor.done) {
        this.remove(i--);
        this.releaseRest(entry);
        if (entry.error !== null) return { error: entry.error };
        continue;
      }
      if (now >= entry.data.lockExpiresAt) {
        this.remove(i--);
        const lost = entry.remaining().length;
        entry.accounted = Number.MAX_SAFE_INTEGER;
        if (lost > 0) this.hooks.expired(entry.data, lost);
        continue;
      }
      const chunk = entry.cursor.next({
        maxBytes: this.chunkBytes,
        mayDecompress: (soFar) =>
          this.raw + this.held + soFar < this.maxBytes || (soFar === 0 && this.outstanding.size === 0),
        // The broker already acquires at most maxPollRecords records per ShareFetch.
        maxRecords: Number.POSITIVE_INFINITY,
      });
      if (chunk === null) continue;
      const read = chunk.nextPosition === null ? entry.accounted - 1 : chunk.nextPosition.offset - 1;
      const acquired: { record: ConsumerRecord; deliveryCount: number }[] = [];
      const gaps: number[] = [];
      for (const record of chunk.batch?.records ?? []) {
        const offset = record.offset;
        if (offset < entry.accounted) continue;
        gaps.push(...entry.acquiredBetween(entry.accounted, offset - 1));
        const deliveryCount = entry.deliveryCountOf(offset);
        if (deliveryCount > 0) acquired.push({ record, deliveryCount });
        entry.accounted = offset + 1;
      }
      if (read >= entry.accounted) {
        gaps.push(...entry.acquiredBetween(entry.accounted, read));
        entry.accounted = read + 1;
      }
      if (gaps.length > 0) this.hooks.settle(entry.data, gaps, Ack.gap);
      if (chunk.error !== null) {
        entry.error = chunk.error;
        this.hooks.readError(entry.data, chunk.error);
      }
      // The last chunk releases the entry; its fetched bytes count as held until the user is done,
      // since its records are views of them.
      const last = entry.cursor.done && entry.error === null;
      if (last) {
        this.remove(i);
        this.releaseRest(entry);
      }
      if (acquired.length === 0) {
        i--; // the same entry again, or the one that took its place
        continue;
      }
      const heldBytes = chunk.heldBytes + acquired.length * SHARE_RECORD_BYTES + (last ? entry.rawBytes : 0);
      const { topic, partition, lockExpiresAt } = entry.data;
      const delivery = new ShareDelivery(owner, topic, partition, acquired, lockExpiresAt, heldBytes, sink);
      this.held += heldBytes;
      this.outstanding.add(delivery);
      return { delivery };
    }
    return null;
  }

  /** Releases what a finished delivery held. @returns false when it was already released. */
  release(delivery: ShareDelivery): boolean {
    if (!this.outstanding.delete(delivery)) return false;
    this.held -= delivery.heldBytes;
    return true;
  }

  /**
   * Drops the buffered records of the partitions `keys` (revoked), or of every partition when `keys` is
   * not given (close), releasing their acquired offsets not handed out yet.
   */
  drop(keys?: ReadonlySet<string>): void {
    for (let i = this.ready.length - 1; i >= 0; i--) {
      const entry = this.ready[i]!;
      if (keys !== undefined && !keys.has(entry.data.key)) continue;
      this.remove(i);
      this.releaseRest(entry);
    }
  }

  /** Forgets everything (close, after `drop`). */
  clear(): void {
    this.ready.length = 0;
    this.outstanding.clear();
    this.raw = 0;
    this.held = 0;
    this.reserved = 0;
  }

  /** Releases the acquired offsets of `entry` not handed out or settled, so that they come again. */
  private releaseRest(entry: Entry): void {
    const rest = entry.remaining();
    entry.accounted = Number.MAX_SAFE_INTEGER;
    if (rest.length > 0) this.hooks.settle(entry.data, rest, Ack.release);
  }

  private remove(index: number): void {
    const [entry] = this.ready.splice(index, 1);
    if (entry !== undefined) this.raw -= entry.rawBytes;
  }
}
