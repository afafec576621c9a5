/**
 * What one partition of a Fetch answer does to the consumer: records are buffered (or, when they hold
 * no complete batch, the partition asks for more next time), and error codes reset the position,
 * refresh the metadata, back off, or stop the partition with an error for the user.
 */
import type { Clock, ClusterClient, RateLimitedLog } from '@runnel/network';
import { failure } from '@runnel/network';
import { backoffMs, type FetchResponsePartitionData, KafkaProtocolError } from '@runnel/protocol';
import type { AssignedPartition } from './assigned-partition.js';
import type { BatchRelease } from './batch-release.js';
import type { ResolvedConfig } from './config.js';
import { OffsetOutOfRangeError, RecordTooLargeError } from './errors.js';
import type { FetchBuffer } from './fetch-buffer.js';
import { PartitionFetchCursor, type PartitionFetchOptions } from './partition-fetch.js';
import type { Positions } from './positions.js';

const OFFSET_OUT_OF_RANGE = 1;
const UNKNOWN_LEADER_EPOCH = 75;
/** Partition errors that mean our metadata (leader, epoch, topic id) is stale. */
const STALE_METADATA = new Set([3, 5, 6, 9, 56, 74, 100, 103]);

/** Counters for the health snapshot. */
export interface FetcherStats {
  fetchesSent: number;
  /** Fetches that failed, partitions a Fetch answered with an error, and fetched data that could not be read. */
  fetchErrors: number;
  bytesFetched: number;
}

/** What handling a partition's answer needs of the fetcher. */
export interface PartitionResponseHost {
  readonly client: ClusterClient;
  readonly config: ResolvedConfig;
  readonly clock: Clock;
  readonly stats: FetcherStats;
  readonly buffer: FetchBuffer;
  readonly positions: Positions;
  readonly warnings: RateLimitedLog;
  /** The class of the records handed out (FetchedRecord, or one that deserializes). */
  readonly recordClasses: PartitionFetchOptions['recordClasses'];
  /** Null unless `releaseBatchMemory`. */
  readonly batchRelease: BatchRelease | null;
  refreshMetadata(): void;
  wake(): void;
}

/**
 * Handles one partition of a Fetch answer from node `from`: follows a preferred read replica it names,
 * buffers its records, or acts on its error code (reset, metadata refresh, backoff, or an error for
 * the user). An error from the preferred read replica moves the partition back to its leader first.
 */
export function onPartitionData(
  host: PartitionResponseHost,
  p: AssignedPartition,
  fetchOffset: number,
  data: FetchResponsePartitionData,
  from: number,
): void {
  const hw = Number(data.highWatermark);
  if (hw >= 0) p.highWatermark = hw;
  p.lastStableOffset = Number(data.lastStableOffset);
  if (data.logStartOffset !== undefined && data.logStartOffset >= 0n)
    p.logStartOffset = Number(data.logStartOffset);
  const code = data.errorCode;
  if (code === 0) {
    const preferred = data.preferredReadReplica ?? -1;
    if (preferred >= 0) {
      // The leader sends no records with it: the next fetch goes to the replica it named.
      if (!deferredAhead(p)) followReplica(host, p, preferred, from);
      return;
    }
    const diverging = data.divergingEpoch;
    if (diverging && diverging.epoch >= 0 && diverging.endOffset >= 0n) {
      if (!deferredAhead(p))
        host.positions.truncate(p, { offset: Number(diverging.endOffset), leaderEpoch: diverging.epoch });
      return;
    }
    onRecords(host, p, fetchOffset, data);
    return;
  }
  if (deferredAhead(p)) return;
  host.stats.fetchErrors++;
  const fromReplica = p.readReplica.preferred === from;
  const effect = p.readReplica.failed(code === OFFSET_OUT_OF_RANGE ? 'outOfRange' : 'partitionError', from);
  if (fromReplica)
    host.config.logger.debug(
      { topic: p.topic, partition: p.partition, nodeId: from, errorCode: code },
      'preferred read replica failed, fetching from the leader',
    );
  if (code === OFFSET_OUT_OF_RANGE) {
    if (effect !== 'resetOffset') {
      // A follower may not have the offset yet (or no longer): the leader decides whether to reset.
      host.wake();
      return;
    }
    if (host.config.autoOffsetReset === 'none') {
      p.halt(new OffsetOutOfRangeError(p.topic, p.partition, fetchOffset));
    } else {
      host.config.logger.info(
        { topic: p.topic, partition: p.partition, offset: fetchOffset, reset: host.config.autoOffsetReset },
        'fetch offset out of range, resetting',
      );
      p.seek(null, host.config.autoOffsetReset);
      p.resetFrom = fetchOffset;
    }
    return;
  }
  if (STALE_METADATA.has(code)) {
    host.client.requestMetadataUpdate();
    host.refreshMetadata();
    if (p.position && p.position.leaderEpoch >= 0) p.needsValidation = true;
    p.retryAt = host.clock.now() + host.config.retryBackoffMs;
    return;
  }
  if (code === UNKNOWN_LEADER_EPOCH) {
    p.retryAt = host.clock.now() + host.config.retryBackoffMs;
    return;
  }
  const error = new KafkaProtocolError(code, `Fetch of ${p.topic}-${p.partition}`);
  host.warnings.warn(
    `partition ${p.key} ${code}`,
    { ...failure('fetch_partition_error', error), topic: p.topic, partition: p.partition },
    'fetch partition error',
  );
  p.retryAt = host.clock.now() + host.config.retryBackoffMs;
  if (!error.retriable) {
    host.buffer.add({
      partition: p,
      generation: p.generation,
      position: fetchOffset,
      cursor: null,
      error,
      rawBytes: 0,
      end: null,
    });
  }
}

