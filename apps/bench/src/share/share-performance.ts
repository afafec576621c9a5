/**
 * Reading Kafka's ShareConsumerPerformance: its summary is a header of comma-separated column names
 * (`start.time, end.time, data.consumed.in.MB, MB.sec, nMsg.sec, data.consumed.in.nMsg,
 * fetch.time.ms`) and the row below it. Its start time is taken before the consumer joins, so its
 * `fetch.time.ms` includes the join and the first fetch: the tool reports no time to first record.
 */
import { perfToolSummary } from '../e2e/java-performance.js';

/** What one ShareConsumerPerformance run reported. */
export interface SharePerformanceReport {
  readonly records: number;
  readonly bytes: number;
  /** From its start (before the join) to the last record. */
  readonly totalMs: number;
}

/** @returns the summary of the tool's stdout, or undefined when it printed none. */
export function parseShareConsumerPerformance(stdout: string): SharePerformanceReport | undefined {
  const column = perfToolSummary(stdout);
  if (column === undefined) return undefined;
  const records = column('data.consumed.in.nMsg');
  const megabytes = column('data.consumed.in.MB');
  const totalMs = column('fetch.time.ms');
  if (![records, megabytes, totalMs].every(Number.isFinite)) return undefined;
  // The tool divides bytes by 1024 * 1024 and prints four decimals.
  return { records, bytes: Math.round(megabytes * 1024 * 1024), totalMs };
}
