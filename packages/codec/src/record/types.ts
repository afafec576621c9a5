/** Shapes shared by v2 record batches and legacy (v0/v1) message sets. */

/** Where a record's timestamp came from: the producer, or the broker when it appended the batch. */
export const TimestampType = {
  noTimestamp: -1,
  createTime: 0,
  logAppendTime: 1,
} as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

/** A record header: a UTF-8 key and a byte value that may be null. */
export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

/**
 * One record as a consumer sees it. In a v2 batch the fields are decoded on access; `offset` and
 * `timestamp` are numbers for speed and throw DecodeError in the (practically unreachable) case that
 * the value is not a safe integer, while `offsetBig` and `timestampBig` are always exact.
 */
export interface KafkaRecord {
  /** The record's offset in its partition. */
  readonly offset: number;
  /** The record's offset, exact over the whole int64 range. */
  readonly offsetBig: bigint;
  /** Milliseconds since the epoch (create time or log-append time, see the batch), -1 when none. */
  readonly timestamp: number;
  /** The timestamp, exact over the whole int64 range. */
  readonly timestampBig: bigint;
  /**
   * The key as a view of the fetched bytes, or null.
   * @throws RecordReleasedError once the record's batch was released (`DefaultRecordBatch.release`).
   */
  readonly key: Uint8Array | null;
  /**
   * The value as a view of the fetched bytes, or null (a tombstone).
   * @throws RecordReleasedError once the record's batch was released.
   */
  readonly value: Uint8Array | null;
  /**
   * The headers, decoded on first access (v0/v1 records have none).
   * @throws RecordReleasedError once the record's batch was released.
   */
  readonly headers: readonly RecordHeader[];
  /** The producer's sequence number of this record, -1 when the batch has none. */
  readonly sequence: number;
}

/** What v2 batches and legacy messages have in common, in the words of Java's `RecordBatch`. */
export interface RecordBatch extends Iterable<KafkaRecord> {
  /** 0 or 1 for a legacy message set entry, 2 for a record batch. */
  readonly magic: number;
  /** The offset of the first record (for legacy compressed messages: of the first inner message). */
  readonly baseOffset: number;
  /** `baseOffset` as an exact bigint. */
  readonly baseOffsetBig: bigint;
  /** The offset of the last record the batch was written with (compaction may have removed records). */
  readonly lastOffset: number;
  /** `lastOffset` as an exact bigint. */
  readonly lastOffsetBig: bigint;
  /** The Kafka compression type id (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  readonly compression: number;
  /** Whether record timestamps were set by the producer (create time) or by the broker (log-append time). */
  readonly timestampType: TimestampType;
  /** True for a batch written inside a transaction (its records count only once the transaction commits). */
  readonly isTransactional: boolean;
  /** True for a batch of control records (transaction markers). */
  readonly isControl: boolean;
  /** -1 when the batch has no producer id. */
  readonly producerId: number;
  /** `producerId` as an exact bigint. */
  readonly producerIdBig: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly partitionLeaderEpoch: number;
  /** The size of the batch on the wire, in bytes. */
  readonly sizeInBytes: number;
  /** Decodes and returns every record (decompressing first if needed). */
  toArray(): KafkaRecord[];
}
