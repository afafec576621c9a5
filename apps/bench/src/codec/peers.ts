/**
 * The peer clients' own record-batch decoders and CRC32C functions, loaded from their packages so
 * each one runs the code its users run. KafkaJS has no types for its internals; the shapes below are
 * what its source shows.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface KafkaJsDecoder {
  offset: number;
  buffer: Buffer;
}
type KafkaJsDecoderClass = new (buffer: Buffer) => KafkaJsDecoder;
interface KafkaJsRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  // A repeated header key holds an array of values.
  headers: Record<string, Buffer | Buffer[] | null>;
}
type KafkaJsDecodeMessages = (decoder: KafkaJsDecoder) => Promise<KafkaJsRecord[]>;

const KafkaJsDecoder = require('kafkajs/src/protocol/decoder') as KafkaJsDecoderClass;
// What KafkaJS's Fetch response decoder (v4 to v11) calls for each partition's records.
const kafkaJsDecodeMessages =
  require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages') as KafkaJsDecodeMessages;
const kafkaJsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C') as (data: Buffer) => number;

/**
 * The records of one partition as KafkaJS's fetch path meets them: its connection concatenates the
 * socket chunks into one Buffer per response, and the partition's records follow their int32 size.
 * @returns the bytes to hand to {@link kafkaJsDecode}.
 */
export function kafkaJsInput(records: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + records.length);
  out.writeInt32BE(records.length, 0);
  out.set(records, 4);
  return out;
}

/**
 * Decodes a partition's records with KafkaJS 2.2.4's own fetch-path function (`decodeMessages`,
 * which skips the CRC and collects every batch's records into one array) and reads every field of
 * every record, as the Runnel contenders do: offset, timestamp (strings in KafkaJS), key, value and
 * each header.
 * @returns a sum over the fields, so the work cannot be optimised away.
 */
export async function kafkaJsDecode(input: Buffer): Promise<number> {
  let seen = 0;
  for (const record of await kafkaJsDecodeMessages(new KafkaJsDecoder(input))) {
    seen +=
      record.offset.length +
      record.timestamp.length +
      (record.key?.length ?? 0) +
      (record.value?.length ?? 0);
    const headers = record.headers;
    for (const key in headers) {
      const value = headers[key];
      seen += key.length + (Array.isArray(value) ? value.length : (value?.length ?? 0));
    }
  }
  return seen;
}

interface PlatformaticReader {
  remaining: number;
}
interface PlatformaticRecord {
  offsetDelta: number;
  timestampDelta: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: [Buffer | null, Buffer | null][];
}
interface PlatformaticModule {
  Reader: { from(buffer: unknown): PlatformaticReader };
  readRecordsBatches(
    reader: PlatformaticReader,
  ): { firstOffset: bigint; firstTimestamp: bigint; records: PlatformaticRecord[] }[];
  crc32c(data: Buffer | Uint8Array): number;
  jsCRC32C(data: Buffer | Uint8Array): number;
}
type DynamicBufferClass = new (buffers: Buffer[]) => unknown;

const platformatic = (await import('@platformatic/kafka')) as unknown as PlatformaticModule;
// @platformatic/kafka's own dependency, resolved from its package as it resolves it.
const DynamicBuffer = (
  (await import(
    createRequire(require.resolve('@platformatic/kafka')).resolve('@platformatic/dynamic-buffer')
  )) as { DynamicBuffer: DynamicBufferClass }
).DynamicBuffer;

/** Node's socket read size: the chunks a response arrives in. */
const SOCKET_CHUNK = 64 * 1024;

/**
 * The records of one partition as @platformatic/kafka's fetch path meets them: its connection
 * appends each socket chunk to a DynamicBuffer and decodes the response from a sub-range of it, so
 * the records stay split at the 64 KiB chunk boundaries they arrived with.
 * @returns the buffer to hand to {@link platformaticDecode}.
 */
export function platformaticInput(records: Uint8Array): unknown {
  const chunks: Buffer[] = [];
  for (let at = 0; at < records.length; at += SOCKET_CHUNK) {
    chunks.push(Buffer.from(records.subarray(at, Math.min(records.length, at + SOCKET_CHUNK))));
  }
  return new DynamicBuffer(chunks);
}

/**
 * Decodes a partition's records with @platformatic/kafka 2.12.1's `readRecordsBatches` (it skips
 * the CRC), called as its Fetch response parser calls it, and reads every field of every record as
 * its decoder leaves them: the offset and timestamp deltas (the absolute values would cost a bigint
 * addition each, which is not counted), key, value and each header (key and value bytes).
 * @returns a sum over the fields.
 */
export function platformaticDecode(input: unknown): number {
  let seen = 0;
  for (const batch of platformatic.readRecordsBatches(platformatic.Reader.from(input))) {
    for (const record of batch.records) {
      seen +=
        record.offsetDelta +
        (record.timestampDelta > 0n ? 1 : 0) +
        (record.key?.length ?? 0) +
        (record.value?.length ?? 0);
      for (const [key, value] of record.headers) seen += (key?.length ?? 0) + (value?.length ?? 0);
    }
  }
  return seen;
}

const nodeRs = require('@node-rs/crc32') as { crc32c(data: Uint8Array, initial?: number): number };
const sheetJs = require('crc-32/crc32c') as { buf(data: Uint8Array, seed?: number): number };

/** CRC32C functions of the peer packages, by name. */
export const peerCrc32c: Record<string, (data: Buffer) => number> = {
  '@node-rs/crc32 (native)': (data) => nodeRs.crc32c(data),
  '@platformatic/kafka crc32c (its default)': (data) => platformatic.crc32c(data),
  '@platformatic/kafka jsCRC32C': (data) => platformatic.jsCRC32C(data),
  'crc-32/crc32c (SheetJS)': (data) => sheetJs.buf(data) >>> 0,
  'kafkajs crc32C': (data) => kafkaJsCrc32c(data) >>> 0,
};
