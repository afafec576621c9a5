/**
 * KafkaJS's logging (`logLevel`, `logCreator`) on both sides: the `Logger` a KafkaJS program gets from
 * `kafka.logger()` and `consumer.logger()`, and the pino-style logger @runnel/consumer writes to, both
 * ending in the program's `logCreator` (default: JSON lines on the console, as KafkaJS does).
 */
import type { Logger as RunnelLogger } from '@runnel/consumer';
import { type LogEntry, type Logger, type logCreator, logLevel } from './types.js';

const LABELS: Record<number, string> = {
  [logLevel.ERROR]: 'ERROR',
  [logLevel.WARN]: 'WARN',
  [logLevel.INFO]: 'INFO',
  [logLevel.DEBUG]: 'DEBUG',
};

/** KafkaJS's default: one JSON line per entry on the console. */
export const consoleLogCreator: logCreator = () => (entry: LogEntry) => {
  const { timestamp, message, ...extra } = entry.log;
  const line = JSON.stringify({ level: entry.label, timestamp, logger: 'kafkajs', message, ...extra });
  if (entry.level === logLevel.ERROR) console.error(line);
  else if (entry.level === logLevel.WARN) console.warn(line);
  else console.log(line);
};

/**
 * @param level the most verbose level written (KafkaJS's default is INFO).
 * @returns a KafkaJS Logger writing through `creator`, in `namespace`.
 */
export function createLogger(creator: logCreator, level: logLevel, namespace = ''): Logger {
  let current = level;
  const write = creator(level);
  const at =
    (entryLevel: logLevel) =>
    (message: string, extra: object = {}): void => {
      if (entryLevel > current || current === logLevel.NOTHING) return;
      const log = { timestamp: new Date().toISOString(), message, ...extra };
      write({ namespace, level: entryLevel, label: LABELS[entryLevel]!, log });
    };
  return {
    error: at(logLevel.ERROR),
    warn: at(logLevel.WARN),
    info: at(logLevel.INFO),
    debug: at(logLevel.DEBUG),
    namespace: (name, nsLevel) => createLogger(creator, nsLevel ?? current, name),
    setLogLevel: (next) => {
      current = next;
    },
  };
}

/** @returns a pino-style logger for @runnel/consumer that writes to a KafkaJS Logger. */
export function runnelLoggerOf(logger: Logger): RunnelLogger {
  const forward =
    (method: 'error' | 'warn' | 'info' | 'debug') =>
    (obj: Record<string, unknown>, message: string): void => {
      const { err, ...rest } = obj;
      const extra = err instanceof Error ? { ...rest, error: err.message, stack: err.stack } : rest;
      logger[method](message, extra);
    };
  return { error: forward('error'), warn: forward('warn'), info: forward('info'), debug: forward('debug') };
}
