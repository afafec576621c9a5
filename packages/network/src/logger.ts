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
