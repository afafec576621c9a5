/**
 * How long to wait between attempts: exponential growth with random jitter, as Kafka's clients do.
 *
 * It lives here, beside the error table's `retriable` flag, because it is the other half of the retry
 * policy (the flag says whether to try again, this says when) and because both packages that retry
 * import @runnel/protocol: @runnel/network around sockets, and the sans-I/O @runnel/group, which must
 * never import network.
 */

/** The shape of a backoff; names follow Java's `retry.backoff.ms` / `retry.backoff.max.ms`. */
export interface BackoffOptions {
  /** The first wait, in ms (`retry.backoff.ms`). */
  readonly initialMs: number;
  /** The largest wait, in ms, before jitter (`retry.backoff.max.ms`). */
  readonly maxMs: number;
  /** Growth factor per failure (default 2). */
  readonly multiplier?: number;
  /** Relative jitter: the wait is scaled by a random factor in [1 - jitter, 1 + jitter] (default 0.2). */
  readonly jitter?: number;
  /** A source of uniform numbers in [0, 1), injectable for tests (default Math.random). */
  readonly random?: () => number;
}

/**
 * The wait before attempt number `failures + 1`, given that `failures` attempts failed in a row.
 * @returns 0 when `failures` is 0, otherwise `min(initialMs * multiplier^(failures-1), maxMs)` scaled by
 *   the jitter factor and rounded to whole milliseconds. Never throws.
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

/**
 * {@link backoffMs} with its count of consecutive failures kept: one per kind of retry (a member's
 * JoinGroup, its heartbeats, a coordinator lookup), each reset by its own success.
 */
export class ExponentialBackoff {
  private failures = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** Records a failure. @returns the milliseconds to wait before the next attempt. Never throws. */
  fail(): number {
    this.failures++;
    return backoffMs(this.options, this.failures);
  }

  /** Forgets earlier failures after a success. */
  reset(): void {
    this.failures = 0;
  }
}
