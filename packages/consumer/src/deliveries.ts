/**
 * Hands fetched batches to the user: one at a time from the fetch buffer, waiting (as a poll, for the
 * max-poll check) while none is ready. Behind both `batches()`, whose iterator marks a batch processed
 * when the next one is asked for, and `run()`, which marks it when its handler resolves.
 */
import type { AssignedPartition } from './assigned-partition.js';
import type { ConsumerBatch, OffsetAndEpoch } from './batch.js';
import type { BatchesOptions } from './consumer-types.js';
import {
  type ConsumerIdentity,
  isTraced,
  type ProcessMessage,
  processChannel,
  processEnded,
  processStarted,
} from './diagnostics.js';
import { IllegalStateError } from './errors.js';
import type { Delivery, Fetcher } from './fetcher.js';
import type { ConsumerLifecycle } from './lifecycle.js';
import { changedOrAborted } from './loop-signal.js';
import type { MaxPollCheck } from './max-poll.js';

export class Deliveries {
  /**
   * @param isConsuming whether `assign` or `subscribe` was called: before, waiting would never end.
   * @param identity the consumer's client and group, for the diagnostics channel's messages.
   */
  constructor(
    private readonly fetcher: Fetcher,
    private readonly lifecycle: ConsumerLifecycle,
    private readonly maxPoll: MaxPollCheck,
    private readonly isConsuming: () => boolean,
    private readonly identity: ConsumerIdentity,
  ) {}

  /**
   * Takes the next batch, waiting until one is ready.
   * @returns the batch, or null once the consumer closes or `signal` aborts.
   * @throws the error that stopped the consumer for good; a partition's error for the user (see
   *   `Consumer.batches`); IllegalStateError when nothing is assigned or subscribed.
   */
  async next(signal: AbortSignal | undefined): Promise<Delivery | null> {
    this.maxPoll.poll();
    // One turn of the event loop per batch. A buffered batch is otherwise handed out at once, on a
    // microtask: a user loop that does no I/O of its own would hold the event loop until the buffer
    // is empty (seconds of compressed data), and timers (heartbeats, deadlines), socket reads and
    // V8's garbage collection tasks would wait that long, while freed decompressed batches pile up
    // far past what the buffer counts. A turn costs microseconds; a batch is up to
    // maxPartitionFetchBytes of records.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (;;) {
      if (!this.lifecycle.running || signal?.aborted) return null;
      if (this.lifecycle.fatalError) throw this.lifecycle.fatalError;
      const taken = this.fetcher.take();
      if (taken !== null) {
        if ('error' in taken) throw taken.error;
        return taken.delivery;
      }
      if (!this.isConsuming())
        throw new IllegalStateError('nothing to consume: call assign() or subscribe() first');
      await this.maxPoll.whileWaiting(this.changedOrAborted(signal));
    }
  }

  /**
   * @returns an iterator over batches; asking for the next one (or leaving the loop) marks the one
   *   before processed. Each `next()` keeps the process alive while it waits.
   */
  iterate(options: BatchesOptions): AsyncIterableIterator<ConsumerBatch> {
    let current: Delivery | null = null;
    // The batch in the user's hands, as the diagnostics channel saw it start; null when nobody listens.
    let traced: ProcessMessage | null = null;
    const finishCurrent = () => {
      if (current) this.fetcher.finish(current);
      current = null;
      if (traced) processEnded(traced);
      traced = null;
    };
    const iterator: AsyncIterableIterator<ConsumerBatch> = {
      next: async () => {
        finishCurrent();
        // While the user waits here the process must stay alive, sockets or not.
        const delivery = await this.lifecycle.keepAlive.during(() => this.next(options.signal));
        if (!delivery) return { done: true, value: undefined };
        current = delivery;
        if (isTraced(processChannel)) {
          traced = { consumer: this.identity, kind: 'iterator', batch: delivery.batch };
          processStarted(traced);
        }
        return { done: false, value: delivery.batch };
      },
      return: async () => {
        finishCurrent();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Records a batch as processed: its partition's consumed position moves past it. */
  finish(delivery: Delivery): void {
    this.fetcher.finish(delivery);
  }

  /**
   * Gives a failed batch back: its partition moves to `offset`, the first record not processed, unless
   * a seek or revocation moved it since.
   */
  rewind(delivery: Delivery, offset: number): void {
    const p = delivery.partition;
    this.fetcher.finish(delivery, false);
    if (p.generation !== delivery.generation || p.revoked) return;
    this.fetcher.positions.seek([p], { offset, leaderEpoch: -1 });
  }

  /**
   * Lets the partition of a delivery be handed out again before its records are done (run's parallel
   * orderings, which hold the delivery until then).
   */
  handOn(partition: AssignedPartition): void {
    partition.busy = false;
    this.fetcher.wake();
  }

  /** Releases the bytes a delivery held, leaving its partition's positions alone (parallel orderings). */
  release(delivery: Delivery): void {
    this.fetcher.releaseHeld(delivery);
  }

  /**
   * Moves a partition's consumed position to its watermark (parallel orderings), unless a seek or
   * revocation happened since `generation`; wakes whoever waits for a partition's handlers.
   */
  settle(partition: AssignedPartition, generation: number, watermark: OffsetAndEpoch): void {
    if (partition.generation === generation && !partition.revoked) partition.consumed = watermark;
    this.fetcher.wake();
  }

  /** Moves a partition back to `position` (its watermark after a parallel run), unless moved since. */
  rewindTo(partition: AssignedPartition, generation: number, position: OffsetAndEpoch): void {
    if (partition.generation !== generation || partition.revoked) return;
    this.fetcher.positions.seek([partition], position);
  }

  private changedOrAborted(signal: AbortSignal | undefined): Promise<void> {
    return changedOrAborted(this.fetcher.changed(), signal);
  }
}
