/**
 * The commit watermark of one partition under `run({ ordering: 'key' | 'none' })`, where its records
 * finish out of order: the first offset handed out and not yet done. Everything below it is done, so a
 * commit stores it and a restart redoes nothing below it. Records done above it are kept as flags beside
 * the offsets still tracked (a window that never holds more than the records taken and not yet passed),
 * and can be written out run-length encoded relative to the watermark (see `doneBeyond`).
 */
import type { OffsetAndEpoch } from './batch.js';

export class OffsetWatermark {
  /** Offsets handed out, ascending, from `head` on: those at and above the watermark. */
  private offsets: number[] = [];
  private epochs: number[] = [];
  private done: boolean[] = [];
  private head = 0;
  private doneCount = 0;
  /** The position after the last tracked batch: the watermark once every tracked offset is done. */
  private end: OffsetAndEpoch;
  /** The leader epoch of the last offset the watermark passed. */
  private passedEpoch: number;

  /** @param start where the partition's processing starts (its position when the first batch was taken). */
  constructor(start: OffsetAndEpoch) {
    this.end = start;
    this.passedEpoch = start.leaderEpoch;
  }

  /**
   * Tracks an offset handed to a handler. Offsets must come in ascending order.
   * @throws RangeError when `offset` is not above the last tracked one.
   */
  track(offset: number, leaderEpoch: number): void {
    const last = this.offsets.length > this.head ? this.offsets[this.offsets.length - 1]! : -1;
    if (offset <= last || offset < this.end.offset)
      throw new RangeError(
        `offset ${offset} tracked out of order (after ${Math.max(last, this.end.offset - 1)})`,
      );
    this.offsets.push(offset);
    this.epochs.push(leaderEpoch);
    this.done.push(false);
  }

  /**
   * Moves the end past a batch whose records are all tracked (gaps of compaction and control records
   * after its last record included). @throws RangeError when `next` is below the current end.
   */
  extendTo(next: OffsetAndEpoch): void {
    if (next.offset < this.end.offset)
      throw new RangeError(`end ${next.offset} is below the current end ${this.end.offset}`);
    this.end = next;
  }

  /**
   * Marks a tracked offset done.
   * @returns whether the watermark moved.
   * @throws RangeError when the offset is not tracked or was already done.
   */
  complete(offset: number): boolean {
    const i = this.indexOf(offset);
    if (i < 0 || this.done[i]) throw new RangeError(`offset ${offset} is not in flight`);
    this.done[i] = true;
    this.doneCount++;
    if (i !== this.head) return false;
    while (this.head < this.offsets.length && this.done[this.head]) {
      this.passedEpoch = this.epochs[this.head]!;
      this.head++;
      this.doneCount--;
    }
    // Drop the passed part once it is the larger half, so that the arrays stay as long as the window.
    if (this.head > 1024 && this.head * 2 > this.offsets.length) {
      this.offsets = this.offsets.slice(this.head);
      this.epochs = this.epochs.slice(this.head);
      this.done = this.done.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  /** @returns the watermark: the first tracked offset not done, or the end when all are done. */
  get position(): OffsetAndEpoch {
    if (this.head < this.offsets.length)
      return { offset: this.offsets[this.head]!, leaderEpoch: this.passedEpoch };
    return this.end;
  }

  /** @returns the number of tracked offsets not done. */
  get pending(): number {
    return this.offsets.length - this.head - this.doneCount;
  }

  /**
   * @returns the offsets done above the watermark, run-length encoded relative to it: alternating
   *   lengths of not-done and done runs of tracked offsets, starting with the not-done run at the
   *   watermark; the not-done run after the last done offset is left out, so it is empty when nothing
   *   above the watermark is done. Gaps between tracked offsets are not counted.
   */
  doneBeyond(): number[] {
    const runs: number[] = [];
    let current = false;
    let length = 0;
    for (let i = this.head; i < this.offsets.length; i++) {
      if (this.done[i] === current) {
        length++;
        continue;
      }
      runs.push(length);
      current = !current;
      length = 1;
    }
    if (current) runs.push(length);
    return runs;
  }

  private indexOf(offset: number): number {
    // Binary search: the window is ascending.
    let lo = this.head;
    let hi = this.offsets.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = this.offsets[mid]!;
      if (value === offset) return mid;
      if (value < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/**
 * @returns the bytes a run list from {@link OffsetWatermark.doneBeyond} takes as unsigned varints, as
 *   it would if stored in commit metadata (see the consumer README, "Parallel processing").
 */
export function encodedRunsBytes(runs: readonly number[]): number {
  let bytes = 0;
  for (const run of runs) bytes += run < 0x80 ? 1 : run < 0x4000 ? 2 : run < 0x200000 ? 3 : 4;
  return bytes;
}
