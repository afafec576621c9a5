/**
 * Record batches (magic v2): the header is decoded when the batch is, the records when they are
 * iterated, and each record's key, value and headers only when asked for. Iterating never allocates
 * a bigint or copies a byte; `offsetBig` and friends are there when exactness past 2^53 matters.
 */
import { detach, isOwnOutput } from '../compression/output.js';
import { getCompressionCodec } from '../compression/registry.js';
import type { CompressionCodec } from '../compression/types.js';
import { crc32c } from '../crc32c.js';
import { CorruptRecordError, DecodeError, RecordReleasedError } from '../errors.js';
import { Reader } from '../reader.js';
import { decodeUtf8 } from '../utf8.js';
import { type KafkaRecord, type RecordBatch, type RecordHeader, TimestampType } from './types.js';

/**
 * Byte positions in a v2 batch header (Kafka's `DefaultRecordBatch`); exported as
 * `RECORD_BATCH_V2_HEADER` for readers that peek at headers without decoding a batch.
 */
export const V2 = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordsCount: 57,
  records: 61,
} as const;

/** The size of a batch header: every batch is at least this long. */
export const RECORD_BATCH_OVERHEAD = 61;
/** The offset and length fields that precede every batch and legacy message. */
export const LOG_OVERHEAD = 12;

/** Bits of a batch's attributes. */
export const BatchAttributes = {
  compressionMask: 0x07,
  timestampType: 0x08,
  transactional: 0x10,
  control: 0x20,
  deleteHorizon: 0x40,
} as const;

const TWO_POW_32 = 0x1_0000_0000;

