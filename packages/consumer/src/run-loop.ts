/**
 * The loop behind `Consumer.run`: takes batches while fewer than `concurrency` handlers run, keeps
 * order within a partition (a partition's next batch is only handed out once its last one finished),
 * and on the first handler failure starts nothing new, lets the others finish, moves the failed
 * partition back to its first unprocessed record and rejects with the failure.
 */
import { IllegalStateError } from './errors.js';

/** A batch as the loop reads it (the consumer's and the share consumer's batches both are). */
export interface RunBatch<R extends { readonly offset: number }> {
  readonly firstOffset: number;
  readonly records: readonly R[];
}

/** The handlers and options of a `run`, over batches `B` of records `R`. */
export interface RunHandlers<B, R> {
  eachBatch?: (batch: B) => Promise<void> | void;
  eachRecord?: (record: R) => Promise<void> | void;
  signal?: AbortSignal;
}

/** What the loop needs of the consumer; `Delivery` is its handed-out batch. */
export interface RunHost<Delivery extends { readonly batch: unknown }> {
  /** @returns the next batch, or null once consumption stops (close or `signal`). */
  nextDelivery(signal: AbortSignal): Promise<Delivery | null>;
  /** Records a batch as processed. */
  finish(delivery: Delivery): void;
  /** Moves a failed batch's partition back to `offset`, its first unprocessed record. */
  rewind(delivery: Delivery, offset: number): void;
  /** When each running handler started (for the max poll interval). */
  readonly handlerStarts: Set<{ readonly at: number }>;
  /** Handlers running, which close waits for. */
  readonly active: Set<Promise<void>>;
  /** Aborted by close. */
  readonly stopControllers: Set<AbortController>;
  notePoll(): void;
}

/**
 * Runs the handlers of `options` until consumption stops.
 * @returns once stopped (close or abort).
 * @throws (as a rejection) what a handler threw, or what taking a batch threw.
 */
export async function runHandlers<
  R extends { readonly offset: number },
  B extends RunBatch<R>,
  Delivery extends { readonly batch: B },
>(host: RunHost<Delivery>, options: RunHandlers<B, R>, concurrency: number): Promise<void> {
  const { eachBatch, eachRecord } = options;
  const stop = new AbortController();
  host.stopControllers.add(stop);
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  const running = new Set<Promise<void>>();
  let failure: unknown = null;
  const process = async (delivery: Delivery): Promise<void> => {
    const { batch } = delivery;
    let processedUpTo = batch.firstOffset;
    const started = { at: Date.now() };
    host.handlerStarts.add(started);
    try {
      if (eachBatch) {
        await eachBatch(batch);
      } else {
        for (const record of batch.records) {
          if (failure !== null) throw new IllegalStateError('stopped after another handler failed');
          await eachRecord!(record);
          processedUpTo = record.offset + 1;
        }
      }
      host.finish(delivery);
    } catch (error) {
      if (failure === null) failure = error;
      stop.abort();
      host.rewind(delivery, processedUpTo);
    } finally {
      host.handlerStarts.delete(started);
      host.notePoll();
    }
  };
  try {
    while (!stop.signal.aborted) {
      while (running.size >= concurrency) await Promise.race(running);
      if (stop.signal.aborted) break;
      const delivery = await host.nextDelivery(stop.signal);
      if (!delivery) break;
      const task = process(delivery).finally(() => {
        running.delete(task);
        host.active.delete(task);
      });
      running.add(task);
      host.active.add(task);
    }
  } catch (error) {
    if (failure === null) failure = error;
  } finally {
    await Promise.all(running);
    options.signal?.removeEventListener('abort', onAbort);
    host.stopControllers.delete(stop);
  }
  if (failure !== null) throw failure;
}
