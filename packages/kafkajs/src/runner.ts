/**
 * One Runnel batch through KafkaJS's handlers: `eachMessage` record by record, or `eachBatch` with
 * `resolveOffset` and the other payload calls. Resolved offsets go to the OffsetBook; what was not
 * resolved (a handler that threw, a pause, a seek, `eachBatchAutoResolve: false`) is fetched again,
 * by moving the partition back to its first unresolved record, as KafkaJS does.
 */
import type { ConsumerBatch } from '@runnel/consumer';
import type { EventHub } from './events.js';
import { toBatch, toMessage } from './messages.js';
import { byTopic, type OffsetBook } from './offset-book.js';
import type { Batch, ConsumerRunConfig, Offsets, TopicPartition } from './types.js';

/** What the runner needs from the consumer facade. */
export interface RunnerHost {
  readonly offsets: OffsetBook;
  readonly events: EventHub;
  /** Whether `run` is still on (not stopped or disconnected). */
  isRunning(): boolean;
  /** A counter per partition that moves on every seek and revocation: a batch taken before is stale. */
  epochOf(tp: TopicPartition): number;
  /** Whether the partition is paused: the rest of its batch waits for `resume`. */
  isPaused(tp: TopicPartition): boolean;
  /** Pauses one partition. @returns a function that resumes it. */
  pauseOne(tp: TopicPartition): () => void;
  /** Moves the partition's fetch position back to `offset` (ignored when it is no longer assigned). */
  rewind(tp: TopicPartition, offset: number): void;
  /**
   * Commits resolved offsets when the auto-commit policy says so (after each message and batch).
   * @returns the commit's promise, or undefined when no commit is due.
   */
  commitIfNecessary(): Promise<void> | undefined;
  /** Commits exactly these offsets. */
  commit(offsets: Offsets): Promise<void>;
}

const heartbeat = () => Promise.resolve();

/** @returns the fields of a START/END_BATCH_PROCESS event. */
function batchEvent(batch: Batch, size: number) {
  return {
    topic: batch.topic,
    partition: batch.partition,
    highWatermark: batch.highWatermark,
    offsetLag: batch.offsetLag(),
    offsetLagLow: batch.offsetLagLow(),
    batchSize: size,
    firstOffset: batch.firstOffset() ?? '',
    lastOffset: batch.lastOffset(),
  };
}

/**
 * Runs the user's handler over one batch.
 * @returns once the handler finished (and, on error, after rewinding to the failed record).
 * @throws what the handler threw.
 */
export async function runBatch(
  host: RunnerHost,
  config: ConsumerRunConfig,
  source: ConsumerBatch,
): Promise<void> {
  const tp = { topic: source.topic, partition: source.partition };
  const epoch = host.epochOf(tp);
  const isStale = () => host.epochOf(tp) !== epoch;
  const batch = toBatch(source);
  // The offset after the last record resolved in this batch.
  let next = source.firstOffset;
  const resolve = (after: number) => {
    if (after <= next || isStale()) return;
    host.offsets.resolve(tp.topic, tp.partition, after, after - next);
    next = after;
  };
  const pause = () => host.pauseOne(tp);
  const started = Date.now();
  if (host.events.has('consumer.start_batch_process'))
    host.events.emit('consumer.start_batch_process', batchEvent(batch, source.records.length));
  try {
    if (config.eachMessage) {
      const eachMessage = config.eachMessage;
      for (const record of source.records) {
        if (!host.isRunning() || isStale() || host.isPaused(tp)) break;
        await eachMessage({
          topic: tp.topic,
          partition: tp.partition,
          message: toMessage(record),
          heartbeat,
          pause,
        });
        resolve(record.offset + 1);
        // Most messages need no commit: only a due one is waited for.
        const commit = host.commitIfNecessary();
        if (commit) await commit;
      }
    } else if (config.eachBatch) {
      await config.eachBatch({
        batch,
        resolveOffset: (offset) => resolve(Number(offset) + 1),
        heartbeat,
        pause,
        commitOffsetsIfNecessary: (offsets) =>
          offsets ? host.commit(offsets) : (host.commitIfNecessary() ?? Promise.resolve()),
        uncommittedOffsets: () => byTopic(host.offsets.uncommitted()),
        isRunning: () => host.isRunning(),
        isStale,
      });
      if (config.eachBatchAutoResolve !== false) resolve(source.lastOffset + 1);
    }
  } finally {
    // Whatever was not resolved comes again: from the failed record, or after a pause or stop.
    if (!isStale() && next <= source.lastOffset) host.rewind(tp, next);
    else if (next > source.lastOffset && source.nextOffset > next && !isStale()) {
      // Control records after the last data record: nothing to hand out there, the position moves on.
      host.offsets.resolve(tp.topic, tp.partition, source.nextOffset, 0);
    }
  }
  if (host.events.has('consumer.end_batch_process')) {
    const payload = { ...batchEvent(batch, source.records.length), duration: Date.now() - started };
    host.events.emit('consumer.end_batch_process', payload);
  }
  await host.commitIfNecessary();
}