function int32(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

function int16(b: Uint8Array, o: number): number {
  return (((b[o]! << 8) | b[o + 1]!) << 16) >> 16;
}

/** An int64 as a double: exact when it is a safe integer, which callers check before trusting it. */
function int64Approx(b: Uint8Array, o: number): number {
  return int32(b, o) * TWO_POW_32 + (int32(b, o + 4) >>> 0);
}

function int64Big(b: Uint8Array, o: number): bigint {
  return (BigInt(int32(b, o)) << 32n) | BigInt(int32(b, o + 4) >>> 0);
}

function isSafe(n: number): boolean {
  return n <= Number.MAX_SAFE_INTEGER && n >= Number.MIN_SAFE_INTEGER;
}

function unsafe(what: string, exact: bigint): never {
  throw new DecodeError(`${what} ${exact} is not a safe integer; read the *Big property instead`);
}

/** Options for decoding record batches. */
export interface RecordBatchOptions {
  /** Check each batch's CRC32C (default true). */
  verifyCrc?: boolean;
  /** The most bytes a compressed batch may decompress to (default 64 MiB). */
  maxDecompressedSize?: number;
}

/**
 * The constructor {@link DefaultRecordBatch.appendRecords} calls once per record: a `context` the
 * caller chose (shared by the records of one call), the batch, then the record's framing, in the
 * order of {@link DefaultRecord}'s constructor.
 */
export type RecordConstructor<C, R> = new (
  context: C,
  batch: DefaultRecordBatch,
  ...framing: RecordFraming
) => R;

/** A record's framing, as {@link DefaultRecord}'s constructor takes it after the batch. */
export type RecordFraming =
  ConstructorParameters<typeof DefaultRecord> extends [DefaultRecordBatch, ...infer Framing]
    ? Framing
    : never;

/**
 * A v2 record batch over a view of the fetched bytes. Construct it with {@link decodeRecordBatches};
 * iterate it (or call {@link DefaultRecordBatch.toArray}) for its records.
 */
export class DefaultRecordBatch implements RecordBatch {
  readonly magic = 2;
  /** The bytes the batch lies in; the batch is `buffer[start, start + sizeInBytes)`. */
  readonly buffer: Uint8Array;
  readonly start: number;
  readonly sizeInBytes: number;
  readonly partitionLeaderEpoch: number;
  /** The CRC32C stored in the batch. */
  readonly crc: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  /** The number of records the batch says it holds. */
  readonly recordsCount: number;
  /** @internal The base offset as a double, exact when `offsetsSafe`. */
  readonly baseOffsetApprox: number;
  /** @internal True when every offset of the batch is a safe integer. */
  readonly offsetsSafe: boolean;
  /** @internal */
  readonly baseTimestampApprox: number;
  /** @internal */
  readonly maxTimestampApprox: number;
  private readonly maxDecompressedSize: number;
  private cached: KafkaRecord[] | undefined;
  private records: Uint8Array | undefined;
  /**
   * @internal The record bytes' `buffer` and `byteOffset`, cached by {@link recordBytes}: on Node 20
   * reading `.buffer` off a typed array is a call into V8's runtime (about 15 ns) and `.byteOffset`
   * costs some 9 ns, which per key or value view would cost more than the view itself (about 17 ns).
   */
  recordsArrayBuffer: ArrayBufferLike | undefined;
  /** @internal */
  recordsByteOffset: number;
  /**
   * @internal The header keys last decoded in this batch, by header index, as
   * `[start, length, key, ...]`: records of a batch mostly carry the same keys in the same order,
   * so a key whose bytes equal the previous record's reuses its string.
   */
  headerKeys: (number | string)[] | undefined;
  /**
   * Whether {@link release} was called: reading a record's key, value or headers throws since. Set by
   * `release` only (a field, not a getter: every key and value read checks it).
   */
  released: boolean;
  /** Whether the decompressed record bytes lie in a buffer the decoder allocated for them alone. */
  private ownsRecords: boolean;

  /**
   * @param buffer bytes holding the whole batch at `start` (the caller checked its length).
   * @throws CorruptRecordError when the CRC does not match (if verified) or the header is invalid.
   */
  constructor(buffer: Uint8Array, start: number, options: RecordBatchOptions = {}) {
    const b = buffer;
    this.buffer = b;
    this.start = start;
    const batchLength = int32(b, start + V2.batchLength);
    this.sizeInBytes = LOG_OVERHEAD + batchLength;
    this.baseOffsetApprox = int64Approx(b, start);
    if (batchLength + LOG_OVERHEAD < RECORD_BATCH_OVERHEAD) {
      throw new CorruptRecordError(
        `record batch at offset ${int64Big(b, start)} has length ${batchLength}, below the header size`,
        int64Big(b, start),
        start,
      );
    }
    this.partitionLeaderEpoch = int32(b, start + V2.partitionLeaderEpoch);
    this.crc = int32(b, start + V2.crc) >>> 0;
    this.attributes = int16(b, start + V2.attributes);
    this.lastOffsetDelta = int32(b, start + V2.lastOffsetDelta);
    this.baseTimestampApprox = int64Approx(b, start + V2.baseTimestamp);
    this.maxTimestampApprox = int64Approx(b, start + V2.maxTimestamp);
    this.producerEpoch = int16(b, start + V2.producerEpoch);
    this.baseSequence = int32(b, start + V2.baseSequence);
    this.recordsCount = int32(b, start + V2.recordsCount);
    this.offsetsSafe = isSafe(this.baseOffsetApprox) && isSafe(this.baseOffsetApprox + this.lastOffsetDelta);
    this.maxDecompressedSize = options.maxDecompressedSize ?? 64 * 1024 * 1024;
    this.cached = undefined;
    this.records = undefined;
    this.recordsArrayBuffer = undefined;
    this.recordsByteOffset = 0;
    this.headerKeys = undefined;
    this.released = false;
    this.ownsRecords = false;
    if (this.recordsCount < 0) {
      throw new CorruptRecordError(
        `record batch at offset ${this.baseOffsetBig} has a negative record count ${this.recordsCount}`,
        this.baseOffsetBig,
        start,
      );
    }
    if (options.verifyCrc !== false) {
      const computed = crc32c(b, 0, start + V2.attributes, start + this.sizeInBytes);
      if (computed !== this.crc) {
        throw new CorruptRecordError(
          `record batch at offset ${this.baseOffsetBig} is corrupt: stored CRC ${this.crc} != computed ${computed}`,
          this.baseOffsetBig,
          start,
        );
      }
    }
  }

  get baseOffset(): number {
    return isSafe(this.baseOffsetApprox) ? this.baseOffsetApprox : unsafe('base offset', this.baseOffsetBig);
  }

  get baseOffsetBig(): bigint {
    return int64Big(this.buffer, this.start);
  }

  get lastOffset(): number {
    return this.offsetsSafe
      ? this.baseOffsetApprox + this.lastOffsetDelta
      : unsafe('last offset', this.lastOffsetBig);
  }

  get lastOffsetBig(): bigint {
    return BigInt.asIntN(64, this.baseOffsetBig + BigInt(this.lastOffsetDelta));
  }

  /** The offset after the batch: where the next fetch continues. */
  get nextOffset(): number {
    return this.lastOffset + 1;
  }

  get compression(): number {
    return this.attributes & BatchAttributes.compressionMask;
  }

  get timestampType(): TimestampType {
    return this.attributes & BatchAttributes.timestampType
      ? TimestampType.logAppendTime
      : TimestampType.createTime;
  }

  get isTransactional(): boolean {
    return (this.attributes & BatchAttributes.transactional) !== 0;
  }

  get isControl(): boolean {
    return (this.attributes & BatchAttributes.control) !== 0;
  }

  /** True when compaction stamped a delete horizon into `baseTimestamp` (KIP-534). */
  get hasDeleteHorizon(): boolean {
    return (this.attributes & BatchAttributes.deleteHorizon) !== 0;
  }

  /**
   * The batch's first timestamp in milliseconds (record timestamps are deltas from it), or the delete
   * horizon when `hasDeleteHorizon`.
   * @throws DecodeError when the value is not a safe integer (read `baseTimestampBig` instead).
   */
  get baseTimestamp(): number {
    return isSafe(this.baseTimestampApprox)
      ? this.baseTimestampApprox
      : unsafe('base timestamp', this.baseTimestampBig);
  }

  /** `baseTimestamp` as an exact bigint. */
  get baseTimestampBig(): bigint {
    return int64Big(this.buffer, this.start + V2.baseTimestamp);
  }

  /**
   * The largest record timestamp in milliseconds (the log-append time for log-append-time batches).
   * @throws DecodeError when the value is not a safe integer (read `maxTimestampBig` instead).
   */
  get maxTimestamp(): number {
    return isSafe(this.maxTimestampApprox)
      ? this.maxTimestampApprox
      : unsafe('max timestamp', this.maxTimestampBig);
  }

  /** `maxTimestamp` as an exact bigint. */
  get maxTimestampBig(): bigint {
    return int64Big(this.buffer, this.start + V2.maxTimestamp);
  }

  get producerId(): number {
    const id = int64Approx(this.buffer, this.start + V2.producerId);
    return isSafe(id) ? id : unsafe('producer id', this.producerIdBig);
  }

  get producerIdBig(): bigint {
    return int64Big(this.buffer, this.start + V2.producerId);
  }

  /**
   * The record bytes: a view of the batch when uncompressed, else the decompressed bytes (computed
   * once).
   * @throws DecodeError when decompression fails or the codec is unknown; DecompressedSizeError past
   * the cap; CodecUnavailableError when the codec is registered but cannot run here.
   */
  recordBytes(): Uint8Array {
    if (this.released) throw this.releasedError();
    if (this.records !== undefined) return this.records;
    const begin = this.start + V2.records;
    const end = this.start + this.sizeInBytes;
    const compression = this.compression;
    if (compression === 0) {
      this.records = this.buffer.subarray(begin, end);
    } else {
      let codec: CompressionCodec;
      try {
        codec = getCompressionCodec(compression);
      } catch {
        throw new CorruptRecordError(
          `record batch at offset ${this.baseOffsetBig} uses unknown compression type ${compression}`,
          this.baseOffsetBig,
          this.start,
        );
      }
      this.records = codec.decompress(this.buffer.subarray(begin, end), this.maxDecompressedSize);
      this.ownsRecords = isOwnOutput(this.records);
    }
    this.recordsArrayBuffer = this.records.buffer;
    this.recordsByteOffset = this.records.byteOffset;
    return this.records;
  }

  /**
   * Ends the lifetime of the batch's records: the key, value or headers of any of its records read
   * afterwards throw {@link RecordReleasedError}, and views of them taken before may read as empty.
   * When the records were decompressed into a buffer of the batch's own (a large batch; small ones
   * share a slab, uncompressed ones are views of the fetched bytes), that buffer is freed now rather
   * than at V8's next full collection, which comes only once tens of MiB of them have piled up.
   * A record's `offset` and `timestamp` and the batch's header fields stay readable. A second call
   * does nothing.
   * @returns whether decompressed bytes were freed.
   */
  release(): boolean {
    if (this.released) return false;
    this.released = true;
    const records = this.records;
    this.cached = undefined;
    this.headerKeys = undefined;
    return records !== undefined && this.ownsRecords && detach(records.buffer);
  }

  /** @internal The error a read of a released record's bytes throws. */
  releasedError(): RecordReleasedError {
    return new RecordReleasedError(
      `the records of the batch at offset ${this.baseOffsetBig} were released: their key, value and headers can no longer be read`,
      this.baseOffsetBig,
    );
  }

  /**
   * Iterates the records, decoding each one's framing as it goes and its fields on access.
   * @throws DecodeError (from `next()`) when a record is malformed or the count does not match.
   */
  [Symbol.iterator](): Iterator<KafkaRecord> {
    if (this.cached !== undefined) return this.cached[Symbol.iterator]();
    return new RecordIterator(this, this.recordBytes());
  }

  /**
   * Decodes every record now, including each one's headers.
   * @returns the records, cached on the batch.
   * @throws DecodeError when any record is malformed.
   */
  toArray(): KafkaRecord[] {
    if (this.cached !== undefined) return this.cached;
    const out: KafkaRecord[] = [];
    for (const record of this) {
      void record.headers;
      out.push(record);
    }
    this.cached = out;
    return out;
  }

  /**
   * Decodes the records whose offset is at least `fromOffset` straight into `out`, one
   * `new make(context, batch, ...framing)` each: a consumer's own record class (a subclass of
   * {@link DefaultRecord}) is then the only object per record, with no iterator in between.
   * Records before a malformed one are appended before it throws.
   * @throws DecodeError when an offset is not a safe integer; CorruptRecordError when a record is
   *   malformed or the count does not match the bytes; what {@link recordBytes} throws.
   */
  appendRecords<C, R>(out: R[], make: RecordConstructor<C, R>, context: C, fromOffset: number): void {
    if (!this.offsetsSafe) unsafe('offset', this.baseOffsetBig);
    const b = this.recordBytes();
    const count = this.recordsCount;
    const fromDelta = fromOffset - this.baseOffsetApprox;
    let o = 0;
    for (let i = 0; i < count; i++) {
      const end = readFrame(this, b, o);
      if (frameOffsetDelta >= fromDelta) {
        out.push(
          new make(
            context,
            this,
            frameStart,
            end,
            frameTimestampDelta,
            frameOffsetDelta,
            frameKeyStart,
            frameKeyLength,
            frameValueStart,
            frameValueLength,
          ),
        );
      }
      o = end;
    }
    if (o !== b.length) throw trailingBytes(this, b, o);
  }

  /** @internal Builds the error for a malformed record. */
  malformed(message: string, at: number): CorruptRecordError {
    return new CorruptRecordError(
      `record batch at offset ${this.baseOffsetBig}: ${message}`,
      this.baseOffsetBig,
      at,
    );
  }
}

/**
 * Walks the records of one batch. It reads each record's length, attributes, timestamp and offset
 * deltas and the key and value lengths (varints only, no allocation), and leaves the rest to the
 * record's getters.
 */
class RecordIterator implements Iterator<KafkaRecord> {
  private readonly bytes: Uint8Array;
  private position = 0;
  private remaining: number;
  // One result object for the whole walk: for-of reads it before asking for the next, and not
  // allocating one per record is measurable on the hot path.
  private readonly result: { done: boolean; value: KafkaRecord | undefined } = {
    done: false,
    value: undefined,
  };

  constructor(
    private readonly batch: DefaultRecordBatch,
    bytes: Uint8Array,
  ) {
    this.bytes = bytes;
    this.remaining = batch.recordsCount;
  }

  next(): IteratorResult<KafkaRecord> {
    const b = this.bytes;
    const batch = this.batch;
    const result = this.result;
    const o = this.position;
    if (this.remaining === 0) {
      if (o !== b.length) throw trailingBytes(batch, b, o);
      result.done = true;
      result.value = undefined;
      return result as IteratorResult<KafkaRecord>;
    }
    this.remaining--;
    const end = readFrame(batch, b, o);
    this.position = end;
    result.value = new DefaultRecord(
      batch,
      frameStart,
      end,
      frameTimestampDelta,
      frameOffsetDelta,
      frameKeyStart,
      frameKeyLength,
      frameValueStart,
      frameValueLength,
    );
    return result as IteratorResult<KafkaRecord>;
  }
}

function trailingBytes(batch: DefaultRecordBatch, b: Uint8Array, o: number): CorruptRecordError {
  return batch.malformed(`${b.length - o} bytes follow the last of ${batch.recordsCount} records`, o);
}

// The framing of the record {@link readFrame} read last. Module-level, as `cursor` below: the hot
// loops read them right after the call, and decoding is synchronous, so nothing interleaves.
let frameStart = 0;
let frameTimestampDelta = 0;
let frameOffsetDelta = 0;
let frameKeyStart = 0;
let frameKeyLength = 0;
let frameValueStart = 0;
let frameValueLength = 0;

/**
 * Reads the framing of the record at `b[o]` (its length, attributes, timestamp and offset deltas, key
 * and value lengths: varints only, no allocation) into the `frame*` variables.
 * @returns where the record ends.
 * @throws CorruptRecordError when the record does not fit the bytes or a length does not fit the record.
 */
function readFrame(batch: DefaultRecordBatch, b: Uint8Array, o: number): number {
  const length = varint(b, o, b.length, batch);
  const start = cursor;
  if (length < 0 || length > b.length - start) {
    throw batch.malformed(`record length ${length} does not fit the ${b.length - start} bytes left`, start);
  }
  const end = start + length;
  // Every field is read within [start, end): a record cannot borrow bytes from the next one.
  const timestampDelta = timestampDeltaAt(b, start + 1, end, batch); // after the attributes
  const offsetDelta = varint(b, cursor, end, batch);
  const keyLength = varint(b, cursor, end, batch);
  const keyStart = cursor;
  if (keyLength < -1 || keyLength > end - keyStart) {
    throw batch.malformed(`key length ${keyLength} does not fit its record`, keyStart);
  }
  const valueLength = varint(b, keyLength > 0 ? keyStart + keyLength : keyStart, end, batch);
  const valueStart = cursor;
  if (valueLength < -1 || valueLength > end - valueStart) {
    throw batch.malformed(`value length ${valueLength} does not fit its record`, valueStart);
  }
  const headersStart = valueLength > 0 ? valueStart + valueLength : valueStart;
  if (headersStart >= end) throw batch.malformed('record has no header count', headersStart);
  frameStart = start;
  frameTimestampDelta = timestampDelta;
  frameOffsetDelta = offsetDelta;
  frameKeyStart = keyStart;
  frameKeyLength = keyLength;
  frameValueStart = valueStart;
  frameValueLength = valueLength;
  return end;
}

// Where the last varint read by the helpers below ended. A module-level cursor lets the hot helpers
// return a plain number (no result object); decoding is synchronous, so nothing interleaves.
let cursor = 0;

/** Reads a zigzag varint (at most 5 bytes) within `[o, end)`; leaves its end in `cursor`. */
function varint(b: Uint8Array, o: number, end: number, batch: DefaultRecordBatch): number {
  // One and two bytes inline: a 100-byte record's length and value length take two.
  if (o < end) {
    const x = b[o]!;
    if (x < 0x80) {
      cursor = o + 1;
      return (x >>> 1) ^ -(x & 1);
    }
    if (o + 1 < end) {
      const y = b[o + 1]!;
      if (y < 0x80) {
        const u = (x & 0x7f) | (y << 7);
        cursor = o + 2;
        return (u >>> 1) ^ -(u & 1);
      }
    }
  }
  return varintSlow(b, o, end, batch);
}

function varintSlow(b: Uint8Array, o: number, end: number, batch: DefaultRecordBatch): number {
  const start = o;
  let u = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (o >= end) throw batch.malformed('varint runs past the end of its record', start);
    const x = b[o++]!;
    u |= (x & 0x7f) << shift;
    if (x < 0x80) {
      cursor = o;
      return (u >>> 1) ^ -(u & 1);
    }
  }
  throw batch.malformed('varint is longer than 5 bytes', start);
}

