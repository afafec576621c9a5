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
type KafkaJsBatchDecoder = (decoder: KafkaJsDecoder) => Promise<{ records: KafkaJsRecord[] }>;

const KafkaJsDecoder = require('kafkajs/src/protocol/decoder') as KafkaJsDecoderClass;
const kafkaJsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as KafkaJsBatchDecoder;
const kafkaJsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C') as (data: Buffer) => number;

/**
 * Decodes every batch of `bytes` with KafkaJS 2.2.4's record-batch decoder (it skips the CRC) and
 * reads every field of every record, as the Runnel contenders do: offset, timestamp (strings in
 * KafkaJS), key, value and each header.
 * @returns a sum over the fields, so the work cannot be optimised away.
 */
export async function kafkaJsDecode(bytes: Buffer): Promise<number> {
  const decoder = new KafkaJsDecoder(bytes);
  let seen = 0;
  while (decoder.offset < bytes.length) {
    const batch = await kafkaJsDecodeBatch(decoder);
    for (const record of batch.records) {
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
  Reader: { from(buffer: Buffer): PlatformaticReader };
  readRecordsBatches(
    reader: PlatformaticReader,
  ): { firstOffset: bigint; firstTimestamp: bigint; records: PlatformaticRecord[] }[];
  crc32c(data: Buffer | Uint8Array): number;
  jsCRC32C(data: Buffer | Uint8Array): number;
}

const platformatic = (await import('@platformatic/kafka')) as unknown as PlatformaticModule;

/**
 * Decodes every batch of `bytes` with @platformatic/kafka 2.12.1's `readRecordsBatches` (it skips
 * the CRC) and reads every field of every record as its decoder leaves them: the offset and
 * timestamp deltas (the absolute values would cost a bigint addition each, which is not counted),
 * key, value and each header (key and value bytes).
 * @returns a sum over the fields.
 */
export function platformaticDecode(bytes: Buffer): number {
  let seen = 0;
  for (const batch of platformatic.readRecordsBatches(platformatic.Reader.from(bytes))) {
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
