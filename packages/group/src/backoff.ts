/**
 * Exponential backoff with jitter, as Kafka clients do between retries: the n-th consecutive failure
 * waits `initialMs * 2^n`, capped at `maxMs`, each wait scaled by a random factor in [0.8, 1.2].
 */
export class ExponentialBackoff {
  private failures = 0;

  /**
   * @param initialMs wait after the first failure (`retry.backoff.ms`)
   * @param maxMs the cap (`retry.backoff.max.ms`)
   * @param random a source of numbers in [0, 1); injected so tests are deterministic
   */
  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number,
  ) {}

  /** Records a failure. @returns the milliseconds to wait before the next attempt. */
  fail(): number {
    const exp = Math.min(this.failures, 30);
    this.failures++;
    const base = Math.min(this.initialMs * 2 ** exp, this.maxMs);
    if (this.initialMs >= this.maxMs) return this.maxMs;
    const jitter = 0.8 + 0.4 * this.random();
    return Math.round(Math.min(base * jitter, this.maxMs * 1.2));
  }

  /** Forgets earlier failures after a success. */
  reset(): void {
    this.failures = 0;
  }
}