/**
 * Reads a timestamp delta (a zigzag varlong) within `[o, end)` as a number; leaves its end in
 * `cursor`. NaN when it is not a safe integer: `timestampBig` re-reads it exactly.
 */
function timestampDeltaAt(b: Uint8Array, o: number, end: number, batch: DefaultRecordBatch): number {
  // Records of one batch are usually milliseconds apart: one or two bytes, read as a varint would be.
  if (o + 1 < end) {
    const x = b[o]!;
    if (x < 0x80) {
      cursor = o + 1;
      return (x >>> 1) ^ -(x & 1);
    }
    const y = b[o + 1]!;
    if (y < 0x80) {
      const u = (x & 0x7f) | (y << 7);
      cursor = o + 2;
      return (u >>> 1) ^ -(u & 1);
    }
  }
  return timestampDeltaSlow(b, o, end, batch);
}

function timestampDeltaSlow(b: Uint8Array, o: number, end: number, batch: DefaultRecordBatch): number {
  const start = o;
  // Up to 7 bytes (49 bits) the varlong is exact in a double; longer ones take the bigint path.
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    if (o >= end) throw batch.malformed('timestamp delta runs past the end of its record', start);
    const x = b[o++]!;
    value += (x & 0x7f) * scale;
    if (x < 0x80) {
      cursor = o;
      return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    }
    scale *= 128;
  }
  const r = new Reader(b, start, end);
  let exact: bigint;
  try {
    exact = r.readVarLong();
  } catch (e) {
    throw batch.malformed(e instanceof Error ? e.message : String(e), start);
  }
  cursor = r.offset;
  return exact >= BigInt(Number.MIN_SAFE_INTEGER) && exact <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(exact)
    : Number.NaN;
}

