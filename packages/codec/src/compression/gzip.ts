/** Gzip through node:zlib, as Kafka's Java producer writes it (GZIPOutputStream). */
import { gunzipSync, gzipSync } from 'node:zlib';
import { DecodeError } from '../errors.js';
import { checkMaxSize } from './cap.js';
import { DecompressedSizeError } from './errors.js';
import { ownedBytes } from './output.js';
import type { CompressionCodec } from './types.js';
import { keptDecompress } from './zlib-kept.js';

// node:zlib's own chunk size: the smallest output buffer used, whatever the trailer claims, so a
// trailer that lies low cannot make the engine crawl in tiny chunks.
const MIN_CHUNK = 16 * 1024;
// Deflate cannot expand more than about 1032:1, which bounds an honest trailer's size field.
const MAX_RATIO = 1032;

/**
 * The size a gzip member's trailer declares (ISIZE, the input length mod 2^32), when it is one an
 * honest stream of this length could have and it fits under the cap; otherwise -1.
 */
function trailerSize(data: Uint8Array, maxSize: number): number {
  const n = data.length;
  if (n < 18) return -1;
  const size = (data[n - 4]! | (data[n - 3]! << 8) | (data[n - 2]! << 16) | (data[n - 1]! << 24)) >>> 0;
  return size <= maxSize && size <= n * MAX_RATIO ? size : -1;
}

/**
 * Decompresses gzip data in one synchronous call, into a buffer sized by the trailer's length field
 * when that is plausible (so the output is not assembled from 16 KiB chunks), stopping as soon as the
 * output would pass `maxSize`.
 * @returns the uncompressed bytes.
 * @throws DecompressedSizeError past `maxSize`; DecodeError for malformed data; CodecOptionError
 * when `maxSize` is not a non-negative safe integer.
 */
export function gzipDecompress(data: Uint8Array, maxSize: number): Uint8Array {
  checkMaxSize(maxSize);
  const hint = trailerSize(data, maxSize);
  if (hint >= 0) {
    // A plausible trailer (one member, as Kafka's producer writes): the kept decompressor first, into
    // exactly that much room plus one byte; anything it cannot finish cleanly takes the public call.
    const kept = keptDecompress('gzip', data, hint + 1);
    if (kept !== null) return kept;
  }
  let out: Buffer;
  try {
    // One byte over the cap tells "exactly at the cap" from "over it"; one byte over the expected
    // size lets the engine see the end of the stream without a second buffer.
    out = gunzipSync(data, {
      maxOutputLength: maxSize + 1,
      chunkSize: Math.max(MIN_CHUNK, Math.min(hint, maxSize) + 1),
    });
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecompressedSizeError(maxSize, undefined, 'gzip');
    }
    throw new DecodeError('gzip: malformed data', undefined, { cause });
  }
  if (out.length > maxSize) throw new DecompressedSizeError(maxSize, undefined, 'gzip');
  return ownedBytes(out);
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
