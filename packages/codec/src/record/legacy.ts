/**
 * Legacy message sets (magic v0 and v1), for reading only: old topics may still hold them, and a
 * broker down-converts nothing for a client that asks for v2. Rare, so decoded eagerly.
 */
import { getCompressionCodec } from '../compression/registry.js';
import type { CompressionCodec } from '../compression/types.js';
import { crc32 } from '../crc32c.js';
import { CorruptRecordError, DecodeError } from '../errors.js';
import { Reader } from '../reader.js';
import { type KafkaRecord, type RecordBatch, type RecordHeader, TimestampType } from './types.js';

/** The smallest legacy message after its offset and size: crc, magic, attributes, key and value lengths. */
export const RECORD_OVERHEAD_V0 = 14;
const RECORD_OVERHEAD_V1 = 22;
const TIMESTAMP_TYPE_BIT = 0x08;
const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);

function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new DecodeError(`${what} ${value} is not a safe integer; read the *Big property instead`);
  }
  return Number(value);
}

/** One message of a legacy message set. */
export class LegacyRecord implements KafkaRecord {
  readonly headers = NO_HEADERS;
  readonly sequence = -1;

  constructor(
    readonly offsetBig: bigint,
    readonly timestampBig: bigint,
    readonly key: Uint8Array | null,
    readonly value: Uint8Array | null,
  ) {}

  get offset(): number {
    return safeNumber(this.offsetBig, 'offset');
  }

  get timestamp(): number {
    return safeNumber(this.timestampBig, 'timestamp');
  }
}

interface Message {
  offset: bigint;
  magic: number;
  attributes: number;
  timestamp: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

/**
 * Reads one legacy message whose offset/size prefix starts at `r.offset`; the caller has checked that
 * the whole message is there.
 */
function readMessage(r: Reader, verifyCrc: boolean): Message {
  const at = r.offset;
  const offset = r.readInt64();
  const size = r.readInt32();
  const end = r.offset + size;
  const crcStart = r.offset + 4;
  const storedCrc = r.readUInt32();
  const magic = r.readInt8();
  if (magic !== 0 && magic !== 1)
    throw new CorruptRecordError(`message at offset ${offset} has magic ${magic}`, offset, at);
  if (size < (magic === 0 ? RECORD_OVERHEAD_V0 : RECORD_OVERHEAD_V1)) {
    throw new CorruptRecordError(`message at offset ${offset} is too short for magic ${magic}`, offset, at);
  }
  if (verifyCrc) {
    const computed = crc32(r.buffer, 0, crcStart, end);
    if (computed !== storedCrc) {
      throw new CorruptRecordError(
        `message at offset ${offset} is corrupt: stored CRC ${storedCrc} != computed ${computed}`,
        offset,
        at,
      );
    }
  }
  const inner = new Reader(r.buffer, r.offset, end);
  const attributes = inner.readInt8();
  const timestamp = magic === 1 ? inner.readInt64() : -1n;
  const key = inner.readNullableBytes();
  const value = inner.readNullableBytes();
  if (inner.remaining !== 0) {
    throw new CorruptRecordError(
      `message at offset ${offset} has ${inner.remaining} trailing bytes`,
      offset,
      at,
    );
  }
  r.offset = end;
  return { offset, magic, attributes, timestamp, key, value };
}

/**
 * A legacy message as a batch: one record, or for a compressed wrapper message, its inner messages.
 */
export class LegacyRecordBatch implements RecordBatch {
  readonly isTransactional = false;
  readonly isControl = false;
  readonly producerId = -1;
  readonly producerIdBig = -1n;
  readonly producerEpoch = -1;
  readonly baseSequence = -1;
  readonly partitionLeaderEpoch = -1;
  readonly magic: number;
  readonly compression: number;
  readonly timestampType: TimestampType;
  readonly sizeInBytes: number;
  private readonly records: LegacyRecord[];

  /**
   * Decodes the message at `start` (whole, checked by the caller), decompressing a wrapper.
   * @throws CorruptRecordError for a CRC mismatch or bad structure; DecodeError for bad compressed data.
   */
  constructor(
    buffer: Uint8Array,
    start: number,
    options: { verifyCrc?: boolean; maxDecompressedSize?: number },
  ) {
    const r = new Reader(buffer, start);
    const verifyCrc = options.verifyCrc !== false;
    const wrapper = readMessage(r, verifyCrc);
    this.sizeInBytes = r.offset - start;
    this.magic = wrapper.magic;
    this.compression = wrapper.attributes & 0x07;
    const logAppend = wrapper.magic === 1 && (wrapper.attributes & TIMESTAMP_TYPE_BIT) !== 0;
    this.timestampType =
      wrapper.magic === 0
        ? TimestampType.noTimestamp
        : logAppend
          ? TimestampType.logAppendTime
          : TimestampType.createTime;
    if (this.compression === 0) {
      this.records = [new LegacyRecord(wrapper.offset, wrapper.timestamp, wrapper.key, wrapper.value)];
      return;
    }
    if (wrapper.value === null) {
      throw new CorruptRecordError(
        `compressed message at offset ${wrapper.offset} has a null value`,
        wrapper.offset,
        start,
      );
    }
    let codec: CompressionCodec;
    try {
      codec = getCompressionCodec(this.compression);
    } catch {
      throw new CorruptRecordError(
        `message at offset ${wrapper.offset} uses unknown compression type ${this.compression}`,
        wrapper.offset,
        start,
      );
    }
    const bytes = codec.decompress(wrapper.value, options.maxDecompressedSize ?? 64 * 1024 * 1024);
    const inner: Message[] = [];
    const ir = new Reader(bytes);
    while (ir.remaining > 0) {
      if (ir.remaining < 12) throw new CorruptRecordError('truncated inner message', wrapper.offset, start);
      const size = new Reader(bytes, ir.offset + 8, ir.offset + 12).readInt32();
      if (size < RECORD_OVERHEAD_V0 || size > ir.remaining - 12) {
        throw new CorruptRecordError(`inner message size ${size} does not fit`, wrapper.offset, start);
      }
      const message = readMessage(ir, verifyCrc);
      if (message.attributes & 0x07) {
        throw new CorruptRecordError('compressed message inside a compressed message', wrapper.offset, start);
      }
      inner.push(message);
    }
    if (inner.length === 0) {
      throw new CorruptRecordError(
        `compressed message at offset ${wrapper.offset} is empty`,
        wrapper.offset,
        start,
      );
    }
    // v1 inner offsets are relative; the wrapper carries the absolute offset of the last one.
    const base = wrapper.magic === 1 ? wrapper.offset - inner[inner.length - 1]!.offset : 0n;
    this.records = inner.map(
      (m) =>
        new LegacyRecord(
          base + m.offset,
          logAppend ? wrapper.timestamp : wrapper.magic === 0 ? -1n : m.timestamp,
          m.key,
          m.value,
        ),
    );
  }

  get baseOffsetBig(): bigint {
    return this.records[0]!.offsetBig;
  }

  get baseOffset(): number {
    return safeNumber(this.baseOffsetBig, 'base offset');
  }

  get lastOffsetBig(): bigint {
    return this.records[this.records.length - 1]!.offsetBig;
  }

  get lastOffset(): number {
    return safeNumber(this.lastOffsetBig, 'last offset');
  }

  /** Iterates the batch's records (already decoded: legacy message sets are small and eager). */
  [Symbol.iterator](): Iterator<KafkaRecord> {
    return this.records[Symbol.iterator]();
  }

  toArray(): KafkaRecord[] {
    return this.records;
  }
}
