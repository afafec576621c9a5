/**
 * Turns the `records` bytes of one partition of a Fetch response into what the user sees: complete
 * batches only, CRC-checked, records before the fetch offset dropped (a batch starts where the producer
 * wrote it, not where we asked), control records dropped, and under read_committed the batches of
 * aborted transactions dropped. No I/O.
 *
 * The bytes are read one record batch at a time, in chunks: a compressed batch is decompressed only when
 * the chunk asks for it and the caller's memory gate allows it, so the decompressed size of a fetch is
 * never held all at once. The records of a chunk before a corrupt batch are still handed out.
 */
import {
  ControlRecordType,
  CorruptRecordError,
  DefaultRecordBatch,
  decodeControlRecord,
  decodeRecordBatches,
  type KafkaRecord,
  LOG_OVERHEAD,
  type RecordBatch,
  RECORD_BATCH_V2_HEADER as V2,
} from '@runnel/codec';
import type { ConsumerBatch, ConsumerRecord, OffsetAndEpoch, RecordSource } from './batch.js';
import type { BatchRelease } from './batch-release.js';
import { PLAIN_RECORDS, type RecordClasses } from './deserializers.js';

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

/** Options of {@link PartitionFetchCursor}. */
export interface PartitionFetchOptions {
  readonly readCommitted: boolean;
  readonly checkCrcs: boolean;
  /** The most bytes one compressed batch may decompress to (default: the codec's, 64 MiB). */
  readonly maxDecompressedSize?: number;
  /** The classes of the records handed out (default FetchedRecord, LegacyFetchedRecord; see deserializers.ts). */
  readonly recordClasses?: RecordClasses;
  /** With `releaseBatchMemory`: counts each record batch's records handed out, to release it when done. */
  readonly batchRelease?: BatchRelease | null;
}

/** What one chunk of a partition's fetched bytes amounts to. */
export interface PartitionChunk {
  /** The user's batch, or null when the batches read held nothing deliverable (control records, aborted data). */
  readonly batch: ConsumerBatch | null;
  /** Where the position goes after the batches read; null when none was read. */
  readonly nextPosition: OffsetAndEpoch | null;
  /** Memory the batch keeps besides the fetched bytes: decompressed bytes and one object per record. */
  readonly heldBytes: number;
  /**
   * An error met after the batches read (CorruptRecordError, DecompressedSizeError, DecodeError): the
   * position stops at the batch that failed, and the cursor is done.
   */
  readonly error: Error | null;
}

/** Limits of one chunk. */
export interface ChunkLimits {
  /** Stop adding batches once the chunk holds this many bytes (decompressed or fetched) of records. */
  readonly maxBytes: number;
  /** Asked before each compressed batch, with the bytes the chunk holds so far: may it decompress one more? */
  readonly mayDecompress: (heldSoFar: number) => boolean;
  /**
   * The most records one chunk hands out (`maxPollRecords`); the rest of a record batch cut short waits
   * in the cursor for the next chunk. Infinity for no cap.
   */
  readonly maxRecords: number;
}

/**
 * Heap taken by one handed-out record: its FetchedRecord, an array slot and its share of its batch's
 * object (measured: 126 bytes with 150 records of 100 B per batch; 182 when a FetchedRecord wrapped
 * the codec's record).
 */
export const RECORD_OBJECT_BYTES = 128;

/** Byte offsets in a batch header: the size after the log overhead, the magic, and the attributes. */
const MAGIC_AT = V2.magic;
/** The low byte of a v2 header's big-endian attributes, where the compression bits are. */
const V2_ATTRIBUTES_LOW_BYTE_AT = V2.attributes + 1;
const LEGACY_ATTRIBUTES_AT = 17;
/** The bytes a v2 batch header holds after its size field, up to its last offset delta. */
const V2_HEADER_AFTER_SIZE = V2.lastOffsetDelta + 4 - LOG_OVERHEAD;

function isAbortMarker(batch: RecordBatch): boolean {
  for (const record of batch as Iterable<KafkaRecord>) {
    return decodeControlRecord(record).type === ControlRecordType.abort;
  }
  return false;
}

