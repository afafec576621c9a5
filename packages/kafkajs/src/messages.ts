/**
 * Runnel's records and batches as KafkaJS hands them out: Buffer keys, values and headers (views of
 * the fetched bytes, no copy), offsets and timestamps as decimal strings, and a Batch with KafkaJS's
 * lag helpers.
 */
import type { ConsumerBatch, ConsumerRecord } from '@runnel/consumer';
import type { Batch, IHeaders, KafkaMessage } from './types.js';

/** Bit 3 of a record batch's attributes: the timestamp is the broker's log-append time (timestamp type 1). */
const LOG_APPEND_TIME_ATTRIBUTE = 0x08;

/** @returns a Buffer over the same memory (no copy), or null. */
function buffer(bytes: Uint8Array | null): Buffer | null {
  return bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** @returns the headers as KafkaJS's object: a Buffer per key, an array of them when a key repeats. */
function headersOf(record: ConsumerRecord): IHeaders {
  const headers: IHeaders = {};
  for (const h of record.headers) {
    const value = buffer(h.value) ?? Buffer.alloc(0);
    const before = headers[h.key];
    if (before === undefined) headers[h.key] = value;
    else if (Array.isArray(before)) before.push(value);
    else headers[h.key] = [before, value];
  }
  return headers;
}

/** @returns the record as a KafkaJS message. */
export function toMessage(record: ConsumerRecord): KafkaMessage {
  return {
    key: buffer(record.key),
    value: buffer(record.value),
    timestamp: String(record.timestamp),
    attributes: record.timestampType === 1 ? LOG_APPEND_TIME_ATTRIBUTE : 0,
    offset: String(record.offset),
    headers: headersOf(record),
  };
}

/** @returns the batch as KafkaJS's Batch; its messages are converted when first read. */
export function toBatch(batch: ConsumerBatch): Batch {
  let messages: KafkaMessage[] | null = null;
  const lastOffset = batch.lastOffset;
  const high = batch.highWatermark;
  return {
    topic: batch.topic,
    partition: batch.partition,
    highWatermark: String(high),
    get messages() {
      messages ??= batch.records.map(toMessage);
      return messages;
    },
    isEmpty: () => batch.records.length === 0,
    firstOffset: () => (batch.records.length === 0 ? null : String(batch.firstOffset)),
    lastOffset: () => String(lastOffset),
    // KafkaJS: the records after this batch's last one, and after its first one, up to the high watermark.
    offsetLag: () => String(Math.max(0, high - 1 - lastOffset)),
    offsetLagLow: () => String(Math.max(0, high - 1 - batch.firstOffset)),
  };
}
