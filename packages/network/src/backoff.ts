/** How long to wait between attempts: exponential growth with random jitter, as Java's clients do. */
export interface BackoffOptions {
  /** The first wait, in ms. */
  initialMs: number;
  /** The largest wait, in ms, before jitter. */
  maxMs: number;
  /** Growth factor per failure (default 2). */
  multiplier?: number;
  /** Relative jitter: the wait is scaled by a random factor in [1 - jitter, 1 + jitter] (default 0.2). */
  jitter?: number;
  /** A source of uniform numbers in [0, 1), injectable for tests (default Math.random). */
  random?: () => number;
}

/**
 * The wait before attempt number `failures + 1`, given that `failures` attempts failed in a row.
 * @returns 0 when `failures` is 0, otherwise `min(initialMs * multiplier^(failures-1), maxMs)` scaled by
 *   the jitter factor and rounded to whole milliseconds. It never throws.
 */
export function backoffMs(options: BackoffOptions, failures: number): number {
  if (failures <= 0) return 0;
  const multiplier = options.multiplier ?? 2;
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  // Capping the exponent keeps the power finite however long a broker stays down.
  const exponent = Math.min(failures - 1, 64);
  const base = Math.min(options.initialMs * multiplier ** exponent, options.maxMs);
  const factor = 1 - jitter + 2 * jitter * random();
  return Math.max(0, Math.round(base * factor));
}
