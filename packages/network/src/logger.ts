/** One log method: pino's `(mergingObject, message)` call shape. */
export type LogFn = (obj: Record<string, unknown>, msg: string) => void;

/**
 * The logger the network layer writes to. Any pino logger fits (and so does a child logger);
 * Runnel never logs secrets (SASL credentials, TLS keys) in either argument.
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => {};

/** The default logger: discards everything. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** How often a recurring condition is logged at warn (default of {@link RateLimitedLog}). */
export const DEFAULT_WARN_INTERVAL_MS = 30_000;

/**
 * Logs a condition that recurs on every retry (a broker that refuses connections, a metadata refresh
 * that fails) at warn at most once per interval and key. Repeats in between go to debug, and the next
 * warn counts them (`repeated`), so a long outage leaves a few lines, not one per attempt.
 */
export class RateLimitedLog {
  private readonly keys = new Map<string, { at: number; repeated: number }>();

  /**
   * @param now the clock, in ms (injected so tests need not wait).
   * @param intervalMs the least time between two warns of one key.
   */
  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly intervalMs = DEFAULT_WARN_INTERVAL_MS,
  ) {}

  /** Logs at warn when `key` was not warned about within the interval, else at debug. */
  warn(key: string, obj: Record<string, unknown>, msg: string): void {
    const now = this.now();
    const seen = this.keys.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.repeated++;
      this.logger.debug(obj, msg);
      return;
    }
    this.logger.warn(seen && seen.repeated > 0 ? { ...obj, repeated: seen.repeated } : obj, msg);
    this.keys.set(key, { at: now, repeated: 0 });
  }

  /**
   * Forgets `key` because its condition ended.
   * @returns whether the key had been warned about (the condition had been reported).
   */
  reset(key: string): boolean {
    return this.keys.delete(key);
  }
}

/** @returns the error's stable `code` (RunnelError, Node system errors), or `UNKNOWN` when it has none. */
export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/**
 * The fields every warn and error line carries besides its message: a stable `event` name (listed in
 * docs/log-events.md) and the error's stable `code`, so that log pipelines alert on them without
 * parsing messages.
 * @returns `{ event, code, err }`.
 */
export function failure(event: string, error: unknown): { event: string; code: string; err: unknown } {
  return { event, code: codeOf(error), err: error };
}
