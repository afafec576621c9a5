/**
 * Zstandard. Decompression: node:zlib when the runtime has it (Node >= 22.15), otherwise the pure-JS
 * `fzstd`, after this module has checked every frame header so that no window or content size larger
 * than the cap is ever allocated. Compression: node:zlib when present; on older runtimes a valid
 * zstd frame of raw (stored) blocks, which every zstd reader accepts but which does not shrink data.
 */
import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';
import { DecodeError } from '../errors.js';
import { concatChunks } from './concat.js';
import { DecompressedSizeError } from './errors.js';
import type { CompressionCodec } from './types.js';

const FRAME_MAGIC = 0xfd2fb528;
const MAX_BLOCK = 128 * 1024;
// A streaming compressor that does not know the content size declares a window from its level
// (level 3, Kafka's default: 2 MiB; level 19: 8 MiB), so windows up to 8 MiB are accepted even under
// a smaller cap. That is the most a decoder allocates for a frame that lies about its window.
const MIN_WINDOW_LIMIT = 8 * 1024 * 1024;

type ZstdSync = (data: Uint8Array, options?: { maxOutputLength?: number }) => Uint8Array;
const nodeZstd = zlib as unknown as { zstdCompressSync?: ZstdSync; zstdDecompressSync?: ZstdSync };

function le32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/**
 * Walks every frame of `data` (zstd frames and skippable frames) and checks that the sizes their
 * headers declare fit under `maxSize`, so a decoder that trusts them cannot be made to over-allocate.
 * @returns nothing.
 * @throws DecompressedSizeError for a content size past `maxSize` or a window past both `maxSize`
 * and 8 MiB; DecodeError for a malformed frame structure.
 */
export function checkZstdFrames(data: Uint8Array, maxSize: number): void {
  let i = 0;
  let declaredTotal = 0;
  while (i < data.length) {
    if (i + 4 > data.length) throw new DecodeError('zstd: truncated frame magic', i);
    const magic = le32(data, i);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (i + 8 > data.length) throw new DecodeError('zstd: truncated skippable frame', i);
      const size = le32(data, i + 4);
      if (size > data.length - i - 8) throw new DecodeError('zstd: skippable frame runs past the end', i);
      i += 8 + size;
      continue;
    }
    if (magic !== FRAME_MAGIC) throw new DecodeError('zstd: bad frame magic', i);
    const frameStart = i;
    i += 4;
    if (i >= data.length) throw new DecodeError('zstd: truncated frame header', i);
    const descriptor = data[i++]!;
    const fcsFlag = descriptor >>> 6;
    const singleSegment = (descriptor & 0x20) !== 0;
    if (descriptor & 0x08) throw new DecodeError('zstd: reserved bit set in frame header', i - 1);
    const checksum = (descriptor & 0x04) !== 0;
    const dictIdSize = [0, 1, 2, 4][descriptor & 3]!;
    const fcsSize = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
    let windowSize = 0;
    if (!singleSegment) {
      if (i >= data.length) throw new DecodeError('zstd: truncated window descriptor', i);
      const w = data[i++]!;
      const base = 2 ** (10 + (w >>> 3));
      windowSize = base + (base / 8) * (w & 7);
    }
    i += dictIdSize;
    if (i + fcsSize > data.length) throw new DecodeError('zstd: truncated frame header', i);
    let contentSize = -1;
    if (fcsSize > 0) {
      contentSize = 0;
      for (let k = fcsSize - 1; k >= 0; k--) contentSize = contentSize * 256 + data[i + k]!;
      if (fcsSize === 2) contentSize += 256;
      i += fcsSize;
    }
    if (singleSegment) windowSize = contentSize;
    if (contentSize >= 0) declaredTotal += contentSize;
    if (windowSize > Math.max(maxSize, MIN_WINDOW_LIMIT) || declaredTotal > maxSize) {
      throw new DecompressedSizeError(maxSize, frameStart);
    }
    for (;;) {
      if (i + 3 > data.length) throw new DecodeError('zstd: truncated block header', i);
      const header = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16);
      i += 3;
      const last = header & 1;
      const type = (header >>> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw new DecodeError('zstd: reserved block type', i - 3);
      const stored = type === 1 ? 1 : size;
      if (size > MAX_BLOCK || stored > data.length - i) throw new DecodeError('zstd: bad block size', i - 3);
      i += stored;
      if (last) break;
    }
    if (checksum) {
      if (i + 4 > data.length) throw new DecodeError('zstd: truncated content checksum', i);
      i += 4;
    }
  }
}

/**
 * Decompresses zstd data (one or more frames).
 * @returns the uncompressed bytes.
 * @throws DecompressedSizeError past `maxSize`; DecodeError for malformed data.
 */
export function zstdDecompress(data: Uint8Array, maxSize: number): Uint8Array {
  checkZstdFrames(data, maxSize);
  if (nodeZstd.zstdDecompressSync) {
    try {
      const out = nodeZstd.zstdDecompressSync(data, { maxOutputLength: maxSize + 1 });
      if (out.length > maxSize) throw new DecompressedSizeError(maxSize);
      return new Uint8Array(out.buffer, out.byteOffset, out.length);
    } catch (cause) {
      if (cause instanceof DecompressedSizeError) throw cause;
      if ((cause as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
        throw new DecompressedSizeError(maxSize);
      throw new DecodeError('zstd: malformed data', undefined, { cause });
    }
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  let exceeded = false;
  const stream = new Decompress((chunk) => {
    total += chunk.length;
    if (total > maxSize) exceeded = true;
    else chunks.push(chunk);
  });
  try {
    stream.push(data, true);
  } catch (cause) {
    throw new DecodeError('zstd: malformed data', undefined, { cause });
  }
  if (exceeded) throw new DecompressedSizeError(maxSize);
  return concatChunks(chunks, total);
}

/**
 * Wraps `data` in a zstd frame of raw blocks: valid zstd that every reader accepts, used where the
 * runtime has no zstd compressor.
 * @returns the frame bytes.
 */
export function zstdStoredFrame(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / MAX_BLOCK));
  const out = new Uint8Array(4 + 1 + 8 + blocks * 3 + data.length);
  out[0] = 0x28;
  out[1] = 0xb5;
  out[2] = 0x2f;
  out[3] = 0xfd;
  // Single segment with an 8-byte content size: no window descriptor needed.
  out[4] = 0xe0;
  let size = data.length;
  for (let k = 0; k < 8; k++) {
    out[5 + k] = size % 256;
    size = Math.floor(size / 256);
  }
  let o = 13;
  for (let b = 0; b < blocks; b++) {
    const at = b * MAX_BLOCK;
    const n = Math.min(MAX_BLOCK, data.length - at);
    const header = (n << 3) | (b === blocks - 1 ? 1 : 0); // type 0: raw
    out[o] = header & 0xff;
    out[o + 1] = (header >>> 8) & 0xff;
    out[o + 2] = header >>> 16;
    out.set(data.subarray(at, at + n), o + 3);
    o += 3 + n;
  }
  return out;
}

/**
 * Compresses `data` with zstd: node:zlib's compressor when the runtime has one, otherwise a
 * stored frame (see {@link zstdStoredFrame}).
 * @returns a zstd frame.
 */
export function zstdCompress(data: Uint8Array): Uint8Array {
  if (nodeZstd.zstdCompressSync) {
    const out = nodeZstd.zstdCompressSync(data);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
  return zstdStoredFrame(data);
}

/** The zstd codec. */
export const zstdCodec: CompressionCodec = {
  name: 'zstd',
  compress: zstdCompress,
  decompress: zstdDecompress,
};
