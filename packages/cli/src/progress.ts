import type { Colors, OutputStream } from './io.js';

/** What the progress line shows. */
export interface ProgressCounts {
  readonly records: number;
  /** Key and value bytes printed. */
  readonly bytes: number;
  /** Records left before the end (the end offsets read at start, or the current lag); null when unknown. */
  readonly remaining: number | null;
}

const CLEAR_LINE = '\r\x1b[2K';

/**
 * A progress line on a terminal's stderr (records, MB, rate, remaining), redrawn in place. It is
 * wiped before anything else is printed, so record lines on the same terminal never mix with it.
 */
export class ProgressLine {
  private shown = false;
  private readonly startedAt: number;

  /** @param enabled draw at all (stderr is a terminal); when false every method does nothing. */
  constructor(
    private readonly stream: OutputStream,
    private readonly enabled: boolean,
    private readonly colors: Colors,
    private readonly now: () => number,
  ) {
    this.startedAt = now();
  }

  /** Draws the line for these counts, replacing the previous one. */
  draw(counts: ProgressCounts): void {
    if (!this.enabled) return;
    this.stream.write(`${CLEAR_LINE}${this.colors.dim(progressText(counts, this.now() - this.startedAt))}`);
    this.shown = true;
  }

  /** Wipes the line (before other output, and at the end). */
  clear(): void {
    if (!this.enabled || !this.shown) return;
    this.stream.write(CLEAR_LINE);
    this.shown = false;
  }

  /** Replaces the line with a final summary (`N records, X MB in T s`). */
  finish(counts: ProgressCounts): void {
    if (!this.enabled) return;
    this.clear();
    const seconds = (this.now() - this.startedAt) / 1000;
    this.stream.write(
      `${this.colors.dim(`${counts.records} records, ${megabytes(counts.bytes)} MB in ${seconds.toFixed(1)} s`)}\n`,
    );
  }
}

function megabytes(bytes: number): string {
  return (bytes / 1_000_000).toFixed(bytes < 10_000_000 ? 2 : 1);
}

/** @returns the progress text, e.g. `12,000 records  1.20 MB  8,000/s  3,000 to go`. */
export function progressText(counts: ProgressCounts, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? Math.round((counts.records * 1000) / elapsedMs) : 0;
  const remaining = counts.remaining === null ? '' : `  ${counts.remaining.toLocaleString('en-US')} to go`;
  return `${counts.records.toLocaleString('en-US')} records  ${megabytes(counts.bytes)} MB  ${rate.toLocaleString('en-US')}/s${remaining}`;
}
