import type { Logger } from '@runnel/consumer';
import type { OutputStream } from './io.js';

/** The packages' logger as the command runs it: lines on stderr under `--debug`, and the last error seen. */
export interface CliLogger extends Logger {
  /** The last `err` any log call carried (a refused connection, say), to explain a timeout. */
  readonly lastError: unknown;
}

/**
 * @param debug print every call on `stderr` (`--debug`); otherwise print nothing.
 * @returns a pino-shaped logger that also remembers the last error it was given.
 */
export function cliLogger(debug: boolean, stderr: OutputStream, now: () => number = Date.now): CliLogger {
  let lastError: unknown = null;
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void => {
      if (fields.err !== undefined) lastError = fields.err;
      if (!debug) return;
      stderr.write(`${new Date(now()).toISOString()} ${level} ${msg}${fieldsText(fields)}\n`);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    get lastError() {
      return lastError;
    },
  };
}

function fieldsText(fields: Record<string, unknown>): string {
  const entries = Object.entries(fields);
  if (entries.length === 0) return '';
  const shown = entries.map(([key, value]) => {
    if (value instanceof Error) return `${key}=${JSON.stringify(`${value.name}: ${value.message}`)}`;
    try {
      return `${key}=${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`;
    } catch {
      return `${key}=${String(value)}`;
    }
  });
  return ` ${shown.join(' ')}`;
}