/**
 * The header key at `b[start, start + length)`: the string of the previous record's key at the same
 * header index when the bytes are equal (no decoding, no allocation), else decoded and remembered.
 * `keys[slot]`, `keys[slot + 1]`, `keys[slot + 2]` hold that key's start, length and string.
 */
function headerKey(
  b: Uint8Array,
  start: number,
  length: number,
  keys: (number | string)[],
  slot: number,
): string {
  if (keys.length > slot && keys[slot + 1] === length) {
    const previous = keys[slot] as number;
    let k = 0;
    while (k < length && b[previous + k] === b[start + k]) k++;
    if (k === length) {
      keys[slot] = start;
      return keys[slot + 2] as string;
    }
  }
  const key = decodeUtf8(b, start, start + length);
  keys[slot] = start;
  keys[slot + 1] = length;
  keys[slot + 2] = key;
  return key;
}

/** One record of a v2 batch; see {@link KafkaRecord}. */
export class DefaultRecord implements KafkaRecord {
  // Fields are declared, not initialised, and assigned in the constructor: V8 builds an object from
  // plain assignments faster than from class-field definitions, and this runs once per record.
  /** The batch this record belongs to. */
  declare readonly batch: DefaultRecordBatch;
  /** The timestamp delta from the batch's base timestamp; NaN when not a safe integer. */
  declare readonly timestampDelta: number;
  /** The offset delta from the batch's base offset. */
  declare readonly offsetDelta: number;
  declare private readonly start: number;
  declare private readonly end: number;
  declare private readonly keyStart: number;
  declare private readonly keyLength: number;
  declare private readonly valueStart: number;
  declare private readonly valueLength: number;
  declare private decodedHeaders: RecordHeader[] | undefined;

