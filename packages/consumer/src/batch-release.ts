/**
 * `releaseBatchMemory`: each fetched record batch is released (`DefaultRecordBatch.release`) as soon
 * as the program is done with all of its records, so that its decompressed bytes are freed then,
 * not at V8's next full collection, which comes only once tens of MiB of them have piled up.
 *
 * A record batch's records may reach the program in several user batches (a `maxPollRecords` cut
 * leaves the rest for the next one), and under `run`'s parallel orderings user batches of one
 * partition may be done out of order: so each record batch counts its records not yet done, and is
 * released when that count reaches zero. Records dropped before the program got them (a seek, a
 * revocation, close) never count down; their batch is left to the collector, as without the option.
 */
import type { DefaultRecordBatch } from '@runnel/codec';
import { type ConsumerRecord, FetchedRecord } from './batch.js';

export class BatchRelease {
  private readonly left = new WeakMap<DefaultRecordBatch, number>();

  /** Counts `count` records of `batch` on their way to the program. */
  handedOut(batch: DefaultRecordBatch, count: number): void {
    if (count > 0) this.left.set(batch, (this.left.get(batch) ?? 0) + count);
  }

  /**
   * The program is done with `records` (one user batch, in offset order): releases each record batch
   * none of whose records is left.
   */
  done(records: readonly ConsumerRecord<unknown, unknown>[]): void {
    let i = 0;
    while (i < records.length) {
      const record = records[i];
      if (!(record instanceof FetchedRecord)) {
        i++;
        continue;
      }
      // The records of one record batch sit next to each other: count them down in one step.
      const batch = record.batch;
      let j = i + 1;
      while (j < records.length && (records[j] as Partial<FetchedRecord>).batch === batch) j++;
      const left = this.left.get(batch);
      if (left !== undefined) {
        if (left > j - i) this.left.set(batch, left - (j - i));
        else {
          this.left.delete(batch);
          batch.release();
        }
      }
      i = j;
    }
  }
}
