/**
 * Turns the `records` bytes of one partition of a Fetch response into what the user sees: complete
 * batches only, CRC-checked, decompressed on demand, records before the fetch offset dropped (a batch
 * starts where the producer wrote it, not where we asked), control records dropped, and under
 * read_committed the batches of aborted transactions dropped. No I/O.
 */
import {
  ControlRecordType,
  decodeControlRecord,
  decodeRecordBatches,
  type KafkaRecord,
  type RecordBatch,
} from '@runnel/codec';
import { type ConsumerBatch, type ConsumerRecord, FetchedRecord, type OffsetAndEpoch } from './batch.js';

/** An aborted transaction as a Fetch response lists it. */
export interface AbortedTransactionInfo {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

/** The parts of a Fetch response partition that the consumer reads. */
export interface FetchedPartitionData {
  readonly topic: string;
  readonly partition: number;
  /** The offset the request asked for. */
  readonly fetchOffset: number;
  readonly records: Uint8Array | null;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly abortedTransactions: readonly AbortedTransactionInfo[] | null;
}

/** Options of {@link processPartitionFetch}. */
export interface PartitionFetchOptions {
  readonly readCommitted: boolean;
  readonly checkCrcs: boolean;
}

/** What one partition's fetched bytes amount to. */
export interface PartitionFetchResult {
  /** The user's batch, or null when nothing deliverable was fetched (only control records, aborted data, nothing). */
  readonly batch: ConsumerBatch | null;
  /** Where the next fetch continues; null when no complete record batch arrived (the position stays). */
  readonly nextPosition: OffsetAndEpoch | null;
  /** Bytes of complete record batches (what the buffer accounts for). */
  readonly sizeInBytes: number;
}

function isAbortMarker(batch: RecordBatch): boolean {
  for (const record of batch as Iterable<KafkaRecord>) {
    return decodeControlRecord(record).type === ControlRecordType.abort;
  }
  return false;
}

/**
 * Decodes and filters one partition's fetched records.
 * @returns the batch to hand out (or null), the next fetch position and the size of the data.
 * @throws CorruptRecordError when a batch fails its CRC or is malformed; DecodeError (or a subclass)
 *   when compressed data or a record cannot be decoded. The position is then left where it was.
 */
export function processPartitionFetch(
  data: FetchedPartitionData,
  options: PartitionFetchOptions,
): PartitionFetchResult {
  const bytes = data.records;
  if (bytes === null || bytes.length === 0) return { batch: null, nextPosition: null, sizeInBytes: 0 };
  const batches = decodeRecordBatches(bytes, { verifyCrc: options.checkCrcs });
  if (batches.length === 0) return { batch: null, nextPosition: null, sizeInBytes: 0 };

  const aborted = options.readCommitted && data.abortedTransactions ? [...data.abortedTransactions] : [];
  aborted.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  let nextAborted = 0;
  const abortedProducers = new Set<bigint>();

  const records: ConsumerRecord[] = [];
  let size = 0;
  let last: RecordBatch | undefined;
  for (const batch of batches) {
    size += batch.sizeInBytes;
    last = batch;
    if (batch.lastOffset < data.fetchOffset) continue;
    if (options.readCommitted && batch.producerIdBig >= 0n) {
      // A transaction is aborted from its first offset up to its abort marker; collect those that
      // began before this batch ends, and forget a producer once its marker passes.
      const lastOffset = batch.lastOffsetBig;
      while (nextAborted < aborted.length && aborted[nextAborted]!.firstOffset <= lastOffset) {
        abortedProducers.add(aborted[nextAborted]!.producerId);
        nextAborted++;
      }
      if (batch.isControl) {
        if (isAbortMarker(batch)) abortedProducers.delete(batch.producerIdBig);
        continue;
      }
      if (batch.isTransactional && abortedProducers.has(batch.producerIdBig)) continue;
    }
    if (batch.isControl) continue;
    const epoch = batch.partitionLeaderEpoch;
    const timestampType = batch.timestampType;
    for (const record of batch) {
      if (record.offset < data.fetchOffset) continue;
      records.push(new FetchedRecord(data.topic, data.partition, epoch, timestampType, record));
    }
  }
  const lastBatch = last as RecordBatch;
  const nextPosition: OffsetAndEpoch = {
    offset: Math.max(lastBatch.lastOffset + 1, data.fetchOffset),
    leaderEpoch: lastBatch.magic >= 2 ? lastBatch.partitionLeaderEpoch : -1,
  };
  if (records.length === 0) return { batch: null, nextPosition, sizeInBytes: size };
  const end =
    data.lastStableOffset >= 0 && options.readCommitted ? data.lastStableOffset : data.highWatermark;
  const batch: ConsumerBatch = {
    topic: data.topic,
    partition: data.partition,
    records,
    firstOffset: records[0]!.offset,
    lastOffset: records[records.length - 1]!.offset,
    nextOffset: nextPosition.offset,
    highWatermark: data.highWatermark,
    lastStableOffset: data.lastStableOffset,
    lag: Math.max(0, end - nextPosition.offset),
  };
  return { batch, nextPosition, sizeInBytes: size };
}