function int32(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

/**
 * Reads one partition's fetched bytes a chunk at a time. The constructor reads nothing but the frame
 * of the first batch; `next` decodes, checks and (when allowed) decompresses.
 */
export class PartitionFetchCursor {
  /** The bytes of the partition's records, partial tail included: what the fetch holds in memory. */
  readonly rawBytes: number;
  private readonly bytes: Uint8Array;
  /** The topic and partition every record of this data points to. */
  private readonly source: RecordSource;
  private position = 0;
  private failed = false;
  /** The last offset of the batch read before; -1 before the first. */
  private previousLastOffset = -1;
  private readonly aborted: AbortedTransactionInfo[];
  private nextAborted = 0;
  private readonly abortedProducers = new Set<bigint>();
  /** Records of a batch already read that a record cap kept out of the last chunk, oldest first. */
  private leftover: ConsumerRecord[] = [];
  /** Where the position goes once the leftover records are handed out. */
  private leftoverNext: OffsetAndEpoch | null = null;

  constructor(
    private readonly data: FetchedPartitionData,
    private readonly options: PartitionFetchOptions,
  ) {
    this.bytes = data.records ?? new Uint8Array(0);
    this.source = { topic: data.topic, partition: data.partition };
    this.rawBytes = this.bytes.length;
    this.aborted = options.readCommitted && data.abortedTransactions ? [...data.abortedTransactions] : [];
    this.aborted.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  /** True when no complete batch is left to read (the broker's partial batch at the end never is one). */
  get done(): boolean {
    return this.leftover.length === 0 && (this.failed || this.batchEnd() < 0);
  }

  /**
   * True when the bytes hold data but not one complete batch: a record larger than the fetch size on
   * a broker without KIP-74, or a truncated response. The caller must fetch more to get anywhere.
   */
  get partialOnly(): boolean {
    return this.rawBytes > 0 && this.position === 0 && this.batchEnd() < 0;
  }

  /**
   * Reads batches until the chunk holds `limits.maxBytes` (at least one batch), the bytes end, a
   * compressed batch may not be decompressed now, or a batch fails.
   * @returns the chunk; null when the first batch is compressed and may not be decompressed now.
   */
  next(limits: ChunkLimits): PartitionChunk | null {
    if (this.leftover.length > 0) return this.leftoverChunk(limits.maxRecords);
    const records: ConsumerRecord[] = [];
    let chunkBytes = 0;
    let held = 0;
    let nextPosition: OffsetAndEpoch | null = null;
    let error: Error | null = null;
    while (
      !this.done &&
      (chunkBytes < limits.maxBytes || nextPosition === null) &&
      records.length < limits.maxRecords
    ) {
      const end = this.batchEnd();
      if (this.compressedAt(this.position) && !limits.mayDecompress(held)) {
        if (nextPosition === null) return null;
        break;
      }
      const read = records.length;
      let batch: RecordBatch;
      try {
        batch = this.decodeBatch(end);
        this.checkBaseOffset(batch);
        const decompressed = this.readBatch(batch, records);
        chunkBytes += decompressed > 0 ? decompressed : batch.sizeInBytes;
        held += decompressed + (records.length - read) * RECORD_OBJECT_BYTES;
      } catch (caught) {
        // The batch's records are not handed out; those of earlier batches are.
        records.length = read;
        this.failed = true;
        error = caught as Error;
        break;
      }
      this.position = end;
      nextPosition = {
        offset: Math.max(batch.lastOffset + 1, this.data.fetchOffset),
        leaderEpoch: batch.magic >= 2 ? batch.partitionLeaderEpoch : -1,
      };
    }
    if (records.length > limits.maxRecords && error === null) {
      // Cut the last batch short: the rest waits, and the position stops after the last record handed out.
      this.leftover = records.splice(limits.maxRecords);
      this.leftoverNext = nextPosition;
      nextPosition = this.positionAfter(records[records.length - 1]!);
    }
    return { batch: this.userBatch(records, nextPosition), nextPosition, heldBytes: held, error };
  }

  /** @returns the next records of a batch cut short by the record cap (their bytes were counted already). */
  private leftoverChunk(maxRecords: number): PartitionChunk {
    const records = this.leftover.splice(0, maxRecords);
    const nextPosition =
      this.leftover.length > 0 ? this.positionAfter(records[records.length - 1]!) : this.leftoverNext!;
    const heldBytes = records.length * RECORD_OBJECT_BYTES;
    return { batch: this.userBatch(records, nextPosition), nextPosition, heldBytes, error: null };
  }

  private positionAfter(record: ConsumerRecord): OffsetAndEpoch {
    return { offset: record.offset + 1, leaderEpoch: record.leaderEpoch };
  }

  /**
   * Where the position will be once every complete batch of these bytes is handed out, read from the
   * batch headers alone (the last complete batch's last offset and leader epoch), so that the next
   * Fetch of the partition can start there while these records still wait for the user. A batch that
   * later fails to read stops the position short of it, and data fetched from here is then dropped as
   * stale.
   * @returns the position, or null when the bytes hold no complete batch or a header is malformed.
   */
  endPosition(): OffsetAndEpoch | null {
    const b = this.bytes;
    let at = 0;
    let end: OffsetAndEpoch | null = null;
    while (b.length - at > MAGIC_AT) {
      const size = int32(b, at + V2.batchLength);
      if (size > b.length - at - LOG_OVERHEAD) break;
      const v2 = b[at + MAGIC_AT] === 2;
      if (size < (v2 ? V2_HEADER_AFTER_SIZE : MAGIC_AT - LOG_OVERHEAD + 1)) return null;
      const base = int32(b, at) * 2 ** 32 + (int32(b, at + 4) >>> 0);
      const last = v2 ? base + int32(b, at + V2.lastOffsetDelta) : base;
      end = {
        offset: Math.max(last + 1, this.data.fetchOffset),
        leaderEpoch: v2 ? int32(b, at + V2.partitionLeaderEpoch) : -1,
      };
      at += LOG_OVERHEAD + size;
    }
    return end;
  }

  /** @returns where the complete batch at the current position ends, or -1 when there is none. */
  private batchEnd(): number {
    const left = this.bytes.length - this.position;
    if (left < LOG_OVERHEAD) return -1;
    const size = int32(this.bytes, this.position + V2.batchLength);
    // A size below the minimum is left to the codec, which reports it as corrupt.
    if (size > left - LOG_OVERHEAD) return -1;
    return this.position + LOG_OVERHEAD + Math.max(0, size);
  }

  /** @returns whether the batch at `at` is compressed (so reading it decompresses). */
  private compressedAt(at: number): boolean {
    const b = this.bytes;
    if (b.length - at <= V2_ATTRIBUTES_LOW_BYTE_AT) return false;
    const magic = b[at + MAGIC_AT];
    const attributes = magic === 2 ? b[at + V2_ATTRIBUTES_LOW_BYTE_AT]! : b[at + LEGACY_ATTRIBUTES_AT]!;
    return (attributes & 0x07) !== 0;
  }

  /** @throws CorruptRecordError for a bad CRC, magic or size; DecodeError for a legacy wrapper that fails to decompress. */
  private decodeBatch(end: number): RecordBatch {
    const [batch] = decodeRecordBatches(this.bytes.subarray(this.position, end), {
      verifyCrc: this.options.checkCrcs,
      ...(this.options.maxDecompressedSize === undefined
        ? {}
        : { maxDecompressedSize: this.options.maxDecompressedSize }),
    });
    return batch!;
  }

  /**
   * A batch's base offset is outside what its CRC covers, so a flipped bit there would move every
   * record of the batch, and the position after it, anywhere. A broker's answer holds batches in
   * offset order, and none starts past both the high watermark it reports and the offset right after
   * the batch before (the log cleaner leaves gaps only below the high watermark; a batch appended while
   * the answer was read starts right after the one before it).
   * @throws CorruptRecordError when `batch` breaks either rule.
   */
  private checkBaseOffset(batch: RecordBatch): void {
    const { data } = this;
    const base = batch.baseOffset;
    const previous = this.previousLastOffset;
    if (base <= previous)
      throw this.corruptBase(batch, `starts before the end of the batch before it (${previous})`);
    if (data.highWatermark >= 0 && base > Math.max(data.highWatermark, data.fetchOffset, previous + 1))
      throw this.corruptBase(
        batch,
        `starts past the high watermark ${data.highWatermark} the fetch reported`,
      );
    this.previousLastOffset = batch.lastOffset;
  }

  private corruptBase(batch: RecordBatch, why: string): CorruptRecordError {
    const { topic, partition } = this.data;
    return new CorruptRecordError(
      `record batch at offset ${batch.baseOffset} of ${topic}-${partition} ${why}: its base offset is corrupt`,
      batch.baseOffsetBig,
    );
  }

  /**
   * Adds the deliverable records of `batch` to `records`.
   * @returns the bytes it decompressed to (0 when not compressed).
   * @throws DecodeError (DecompressedSizeError among them) when it cannot be decompressed or decoded.
   */
  private readBatch(batch: RecordBatch, records: ConsumerRecord[]): number {
    const { data, options } = this;
    if (batch.lastOffset < data.fetchOffset) return 0;
    if (options.readCommitted && batch.producerIdBig >= 0n) {
      // A transaction is aborted from its first offset up to its abort marker; collect those that
      // began before this batch ends, and forget a producer once its marker passes.
      const lastOffset = batch.lastOffsetBig;
      while (
        this.nextAborted < this.aborted.length &&
        this.aborted[this.nextAborted]!.firstOffset <= lastOffset
      ) {
        this.abortedProducers.add(this.aborted[this.nextAborted]!.producerId);
        this.nextAborted++;
      }
      if (batch.isControl) {
        if (isAbortMarker(batch)) this.abortedProducers.delete(batch.producerIdBig);
        return 0;
      }
      if (batch.isTransactional && this.abortedProducers.has(batch.producerIdBig)) return 0;
    }
    if (batch.isControl) return 0;
    const classes = options.recordClasses ?? PLAIN_RECORDS;
    if (batch instanceof DefaultRecordBatch) {
      const before = records.length;
      batch.appendRecords(records, classes.current, this.source, data.fetchOffset);
      options.batchRelease?.handedOut(batch, records.length - before);
      return batch.compression === 0 ? 0 : batch.recordBytes().length;
    }
    const epoch = batch.partitionLeaderEpoch;
    const Record = classes.legacy;
    const timestampType = batch.timestampType;
    let bytes = 0;
    for (const record of batch) {
      if (record.offset < data.fetchOffset) continue;
      records.push(new Record(data.topic, data.partition, epoch, timestampType, record));
      // A legacy wrapper's records are views of its decompressed bytes.
      if (batch.compression !== 0) bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
    }
    return bytes;
  }

  private userBatch(records: ConsumerRecord[], next: OffsetAndEpoch | null): ConsumerBatch | null {
    if (records.length === 0 || next === null) return null;
    const { data, options } = this;
    const end =
      data.lastStableOffset >= 0 && options.readCommitted ? data.lastStableOffset : data.highWatermark;
    return {
      topic: data.topic,
      partition: data.partition,
      records,
      firstOffset: records[0]!.offset,
      lastOffset: records[records.length - 1]!.offset,
      nextOffset: next.offset,
      highWatermark: data.highWatermark,
      lastStableOffset: data.lastStableOffset,
      lag: Math.max(0, end - next.offset),
    };
  }
}

/** What {@link processPartitionFetch} returns. */
export interface PartitionFetchResult {
  readonly batch: ConsumerBatch | null;
  /** Where the next fetch continues; null when no complete record batch arrived (the position stays). */
  readonly nextPosition: OffsetAndEpoch | null;
  /** Bytes of the partition's records. */
  readonly sizeInBytes: number;
}

/**
 * Decodes and filters one partition's fetched records all at once (no memory gate); for tools and tests.
 * @returns the batch to hand out (or null), the next fetch position and the size of the data.
 * @throws CorruptRecordError when a batch fails its CRC or is malformed; DecodeError (or a subclass)
 *   when compressed data or a record cannot be decoded. The position is then left where it was.
 */
export function processPartitionFetch(
  data: FetchedPartitionData,
  options: PartitionFetchOptions,
): PartitionFetchResult {
  const cursor = new PartitionFetchCursor(data, options);
  const chunk = cursor.next({
    maxBytes: Number.POSITIVE_INFINITY,
    mayDecompress: () => true,
    maxRecords: Number.POSITIVE_INFINITY,
  })!;
  if (chunk.error) throw chunk.error;
  return { batch: chunk.batch, nextPosition: chunk.nextPosition, sizeInBytes: cursor.rawBytes };
}
