import { checkMaxSize } from '../compression/cap.js';
import { CorruptRecordError } from '../errors.js';
import { LegacyRecordBatch, RECORD_OVERHEAD_V0 } from './legacy.js';
import { DefaultRecordBatch, LOG_OVERHEAD, type RecordBatchOptions, V2 } from './record-batch.js';
import type { RecordBatch } from './types.js';

/** Options for {@link decodeRecordBatches}. */
export interface DecodeRecordBatchesOptions extends RecordBatchOptions {
  /** Decode every record (and its headers) now instead of on iteration; for tests and debugging. */
  eager?: boolean;
}

function int32(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

function int64Big(b: Uint8Array, o: number): bigint {
  return (BigInt(int32(b, o)) << 32n) | BigInt(int32(b, o + 4) >>> 0);
}

/**
 * Splits the `records` bytes of a Fetch response partition (or a log segment) into batches: v2
 * record batches and legacy v0/v1 messages, in order. A partial batch at the end is normal (the
 * broker cuts the response at a size limit) and is left out, not reported.
 * @returns the complete batches; with `eager`, their records already decoded.
 * @throws CorruptRecordError when a batch fails its CRC (naming its base offset), has an unknown
 * magic or a size below the minimum; DecodeError (or a subclass) for malformed records in eager
 * mode or malformed compressed data; CodecOptionError when `maxDecompressedSize` is not a
 * non-negative safe integer (checked before anything is decoded).
 */
export function decodeRecordBatches(
  bytes: Uint8Array,
  options: DecodeRecordBatchesOptions = {},
): RecordBatch[] {
  if (options.maxDecompressedSize !== undefined) checkMaxSize(options.maxDecompressedSize);
  const batches: RecordBatch[] = [];
  let position = 0;
  while (bytes.length - position >= LOG_OVERHEAD) {
    const size = int32(bytes, position + V2.batchLength);
    if (size < RECORD_OVERHEAD_V0) {
      throw new CorruptRecordError(
        `batch at offset ${int64Big(bytes, position)} has size ${size}, below the minimum ${RECORD_OVERHEAD_V0}`,
        int64Big(bytes, position),
        position,
      );
    }
    if (size > bytes.length - position - LOG_OVERHEAD) break;
    const magic = bytes[position + V2.magic]!;
    let batch: RecordBatch;
    if (magic === 2) {
      batch = new DefaultRecordBatch(bytes, position, options);
    } else if (magic === 0 || magic === 1) {
      batch = new LegacyRecordBatch(bytes, position, options);
    } else {
      throw new CorruptRecordError(
        `batch at offset ${int64Big(bytes, position)} has unknown magic ${magic}`,
        int64Big(bytes, position),
        position,
      );
    }
    if (options.eager) batch.toArray();
    batches.push(batch);
    position += LOG_OVERHEAD + size;
  }
  return batches;
}
