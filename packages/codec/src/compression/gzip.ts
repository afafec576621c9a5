/** Gzip through node:zlib, as Kafka's Java producer writes it (GZIPOutputStream). */
import { gunzipSync, gzipSync } from 'node:zlib';
import { DecodeError } from '../errors.js';
import { DecompressedSizeError } from './errors.js';
import type { CompressionCodec } from './types.js';

/**
 * Decompresses gzip data, stopping as soon as the output would pass `maxSize`.
 * @returns the uncompressed bytes.
 * @throws DecompressedSizeError past `maxSize`; DecodeError for malformed data.
 */
export function gzipDecompress(data: Uint8Array, maxSize: number): Uint8Array {
  try {
    // One byte over the cap tells "exactly at the cap" from "over it".
    const out = gunzipSync(data, { maxOutputLength: maxSize + 1 });
    if (out.length > maxSize) throw new DecompressedSizeError(maxSize);
    // A plain Uint8Array view, so callers never depend on Buffer's different slice() semantics.
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } catch (cause) {
    if (cause instanceof DecompressedSizeError) throw cause;
    if ((cause as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new DecompressedSizeError(maxSize);
    throw new DecodeError('gzip: malformed data', undefined, { cause });
  }
}

/** The gzip codec. */
export const gzipCodec: CompressionCodec = {
  name: 'gzip',
  compress: (data) => {
    const out = gzipSync(data);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  },
  decompress: gzipDecompress,
};
