/** Encoding v2 record batches, as Kafka's Java producer (`MemoryRecordsBuilder`) lays them out. */
import { getCompressionCodec } from '../compression/registry.js';
import { crc32c } from '../crc32c.js';
import { EncodeError } from '../errors.js';
import { utf8Length } from '../utf8.js';
import { Writer } from '../writer.js';
import { ControlRecordType } from './control.js';
import { BatchAttributes, V2 } from './record-batch.js';
import type { RecordHeader } from './types.js';

/** A record to encode. */
export interface RecordInput {
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
  /** Milliseconds since the epoch; defaults to the batch's base timestamp. */
  timestamp?: number | bigint;
  key?: Uint8Array | null;
  value: Uint8Array | null;
  headers?: readonly RecordHeader[];
}

/** A v2 record batch to encode; every field but `records` has Kafka's "none" default. */
export interface RecordBatchInput {
  baseOffset?: number | bigint;
  partitionLeaderEpoch?: number;
  /** Kafka compression type id (see `CompressionType`), default 0 (none). */
  compression?: number;
  /** 0 create time (default), 1 log-append time. */
  timestampType?: 0 | 1;
  isTransactional?: boolean;
  isControl?: boolean;
  producerId?: number | bigint;
  producerEpoch?: number;
  baseSequence?: number;
  /** Defaults to the first record's timestamp, or -1 when there is none. */
  baseTimestamp?: number | bigint;
  /** Defaults to the largest record timestamp. */
  maxTimestamp?: number | bigint;
  /** Defaults to the largest offset delta. */
  lastOffsetDelta?: number;
  records: readonly RecordInput[];
}

const utf8 = new TextEncoder();

function varintSize(v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}

function varlongSize(v: bigint): number {
  let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n++;
  }
  return n;
}

function toBig(v: number | bigint, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) throw new EncodeError(`${what} ${v} is not a safe integer`);
  return BigInt(v);
}

function writeRecord(w: Writer, record: RecordInput, offsetDelta: number, timestampDelta: bigint): void {
  const key = record.key ?? null;
  const value = record.value;
  const headers = record.headers ?? [];
  let bodySize = 1 + varlongSize(timestampDelta) + varintSize(offsetDelta);
  bodySize += key === null ? 1 : varintSize(key.length) + key.length;
  bodySize += value === null ? 1 : varintSize(value.length) + value.length;
  bodySize += varintSize(headers.length);
  const keyLengths: number[] = [];
  for (const h of headers) {
    const n = utf8Length(h.key);
    keyLengths.push(n);
    bodySize += varintSize(n) + n + (h.value === null ? 1 : varintSize(h.value.length) + h.value.length);
  }
  w.writeVarInt(bodySize);
  const start = w.length;
  w.writeInt8(0);
  w.writeVarLong(timestampDelta);
  w.writeVarInt(offsetDelta);
  if (key === null) w.writeVarInt(-1);
  else w.writeVarInt(key.length).writeRaw(key);
  if (value === null) w.writeVarInt(-1);
  else w.writeVarInt(value.length).writeRaw(value);
  w.writeVarInt(headers.length);
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    const keyBytes = utf8.encode(h.key);
    w.writeVarInt(keyLengths[i]!).writeRaw(keyBytes);
    if (h.value === null) w.writeVarInt(-1);
    else w.writeVarInt(h.value.length).writeRaw(h.value);
  }
  if (w.length - start !== bodySize)
    throw new EncodeError('record size computation disagrees with the bytes written');
}

/**
 * Encodes one v2 record batch, compressing its records with the registered codec, and computes its
 * CRC32C.
 * @returns the batch bytes, ready to send in a Produce request or to append to a log.
 * @throws EncodeError for a value out of range for its field; CodecUnavailableError when the
 * compression codec is not available.
 */
export function encodeRecordBatch(batch: RecordBatchInput): Uint8Array {
  const records = batch.records;
  const timestamps = records.map((r) =>
    r.timestamp === undefined ? undefined : toBig(r.timestamp, 'timestamp'),
  );
  const firstTimestamp = timestamps.find((t) => t !== undefined);
  const baseTimestamp =
    batch.baseTimestamp !== undefined ? toBig(batch.baseTimestamp, 'baseTimestamp') : (firstTimestamp ?? -1n);
  let maxTimestamp = -1n;
  let maxDelta = -1;
  const body = new Writer(256);
  records.forEach((record, i) => {
    const offsetDelta = record.offsetDelta ?? i;
    if (offsetDelta > maxDelta) maxDelta = offsetDelta;
    const timestamp = timestamps[i] ?? baseTimestamp;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    writeRecord(body, record, offsetDelta, timestamp - baseTimestamp);
  });
  const compression = batch.compression ?? 0;
  const recordBytes =
    compression === 0 ? body.finish() : getCompressionCodec(compression).compress(body.finish());

  let attributes = compression & BatchAttributes.compressionMask;
  if (batch.timestampType === 1) attributes |= BatchAttributes.timestampType;
  if (batch.isTransactional) attributes |= BatchAttributes.transactional;
  if (batch.isControl) attributes |= BatchAttributes.control;

  const w = new Writer(V2.records + recordBytes.length);
  w.writeInt64(batch.baseOffset ?? 0);
  const lengthAt = w.reserveInt32();
  w.writeInt32(batch.partitionLeaderEpoch ?? -1);
  w.writeInt8(2);
  const crcAt = w.reserveInt32();
  w.writeInt16(attributes);
  w.writeInt32(batch.lastOffsetDelta ?? Math.max(maxDelta, 0));
  w.writeInt64(baseTimestamp);
  w.writeInt64(batch.maxTimestamp !== undefined ? toBig(batch.maxTimestamp, 'maxTimestamp') : maxTimestamp);
  w.writeInt64(batch.producerId ?? -1);
  w.writeInt16(batch.producerEpoch ?? -1);
  w.writeInt32(batch.baseSequence ?? -1);
  w.writeInt32(records.length);
  w.writeRaw(recordBytes);
  w.patchInt32(lengthAt, w.length - V2.partitionLeaderEpoch);
  const bytes = w.finish();
  w.patchInt32(crcAt, crc32c(bytes, 0, V2.attributes, bytes.length));
  return bytes;
}

/**
 * Builds the control batch a transaction coordinator writes to end a transaction: one record whose
 * key is (version 0, type) and whose value is (version 0, coordinator epoch).
 * @returns the encoded batch.
 */
export function encodeEndTransactionMarker(input: {
  baseOffset: number | bigint;
  producerId: number | bigint;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
  timestamp: number | bigint;
  partitionLeaderEpoch?: number;
}): Uint8Array {
  const key = new Writer(4)
    .writeInt16(0)
    .writeInt16(input.commit ? ControlRecordType.commit : ControlRecordType.abort)
    .finish();
  const value = new Writer(6).writeInt16(0).writeInt32(input.coordinatorEpoch).finish();
  return encodeRecordBatch({
    baseOffset: input.baseOffset,
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? -1,
    isTransactional: true,
    isControl: true,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    records: [{ key: key.slice(), value: value.slice(), timestamp: input.timestamp }],
  });
}
