/**
 * The loop behind `Consumer.run`: takes batches while fewer than `concurrency` handlers run, keeps
 * order within a partition (a partition's next batch is only handed out once its last one finished),
 * and on the first handler failure starts nothing new, lets the others finish, moves the failed
 * partition back to its first unprocessed record and rejects with the failure. How records are
 * dispatched to handlers is decided here and nowhere else: the share consumer's `run` is the batch loop
 * too (`runBatches`), over its own batches.
 */
import type { Clock } from '@runnel/network';
import type { ConsumerRecord } from './batch.js';
import type { RunOptions } from './consumer-types.js';
import type { Deliveries } from './deliveries.js';
import { type ConsumerIdentity, isTraced, type ProcessMessage, processChannel } from './diagnostics.js';
import { IllegalStateError } from './errors.js';
import type { MaxPollCheck } from './max-poll.js';
import { ParallelRun } from './parallel-run.js';
import { checkPartitionOrdering, parallelSettings } from './run-options.js';
import type { ShareRecord } from './share/share-records.js';

/** The runs in progress: the handlers `close` waits for, and the stops it pulls. */
export class RunRegistry {
  private readonly active = new Set<Promise<void>>();
  private readonly stops = new Set<AbortController>();

  /** Aborts every run: none takes another batch (close). */
  stopAll(): void {
    for (const c of this.stops) c.abort();
  }

  /** @returns once every handler running now has finished; it never rejects. */
  async settled(): Promise<void> {
    await Promise.all(this.active);
  }

  /** Registers a run's stop. @returns the function that removes it. */
  addStop(stop: AbortController): () => void {
    this.stops.add(stop);
    return () => this.stops.delete(stop);
  }

  /** Registers a running handler until it settles. */
  addHandler(task: Promise<void>): void {
    this.active.add(task);
    const remove = () => {
      this.active.delete(task);
    };
    task.then(remove, remove);
  }
}

/** What the loop needs of the consumer. */
export interface RunHost {
  /** Batches to take, finish, and give back (rewind) when their handler failed. */
  readonly deliveries: Pick<
    Deliveries,
    'next' | 'finish' | 'rewind' | 'handOn' | 'release' | 'settle' | 'rewindTo'
  >;
  /** Handler times, for the max poll interval. */
  readonly maxPoll: MaxPollCheck;
  readonly runs: RunRegistry;
  /** The consumer's client and group, for the diagnostics channel's messages. */
  readonly identity: ConsumerIdentity;
  /** Times the retry backoffs of the parallel orderings. */
  readonly clock: Clock;
}

/** A batch as the batch loop reads it (the consumer's and the share consumer's batches both are). */
export interface RunBatch<R extends { readonly offset: number }> {
  readonly firstOffset: number;
  readonly records: readonly R[];
}

/** The handlers and options of the batch loop, over batches `B` of records `R`. */
export interface RunHandlers<B, R> {
  eachBatch?: (batch: B) => Promise<void> | void;
  eachRecord?: (record: R) => Promise<void> | void;
  concurrency?: number;
  signal?: AbortSignal;
}

/** Where the batch loop takes handed-out batches `D` from, and gives them back. */
export interface RunDeliveries<D> {
  /** @returns the next batch, waiting until one is ready; null once consumption stops. */
  next(signal: AbortSignal | undefined): Promise<D | null>;
  /** The batch's handler succeeded. */
  finish(delivery: D): void;
  /** The batch's handler failed: the records from `offset` on were not processed. */
  rewind(delivery: D, offset: number): void;
}

/** What the batch loop needs of a consumer. */
export interface BatchRunHost<D, B, R> {
  readonly deliveries: RunDeliveries<D>;
  /** Handler times, for the max poll interval (a share consumer has none: records carry locks). */
  readonly maxPoll: Pick<MaxPollCheck, 'handlerStarted' | 'poll'> | null;
  readonly runs: RunRegistry;
  /** Runs one handler call (`record` undefined: eachBatch) inside the consumer's diagnostics channel. */
  readonly traced?: (call: () => Promise<void> | void, batch: B, record?: R) => Promise<void> | void;
}

