/**
 * Runnel's additions to the verifiable consumer, for the fault suite and the soak script. Each prints
 * events under names Java's tool never uses, so Kafka's own events keep their exact format:
 * `process_stats` (RSS, open sockets, event-loop delay), `log` (the consumer's log lines as JSON),
 * `seek`, `partition_paused` and `partition_resumed` (the pause/seek exercise under load).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ConfigError, type Consumer, type ConsumerBatch, type Logger } from '@runnel/consumer';

/** Prints one event (the verifiable consumer's `emit`). */
export type Emit = (name: string, fields?: Record<string, unknown>) => void;

/** What the Runnel-only options asked for; zero turns a probe off. */
export interface ProbeOptions {
  /** `--stats-interval-ms`: print `process_stats` this often. */
  readonly statsIntervalMs: number;
  /** `--log-level`: print the consumer's log lines at this level and above as `log` events. */
  readonly logLevel: LogLevel | 'off';
  /** `--seek-back-every N`: every Nth batch of a partition, seek back to the batch's first offset. */
  readonly seekBackEvery: number;
  /** `--pause-every N`: every Nth batch of a partition, pause it for `pauseMs`. */
  readonly pauseEvery: number;
  /** `--pause-ms` (default 500). */
  readonly pauseMs: number;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The Runnel-only options the verifiable consumer's command line takes. */
export const PROBE_OPTIONS = ['stats-interval-ms', 'log-level', 'seek-back-every', 'pause-every', 'pause-ms'];

/**
 * Reads the Runnel-only options from the parsed command line.
 *
 * @param int reads an integer option with a default and a minimum (throws ConfigError naming it).
 * @returns the probe options.
 * @throws ConfigError naming `--log-level` when it is not debug, info, warn, error or off.
 */
export function parseProbeOptions(
  args: ReadonlyMap<string, string>,
  int: (name: string, fallback: number, min: number) => number,
): ProbeOptions {
  const level = args.get('log-level') ?? 'off';
  if (level !== 'off' && !(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(
      '--log-level',
      `must be debug, info, warn, error or off, got ${JSON.stringify(level)}`,
    );
  }
  return {
    statsIntervalMs: int('stats-interval-ms', 0, 0),
    logLevel: level as LogLevel | 'off',
    seekBackEvery: int('seek-back-every', 0, 0),
    pauseEvery: int('pause-every', 0, 0),
    pauseMs: int('pause-ms', 500, 0),
  };
}

/** Makes log fields printable as JSON: errors become their name, code and message; bigints strings. */
function printable(fields: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(fields, (_key, value: unknown) => {
      if (value instanceof Error) {
        return { name: value.name, code: (value as { code?: unknown }).code, message: value.message };
      }
      return typeof value === 'bigint' ? value.toString() : value;
    }),
  ) as Record<string, unknown>;
}

/** @returns a logger that prints lines at `level` and above as `log` events, or undefined for 'off'. */
export function eventLogger(emit: Emit, level: LogLevel | 'off'): Logger | undefined {
  if (level === 'off') return undefined;
  const threshold = LOG_LEVELS.indexOf(level);
  const at =
    (index: number) =>
    (fields: Record<string, unknown>, message?: string): void => {
      if (index < threshold) return;
      emit('log', { level: LOG_LEVELS[index], message: message ?? '', fields: printable(fields ?? {}) });
    };
  return { debug: at(0), info: at(1), warn: at(2), error: at(3) };
}

/**
 * Prints `process_stats` every `intervalMs`: resident set size, heap used, open TCP sockets, and the
 * event-loop delay (p99 and max since the last event, in ms). The timer does not keep the process alive.
 *
 * @returns a function that stops it.
 */
export function startProcessStats(emit: Emit, intervalMs: number): () => void {
  if (intervalMs <= 0) return () => {};
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const timer = setInterval(() => {
    const sockets = process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
    const memory = process.memoryUsage();
    emit('process_stats', {
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      sockets,
      eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
      eventLoopDelayMaxMs: delay.max / 1e6,
    });
    delay.reset();
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    delay.disable();
  };
}

/**
 * The pause/seek exercise, run after each batch is committed: every `seekBackEvery`th batch of a
 * partition seeks back to its first offset (a `seek` event, which the checker holds the next batch
 * to), every `pauseEvery`th pauses the partition for `pauseMs`.
 *
 * @returns the per-batch hook, or undefined when both are off.
 */
export function seekAndPause(
  consumer: Consumer,
  emit: Emit,
  options: ProbeOptions,
): ((batch: ConsumerBatch) => void) | undefined {
  if (options.seekBackEvery <= 0 && options.pauseEvery <= 0) return undefined;
  const batches = new Map<string, number>();
  return (batch) => {
    const tp = { topic: batch.topic, partition: batch.partition };
    const key = `${tp.topic}-${tp.partition}`;
    const n = (batches.get(key) ?? 0) + 1;
    batches.set(key, n);
    if (options.seekBackEvery > 0 && n % options.seekBackEvery === 0) {
      consumer.seek(tp, batch.firstOffset);
      emit('seek', { ...tp, offset: batch.firstOffset });
    }
    if (options.pauseEvery > 0 && n % options.pauseEvery === 0) {
      consumer.pause([tp]);
      emit('partition_paused', tp);
      setTimeout(() => {
        // The partition may have been revoked meanwhile; then there is nothing to resume.
        if (!consumer.assignment().some((p) => p.topic === tp.topic && p.partition === tp.partition)) return;
        consumer.resume([tp]);
        emit('partition_resumed', tp);
      }, options.pauseMs).unref();
    }
  };
}
