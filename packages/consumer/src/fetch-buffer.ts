/**
 * The fetched data waiting for the user, and the memory it takes. Three amounts count against
 * `maxBufferedBytes`: the fetched bytes of buffered responses, what handed-out batches hold beyond them
 * (decompressed bytes, record objects) until the user finishes them, and the room reserved by Fetch
 * requests in flight. A compressed batch is decompressed only while that total is below the bound (or
 * when the user holds nothing, so that consumption always moves), so the total passes the bound by one
 * batch at most.
 */
import type { Clock } from '@runnel/network';
import type { AssignedPartition, BufferedFetch } from './assigned-partition.js';
import type { ConsumerBatch, OffsetAndEpoch } from './batch.js';
import type { BatchRelease } from './batch-release.js';

/** A batch handed to the user; `finish` records it as processed. */
export interface Delivery {
  readonly batch: ConsumerBatch;
  readonly partition: AssignedPartition;
  readonly generation: number;
  readonly next: OffsetAndEpoch;
  /** Memory the batch holds until finished; counted in the buffer's bytes. */
  readonly heldBytes: number;
}

/** What {@link FetchBuffer.take} returns. */
export type TakeResult = { readonly delivery: Delivery } | { readonly error: Error } | null;

export class FetchBuffer {
  private readonly ready: BufferedFetch[] = [];
  private raw = 0;
  private held = 0;
  private reserved = 0;
  private readonly outstanding = new Set<Delivery>();
  /** Partitions (as assigned: a reassignment is a new object) that handed out a batch already. */
  private readonly started = new WeakSet<AssignedPartition>();

  /**
   * @param maxBytes `maxBufferedBytes`.
   * @param chunkBytes the most record bytes (decompressed) one handed-out batch gathers, past its first
   *   record batch: `maxPartitionFetchBytes`, the size users expect of one partition's batch (a
   *   partition's very first batch holds one record batch, so that the first records come early).
   * @param clock sets when a partition whose data failed may be fetched again.
   * @param onReadError called when fetched data cannot be read (corrupt, or past the decompression cap).
   * @param maxRecords the most records one handed-out batch holds (`maxPollRecords`; Infinity: no cap).
   * @param batchRelease with `releaseBatchMemory`, told of each handed-out batch once it is released.
   */
  constructor(
    private readonly maxBytes: number,
    private readonly chunkBytes: number,
    private readonly clock: Clock,
    private readonly onReadError: () => void = () => {},
    private readonly maxRecords = Number.POSITIVE_INFINITY,
    private readonly batchRelease: BatchRelease | null = null,
  ) {}

  /** @returns the bytes of fetched data and of what handed-out batches hold. */
  get bufferedBytes(): number {
    return this.raw + this.held;
  }

  /** @returns how many partitions' fetched data (or errors) wait to be taken. */
  get entries(): number {
    return this.ready.length;
  }

  /** @returns the bytes a new Fetch response may take: the bound less what is held and reserved. */
  get room(): number {
    return this.maxBytes - this.raw - this.held - this.reserved;
  }

  /** Counts `bytes` against the bound while a Fetch request is in flight. */
  reserve(bytes: number): void {
    this.reserved += bytes;
  }

  /** Gives back a reservation once its response arrived (its data is counted when added) or failed. */
  unreserve(bytes: number): void {
    this.reserved -= bytes;
  }

  /** Buffers a partition's fetched data (or error), behind what it buffered already. */
  add(entry: BufferedFetch): void {
    const p = entry.partition;
    if (p.buffered === null) p.buffered = entry;
    else p.prefetched = entry;
    this.ready.push(entry);
    this.raw += entry.rawBytes;
  }

  /** Drops the buffered data of a partition (after a seek or revocation). */
  purge(p: AssignedPartition): void {
    for (let i = this.ready.length - 1; i >= 0; i--) {
      if (this.ready[i]!.partition === p) this.remove(i);
    }
    p.dropBuffered();
  }

  /**
   * Takes the next chunk of the oldest buffered data of a partition that is neither paused nor held by
   * the user, and moves that partition's fetch position past it.
   * @returns the delivery, an error the user must see, or null when nothing can be handed out now.
   */
  take(retryBackoffMs: number): TakeResult {
    for (let i = 0; i < this.ready.length; i++) {
      const entry = this.ready[i]!;
      const p = entry.partition;
      const gone = p.revoked || entry.generation !== p.generation; // revoked, or a seek since
      if (entry !== p.buffered) {
        // Data fetched ahead waits for the partition's data before it; anything else is left over.
        if (gone || entry !== p.prefetched) this.remove(i--);
        continue;
      }
      // Also stale: fetched ahead from where the data before it was to end, but did not (it failed).
      if (gone || p.position?.offset !== entry.position) {
        this.remove(i--);
        continue;
      }
      if (p.paused || p.busy || p.revoking) continue;
      const cursor = entry.cursor;
      if (cursor === null || cursor.done) {
        this.remove(i--);
        if (entry.error === null) continue;
        p.retryAt = this.clock.now() + retryBackoffMs;
        return { error: entry.error };
      }
      // A partition's first batch is its first record batch alone: the first records reach the user
      // once they are decoded, not once the whole first fetch (up to maxPartitionFetchBytes) is.
      const chunk = cursor.next({
        maxBytes: this.started.has(p) ? this.chunkBytes : 1,
        maxRecords: this.maxRecords,
        mayDecompress: (soFar) =>
          this.raw + this.held + soFar < this.maxBytes || (soFar === 0 && this.outstanding.size === 0),
      });
      if (chunk === null) continue;
      if (chunk.error) {
        entry.error = chunk.error;
        this.onReadError();
      }
      if (chunk.nextPosition) {
        p.position = chunk.nextPosition;
        entry.position = chunk.nextPosition.offset;
      }
      // The last chunk releases the entry, and its fetched bytes count as held until the user is done,
      // since its records may be views of them.
      const last = cursor.done && entry.error === null;
      if (last) this.remove(i);
      if (chunk.batch === null) {
        // Records still running in parallel hold the consumed position at their watermark.
        if (chunk.nextPosition && p.unfinished === 0) p.consumed = chunk.nextPosition;
        i--; // the same entry again, or the one that took its place
        continue;
      }
      p.busy = true;
      this.started.add(p);
      const heldBytes = chunk.heldBytes + (last ? entry.rawBytes : 0);
      const delivery: Delivery = {
        batch: chunk.batch,
        partition: p,
        generation: p.generation,
        next: chunk.nextPosition!,
        heldBytes,
      };
      this.held += heldBytes;
      this.outstanding.add(delivery);
      return { delivery };
    }
    return null;
  }

  /** Releases what a delivery held. @returns false when it was already released. */
  release(delivery: Delivery): boolean {
    if (!this.outstanding.delete(delivery)) return false;
    this.held -= delivery.heldBytes;
    this.batchRelease?.done(delivery.batch.records);
    return true;
  }

  /** Forgets everything (close). */
  clear(): void {
    for (const entry of this.ready) entry.partition.dropBuffered();
    this.ready.length = 0;
    this.outstanding.clear();
    this.raw = 0;
    this.held = 0;
    this.reserved = 0;
  }

  private remove(index: number): void {
    const [entry] = this.ready.splice(index, 1);
    if (!entry) return;
    this.raw -= entry.rawBytes;
    const p = entry.partition;
    if (p.buffered === entry) {
      p.buffered = p.prefetched;
      p.prefetched = null;
      if (p.buffered === null) p.prefetchBlocked = false;
    } else if (p.prefetched === entry) {
      p.prefetched = null;
    }
  }
}
