import {
  DefaultRecord,
  type DefaultRecordBatch,
  type KafkaRecord,
  type RecordFraming,
  type RecordHeader,
  type TimestampType,
} from '@runnel/codec';

// One TopicPartition and one key for it in every package: @runnel/protocol's.
export { partitionKey, type TopicPartition } from '@runnel/protocol';

/** A position in a partition: the next offset to read and the leader epoch of the record before it. */
export interface OffsetAndEpoch {
  readonly offset: number;
  /** The leader epoch of the last consumed record; -1 when unknown. */
  readonly leaderEpoch: number;
}

/**
 * One record as the consumer hands it out. Key, value and headers are decoded when first read, as views of
 * the fetched bytes (copy them to keep them past the batch).
 */
export interface ConsumerRecord<K = Uint8Array, V = Uint8Array> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The leader epoch of the batch that holds the record; -1 for records written before epochs existed. */
  readonly leaderEpoch: number;
  /** Milliseconds since the epoch; see `timestampType`. */
  readonly timestamp: number;
  readonly timestampType: TimestampType;
  /** The key: its bytes, or what `keyDeserializer` made of them; null when the record has none. */
  readonly key: K | null;
  /** The value: its bytes, or what `valueDeserializer` made of them; null for a tombstone. */
  readonly value: V | null;
  readonly headers: readonly RecordHeader[];
}

/** What the records of one partition's fetched data share: where they come from. */
export interface RecordSource {
  readonly topic: string;
  readonly partition: number;
}

/**
 * A record of a fetched v2 batch: the codec's lazy record itself, with its partition, so that each
 * handed-out record is one object (its batch's {@link DefaultRecordBatch.appendRecords} builds it).
 */
export class FetchedRecord extends DefaultRecord implements ConsumerRecord {
  declare private readonly source: RecordSource;

  /** @param source the topic and partition, shared by every record of one partition's fetched data. */
  constructor(source: RecordSource, batch: DefaultRecordBatch, ...framing: RecordFraming) {
    super(batch, ...framing);
    this.source = source;
  }

  get topic(): string {
    return this.source.topic;
  }

  get partition(): number {
    return this.source.partition;
  }

  get leaderEpoch(): number {
    return this.batch.partitionLeaderEpoch;
  }

  get timestampType(): TimestampType {
    return this.batch.timestampType;
  }

  /** The key's bytes as fetched, whatever a subclass makes of `key`. */
  get keyBytes(): Uint8Array | null {
    return super.key;
  }
}

/** A record of a legacy (v0/v1) message set, delegating field decoding to the codec's record. */
export class LegacyFetchedRecord implements ConsumerRecord {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly leaderEpoch: number,
    readonly timestampType: TimestampType,
    private readonly record: KafkaRecord,
  ) {}

  get offset(): number {
    return this.record.offset;
  }

  get timestamp(): number {
    return this.record.timestamp;
  }

  get key(): Uint8Array | null {
    return this.record.key;
  }

  get value(): Uint8Array | null {
    return this.record.value;
  }

  get headers(): readonly RecordHeader[] {
    return this.record.headers;
  }

  /** The key's bytes as fetched, whatever a subclass makes of `key`. */
  get keyBytes(): Uint8Array | null {
    return this.record.key;
  }
}

/**
 * @returns the key's bytes as fetched, before any key deserializer: what key ordering compares (a
 *   deserialized key may be an object, equal by value but not by identity).
 */
export function keyBytesOf(record: ConsumerRecord<unknown, unknown>): Uint8Array | null {
  return record instanceof FetchedRecord || record instanceof LegacyFetchedRecord
    ? record.keyBytes
    : (record.key as Uint8Array | null);
}

/** The records of one partition from one fetch, in offset order, with the partition's watermarks. */
export interface ConsumerBatch<K = Uint8Array, V = Uint8Array> {
  readonly topic: string;
  readonly partition: number;
  /** Never empty. */
  readonly records: readonly ConsumerRecord<K, V>[];
  /** Offset of the first record. */
  readonly firstOffset: number;
  /** Offset of the last record. */
  readonly lastOffset: number;
  /**
   * Where consumption continues after this batch; what a commit of this batch stores. It may lie past
   * `lastOffset + 1` when control records or aborted transactions follow.
   */
  readonly nextOffset: number;
  /** The partition's high watermark when the batch was fetched. */
  readonly highWatermark: number;
  /** The last stable offset (end of committed transactions); -1 when the broker did not say. */
  readonly lastStableOffset: number;
  /** Records between `nextOffset` and the end of the log readable in the isolation level in use. */
  readonly lag: number;
}