  /**
   * @internal Records come from iterating their batch, or are a subclass built by
   * {@link DefaultRecordBatch.appendRecords}; positions are into `batch.recordBytes()`.
   */
  constructor(
    batch: DefaultRecordBatch,
    start: number,
    end: number,
    timestampDelta: number,
    offsetDelta: number,
    keyStart: number,
    keyLength: number,
    valueStart: number,
    valueLength: number,
  ) {
    this.batch = batch;
    this.start = start;
    this.end = end;
    this.timestampDelta = timestampDelta;
    this.offsetDelta = offsetDelta;
    this.keyStart = keyStart;
    this.keyLength = keyLength;
    this.valueStart = valueStart;
    this.valueLength = valueLength;
    this.decodedHeaders = undefined;
  }

  get offset(): number {
    const batch = this.batch;
    if (!batch.offsetsSafe) unsafe('offset', this.offsetBig);
    return batch.baseOffsetApprox + this.offsetDelta;
  }

  get offsetBig(): bigint {
    return BigInt.asIntN(64, this.batch.baseOffsetBig + BigInt(this.offsetDelta));
  }

  get timestamp(): number {
    const batch = this.batch;
    const t =
      batch.attributes & BatchAttributes.timestampType
        ? batch.maxTimestampApprox
        : batch.baseTimestampApprox + this.timestampDelta;
    return isSafe(t) ? t : unsafe('timestamp', this.timestampBig);
  }

