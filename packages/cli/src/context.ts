import type { Io } from './io.js';
import type { CliLogger } from './logger.js';
import type { Settings } from './settings.js';

/** What every command runs with. */
export interface CommandContext {
  readonly io: Io;
  readonly settings: Settings;
  readonly logger: CliLogger;
  /** Aborted on SIGINT or SIGTERM: the command stops what it does, closes its clients and returns. */
  readonly signal: AbortSignal;
}

/**
 * Waits `ms`, or less when `signal` aborts.
 * @returns once the time passed or the signal aborted.
 */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