/**
 * An answer fetched ahead, behind data still being handed out, that holds anything but records (an
 * error, a redirection, a divergence, a partial batch) concerns a fetch offset the position has not
 * reached yet: it is not acted on, and the partition asks again from its position once that data is
 * handed out, where the answer is acted on as usual.
 * @returns whether the answer was fetched ahead (and is now set aside).
 */
function deferredAhead(p: AssignedPartition): boolean {
  if (p.buffered === null) return false;
  p.prefetchBlocked = true;
  return true;
}

/** Moves the partition's fetches to the replica `nodeId` that the answer from node `from` named. */
function followReplica(
  host: PartitionResponseHost,
  p: AssignedPartition,
  nodeId: number,
  from: number,
): void {
  const before = p.readReplica.preferred;
  p.readReplica.follow(nodeId, host.clock.now(), host.config.metadataMaxAgeMs);
  if (before !== nodeId)
    host.config.logger.debug(
      {
        topic: p.topic,
        partition: p.partition,
        nodeId,
        namedBy: from,
        leaseMs: host.config.metadataMaxAgeMs,
      },
      'fetching from the preferred read replica',
    );
  host.wake();
}

/** Buffers a partition's records; an answer with no complete batch grows its fetch size instead. */
function onRecords(
  host: PartitionResponseHost,
  p: AssignedPartition,
  fetchOffset: number,
  data: FetchResponsePartitionData,
): void {
  const cursor = new PartitionFetchCursor(
    {
      topic: p.topic,
      partition: p.partition,
      fetchOffset,
      records: data.records,
      highWatermark: p.highWatermark,
      lastStableOffset: p.lastStableOffset,
      abortedTransactions: data.abortedTransactions,
    },
    {
      readCommitted: host.config.isolationLevel === 'read_committed',
      checkCrcs: host.config.checkCrcs,
      maxDecompressedSize: host.config.maxDecompressedSize,
      recordClasses: host.recordClasses,
      batchRelease: host.batchRelease,
    },
  );
  if (cursor.partialOnly) {
    if (!deferredAhead(p)) onPartialBatch(host, p, fetchOffset, cursor.rawBytes);
    return;
  }
  if (cursor.done) return;
  p.fetchSize = null;
  p.partialAnswers = 0;
  host.stats.bytesFetched += cursor.rawBytes;
  host.buffer.add({
    partition: p,
    generation: p.generation,
    position: fetchOffset,
    cursor,
    error: null,
    rawBytes: cursor.rawBytes,
    end: cursor.endPosition(),
  });
}

/**
 * The answer held part of a batch and nothing else. As Java does, asks again for a larger size (twice
 * the last, up to `fetchMaxBytes`), with a growing backoff, and past the largest size stops the
 * partition with RecordTooLargeError; it never asks again at once for the same bytes.
 */
function onPartialBatch(
  host: PartitionResponseHost,
  p: AssignedPartition,
  fetchOffset: number,
  received: number,
): void {
  host.stats.fetchErrors++;
  const size = p.fetchSize ?? host.config.maxPartitionFetchBytes;
  const largest = Math.max(host.config.fetchMaxBytes, host.config.maxPartitionFetchBytes);
  if (size >= largest) {
    const error = new RecordTooLargeError(p.topic, p.partition, fetchOffset, size);
    host.config.logger.error({ ...failure('partition_stopped', error), received }, 'partition stopped');
    p.halt(error);
    host.wake();
    return;
  }
  p.fetchSize = Math.min(largest, size * 2);
  p.partialAnswers++;
  const wait = backoffMs(
    { initialMs: Math.max(1, host.config.retryBackoffMs), maxMs: 1_000 },
    p.partialAnswers,
  );
  p.retryAt = host.clock.now() + wait;
  host.config.logger.debug(
    {
      topic: p.topic,
      partition: p.partition,
      offset: fetchOffset,
      received,
      nextSize: p.fetchSize,
      waitMs: wait,
    },
    'no complete record batch in the answer, asking for more',
  );
}