/**
 * Runs `eachRecord` with ordering 'key' or 'none' (see ParallelRun) until consumption stops.
 * @returns once stopped. @throws TypeError on options that do not fit; as a rejection, what
 *   ParallelRun's run throws.
 */
async function runInParallel(host: RunHost, options: RunOptions): Promise<void> {
  const settings = parallelSettings(options);
  const stop = new AbortController();
  const removeStop = host.runs.addStop(stop);
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  try {
    await new ParallelRun(host, settings, stop).run();
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    removeStop();
  }
}

/**
 * Runs the handlers of `options` until consumption stops.
 * @returns once stopped (close or abort).
 * @throws (as a rejection) what a handler threw, or what taking a batch threw; TypeError when
 *   neither handler is given or `concurrency` is not a positive integer.
 */
export async function runHandlers(host: RunHost, options: RunOptions): Promise<void> {
  if (options.ordering !== undefined && options.ordering !== 'partition') return runInParallel(host, options);
  checkPartitionOrdering(options);
  return runBatches({ ...host, traced: processTracer(host.identity) }, options);
}

/**
 * @returns what runs one handler call (`record` undefined: an eachBatch call) of `consumer` inside the
 *   process channel; the call as it is while nobody subscribes.
 */
export function processTracer(
  consumer: ConsumerIdentity,
): <B extends ProcessMessage['batch'], R extends ConsumerRecord | ShareRecord>(
  call: () => Promise<void> | void,
  batch: B,
  record?: R,
) => Promise<void> | void {
  return (call, batch, record) => {
    if (!isTraced(processChannel)) return call();
    const message: ProcessMessage =
      record === undefined
        ? { consumer, kind: 'eachBatch', batch }
        : { consumer, kind: 'eachRecord', batch, record };
    return processChannel.tracePromise(async () => call(), message);
  };
}

/**
 * The batch loop (ordering 'partition', and the share consumer's run): runs the handlers of `options`
 * on each batch `deliveries` hands out, up to `concurrency` at a time, until consumption stops.
 * @returns once stopped (close or abort).
 * @throws (as a rejection) what a handler threw, or what taking a batch threw; TypeError when
 *   neither handler is given or `concurrency` is not a positive integer.
 */
export async function runBatches<
  R extends { readonly offset: number },
  B extends RunBatch<R>,
  D extends { readonly batch: B },
>(host: BatchRunHost<D, B, R>, options: RunHandlers<B, R>): Promise<void> {
  const { eachBatch, eachRecord } = options;
  if (!eachBatch && !eachRecord) throw new TypeError('run needs eachBatch or eachRecord');
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new TypeError('concurrency must be a positive integer');
  const { deliveries, traced } = host;
  const stop = new AbortController();
  const removeStop = host.runs.addStop(stop);
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  const running = new Set<Promise<void>>();
  let failure: unknown = null;
  const process = async (delivery: D): Promise<void> => {
    const { batch } = delivery;
    let processedUpTo = batch.firstOffset;
    const ended = host.maxPoll?.handlerStarted();
    try {
      if (eachBatch) {
        await (traced ? traced(() => eachBatch(batch), batch) : eachBatch(batch));
      } else {
        for (const record of batch.records) {
          if (failure !== null) throw new IllegalStateError('stopped after another handler failed');
          await (traced ? traced(() => eachRecord!(record), batch, record) : eachRecord!(record));
          processedUpTo = record.offset + 1;
        }
      }
      deliveries.finish(delivery);
    } catch (error) {
      if (failure === null) failure = error;
      stop.abort();
      deliveries.rewind(delivery, processedUpTo);
    } finally {
      ended?.();
      host.maxPoll?.poll();
    }
  };
  try {
    while (!stop.signal.aborted) {
      while (running.size >= concurrency) await Promise.race(running);
      if (stop.signal.aborted) break;
      const delivery = await deliveries.next(stop.signal);
      if (!delivery) break;
      const task = process(delivery).finally(() => running.delete(task));
      running.add(task);
      host.runs.addHandler(task);
    }
  } catch (error) {
    if (failure === null) failure = error;
  } finally {
    await Promise.all(running);
    options.signal?.removeEventListener('abort', onAbort);
    removeStop();
  }
  if (failure !== null) throw failure;
}