  get timestampBig(): bigint {
    const batch = this.batch;
    if (batch.attributes & BatchAttributes.timestampType) return batch.maxTimestampBig;
    const r = new Reader(batch.recordBytes(), this.start + 1, this.end);
    return BigInt.asIntN(64, batch.baseTimestampBig + r.readVarLong());
  }

  get key(): Uint8Array | null {
    const batch = this.batch;
    if (batch.released) throw batch.releasedError();
    const n = this.keyLength;
    if (n < 0) return null;
    // The constructor form skips subarray's species lookup: measurably faster per record.
    return new Uint8Array(batch.recordsArrayBuffer!, batch.recordsByteOffset + this.keyStart, n);
  }

  get value(): Uint8Array | null {
    const batch = this.batch;
    if (batch.released) throw batch.releasedError();
    const n = this.valueLength;
    if (n < 0) return null;
    return new Uint8Array(batch.recordsArrayBuffer!, batch.recordsByteOffset + this.valueStart, n);
  }

  get sequence(): number {
    const base = this.batch.baseSequence;
    if (base < 0) return -1;
    // Sequences wrap at int32 like Java's DefaultRecordBatch.incrementSequence.
    return (base + this.offsetDelta) % 0x8000_0000;
  }

  /**
   * The headers, decoded on first access.
   * @throws CorruptRecordError when the header section is malformed or does not end with the record.
   */
  get headers(): readonly RecordHeader[] {
    const batch = this.batch;
    if (batch.released) throw batch.releasedError();
    if (this.decodedHeaders !== undefined) return this.decodedHeaders;
    const b = batch.recordBytes();
    const end = this.end;
    const headersStart = this.valueLength > 0 ? this.valueStart + this.valueLength : this.valueStart;
    // Most records have no headers: a single zero count that ends the record. A fresh array, not a
    // shared frozen one: `for ... of` over a frozen array leaves V8's fast path (12 ns against 1.5
    // measured on Node 20), and a shared mutable one could be changed by any caller.
    if (headersStart + 1 === end && b[headersStart] === 0) {
      const none: RecordHeader[] = [];
      this.decodedHeaders = none;
      return none;
    }
    const count = varint(b, headersStart, end, batch);
    let o = cursor;
    // Each header takes at least two bytes (two length varints), which bounds an honest count.
    if (count < 0 || count > (end - o) / 2) {
      throw batch.malformed(`header count ${count} does not fit its record`, headersStart);
    }
    const headers: RecordHeader[] = [];
    const keys = (batch.headerKeys ??= []);
    for (let i = 0; i < count; i++) {
      const keyLength = varint(b, o, end, batch);
      const keyStart = cursor;
      if (keyLength < 0 || keyLength > end - keyStart) {
        throw batch.malformed(`header key length ${keyLength} does not fit its record`, o);
      }
      const key = headerKey(b, keyStart, keyLength, keys, i * 3);
      const valueLength = varint(b, keyStart + keyLength, end, batch);
      const valueStart = cursor;
      if (valueLength < -1 || valueLength > end - valueStart) {
        throw batch.malformed(
          `header value length ${valueLength} does not fit its record`,
          keyStart + keyLength,
        );
      }
      if (valueLength < 0) {
        headers.push({ key, value: null });
        o = valueStart;
      } else {
        headers.push({
          key,
          value: new Uint8Array(batch.recordsArrayBuffer!, batch.recordsByteOffset + valueStart, valueLength),
        });
        o = valueStart + valueLength;
      }
    }
    if (o !== end) throw batch.malformed(`record has ${end - o} bytes after its headers`, o);
    this.decodedHeaders = headers;
    return headers;
  }
}
