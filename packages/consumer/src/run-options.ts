/** The checks of `run`'s options that belong to one ordering or the other. */
import type { RunOptions } from './consumer-types.js';
import type { ParallelSettings } from './parallel-run.js';

const DEFAULT_MAX_IN_FLIGHT = 16;
const DEFAULT_RETRY_BACKOFF_MS = 100;

function integerOption(value: number | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min)
    throw new TypeError(`${name} must be an integer of at least ${min}, got ${value}`);
  return value;
}

/**
 * @returns the settings of a run with ordering 'key' or 'none', defaults applied.
 * @throws TypeError naming the option: an unknown ordering, `eachBatch` or `concurrency` given (they
 *   belong to ordering 'partition'), no `eachRecord`, or a count that is not a whole number in range.
 */
export function parallelSettings(options: RunOptions): ParallelSettings {
  const { ordering, eachRecord } = options;
  if (ordering !== 'key' && ordering !== 'none')
    throw new TypeError(`ordering must be 'partition', 'key' or 'none', got ${String(ordering)}`);
  if (options.eachBatch) throw new TypeError(`ordering '${ordering}' needs eachRecord, not eachBatch`);
  if (!eachRecord) throw new TypeError(`ordering '${ordering}' needs eachRecord`);
  if (options.concurrency !== undefined)
    throw new TypeError(
      `concurrency applies to ordering 'partition'; ordering '${ordering}' uses maxInFlight`,
    );
  return {
    ordering,
    eachRecord,
    maxInFlight: integerOption(options.maxInFlight, 'maxInFlight', DEFAULT_MAX_IN_FLIGHT, 1),
    retries: integerOption(options.retries, 'retries', 0),
    retryBackoffMs: integerOption(options.retryBackoffMs, 'retryBackoffMs', DEFAULT_RETRY_BACKOFF_MS),
  };
}

/**
 * Checks that a run with ordering 'partition' got none of the parallel orderings' options.
 * @throws TypeError naming the option.
 */
export function checkPartitionOrdering(options: RunOptions): void {
  for (const name of ['maxInFlight', 'retries', 'retryBackoffMs'] as const) {
    if (options[name] !== undefined)
      throw new TypeError(`${name} applies to ordering 'key' or 'none', not 'partition'`);
  }
}
