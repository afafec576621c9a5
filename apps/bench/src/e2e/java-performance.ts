import type { ClientReport } from './spec.js';

/**
 * Reads the summary Kafka's consumer perf tools (ConsumerPerformance, ShareConsumerPerformance) print:
 * a header line of comma-separated column names, found by `data.consumed.in.nMsg`, and the row below it.
 * @returns the value of a column by name (NaN for a column it lacks or a value that is no number), or
 *   undefined when the output has no summary.
 */
export function perfToolSummary(stdout: string): ((name: string) => number) | undefined {
  const lines = stdout.split('\n').map((line) => line.trim());
  const headerAt = lines.findIndex((line) => line.includes('data.consumed.in.nMsg'));
  if (headerAt < 0) return undefined;
  const names = lines[headerAt]!.split(',').map((name) => name.trim());
  const values = (lines[headerAt + 1] ?? '').split(',').map((value) => value.trim());
  return (name) => {
    const i = names.indexOf(name);
    return i < 0 ? Number.NaN : Number(values[i]);
  };
}

/**
 * Parses the summary ConsumerPerformance prints: a header line of comma-separated column names and
 * the row below it, e.g. `data.consumed.in.MB`, `data.consumed.in.nMsg`, `rebalance.time.ms`,
 * `fetch.time.ms`. The tool reports no time to first record (its `rebalance.time.ms` ends at the
 * join, before the first fetch), so that stays null; consumption time is its `fetch.time.ms`.
 *
 * @returns the report, or undefined when the output has no summary.
 */
export function parseConsumerPerformance(stdout: string): ClientReport | undefined {
  const column = perfToolSummary(stdout);
  if (column === undefined) return undefined;
  const records = column('data.consumed.in.nMsg');
  const megabytes = column('data.consumed.in.MB');
  const rebalanceMs = column('rebalance.time.ms');
  const fetchMs = column('fetch.time.ms');
  if (![records, megabytes, rebalanceMs, fetchMs].every(Number.isFinite)) return undefined;
  return {
    client: 'java',
    records,
    // The tool divides bytes by 1024 * 1024 and prints four decimals.
    bytes: Math.round(megabytes * 1024 * 1024),
    firstRecordMs: null,
    consumeMs: fetchMs,
    totalMs: rebalanceMs + fetchMs,
  };
}
