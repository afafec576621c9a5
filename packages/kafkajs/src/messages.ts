/**
 * Runnel's records and batches as KafkaJS hands them out: Buffer keys, values and headers (views of
 * the fetched bytes, no copy), offsets and timestamps as decimal strings, and a Batch with KafkaJS's
 * lag helpers.
 */
import type { ConsumerBatch, ConsumerRecord } from '@runnel/consumer';
import type { Batch, IHeaders, KafkaMessage } from './types.js';

/** Bit 3 of a record batch's attributes: the timestamp is the broker's log-append time (timestamp type 1). */
const LOG_APPEND_TIME_ATTRIBUTE = 0x08;

/**
 * A Buffer over fetched bytes: a Uint8Array whose prototype chain runs through Buffer.prototype, as
 * Node's own buffers do, so `Buffer.isBuffer`, `toString`, `equals`, `toJSON` and `util.inspect` see a
 * Buffer. Constructing one costs what a Uint8Array view costs; `Buffer.from(arrayBuffer, offset,
 * length)` checks its arguments first and took about three times as long per message (measured with
 * 100 B records, the adapter's largest cost per message after garbage collection).
 */
class MessageBuffer extends Uint8Array {}
Object.setPrototypeOf(MessageBuffer.prototype, Buffer.prototype);
// Its constructor is Buffer, as Node's own buffers': `subarray` then makes Buffers through Buffer's
// species, and `util.inspect` names it a Buffer.
Object.defineProperty(MessageBuffer.prototype, 'constructor', {
  value: Buffer,
  writable: true,
  configurable: true,
});

/** @returns a Buffer over the same memory (no copy), or null. */
function buffer(bytes: Uint8Array | null): Buffer | null {
  return bytes === null
    ? null
    : (new MessageBuffer(
        bytes.buffer as ArrayBuffer,
        bytes.byteOffset,
        bytes.byteLength,
      ) as unknown as Buffer);
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

/**
 * A record as a KafkaJS message. Its fields are getters that convert on first read: a program that
 * reads only `value` pays for no offset string and no headers object (a measured share of the cost per
 * record). `toJSON` and `util.inspect` show every field, as KafkaJS's plain objects do; an object spread
 * (`{ ...message }`) copies none of them, so name the fields you need.
 */
class RecordMessage implements KafkaMessage {
  constructor(private readonly record: ConsumerRecord) {}

  get key(): Buffer | null {
    return buffer(this.record.key);
  }

  get value(): Buffer | null {
    return buffer(this.record.value);
  }

  get timestamp(): string {
    return String(this.record.timestamp);
  }

  get attributes(): number {
    return this.record.timestampType === 1 ? LOG_APPEND_TIME_ATTRIBUTE : 0;
  }

  get offset(): string {
    return String(this.record.offset);
  }

  get headers(): IHeaders {
    return headersOf(this.record);
  }

  /** @returns the message as a plain object (JSON.stringify, logging). */
  toJSON(): KafkaMessage {
    const { key, value, timestamp, attributes, offset, headers } = this;
    return { key, value, timestamp, attributes, offset, headers };
  }

  /** @returns what `console.log` and `util.inspect` show: the plain object. */
  [Symbol.for('nodejs.util.inspect.custom')](): KafkaMessage {
    return this.toJSON();
  }
}

/** @returns the record as a KafkaJS message (fields converted when read). */
export function toMessage(record: ConsumerRecord): KafkaMessage {
  return new RecordMessage(record);
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
