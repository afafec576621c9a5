/**
 * Zstandard through node:zlib (Node >= 22.15 has it on every supported line). Before node:zlib sees
 * a byte, this module walks every frame and block header: a declared content size or window past the
 * cap, or raw and RLE blocks that alone exceed it, fail at once without decoding; and the walk yields
 * the output size (declared) or an upper bound of it, so the one synchronous call writes into a
 * buffer of the right size instead of 16 KiB chunks that are joined afterwards.
 */
import * as zlib from 'node:zlib';
import { DecodeError } from '../errors.js';
import { checkMaxSize } from './cap.js';
import { DecompressedSizeError } from './errors.js';
import { ownedBytes } from './output.js';
import type { CompressionCodec } from './types.js';
import { keptDecompress } from './zlib-kept.js';

const FRAME_MAGIC = 0xfd2fb528;
const MAX_BLOCK = 128 * 1024;
// A streaming compressor that does not know the content size declares a window from its level
// (level 3, Kafka's default: 2 MiB; level 19: 8 MiB), so windows up to 8 MiB are accepted even under
// a smaller cap. That is the most a decoder allocates for a frame that lies about its window.
const MIN_WINDOW_LIMIT = 8 * 1024 * 1024;
// node:zlib's smallest output buffer.
const MIN_CHUNK = 64;
// Without a declared size: the output buffer expects this ratio (JSON compresses 5-8x at level 3).
const GUESS_RATIO = 8;
const MIN_GUESS = 16 * 1024;

// @types/node 20 does not declare zstd yet; every Node line this package supports has it.
type ZstdSync = (
  data: Uint8Array,
  options?: { maxOutputLength?: number; chunkSize?: number; params?: Record<number, number> },
) => Buffer;
const nodeZstd = zlib as unknown as { zstdCompressSync: ZstdSync; zstdDecompressSync: ZstdSync };

function le32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** What the headers of a zstd payload say about its output. */
export interface ZstdFramesSummary {
  /** The summed content sizes when every frame declares one, else -1. */
  declared: number;
  /** The most bytes the blocks can produce (exact for raw and RLE blocks, the block maximum otherwise). */
  bound: number;
}

/**
 * Walks every frame of `data` (zstd frames and skippable frames) and every block header, so that no
 * decoder that trusts the headers can be made to over-allocate or to run long past the cap.
 * @returns the declared output size (or -1) and an upper bound of the output.
 * @throws DecompressedSizeError for a content size past `maxSize`, a window past both `maxSize`
 * and 8 MiB, or raw and RLE blocks that alone produce more than `maxSize`; DecodeError for a
 * malformed frame structure.
 */
export function checkZstdFrames(data: Uint8Array, maxSize: number): ZstdFramesSummary {
  let i = 0;
  let declared = 0;
  let bound = 0;
  // Bytes that raw and RLE blocks produce for certain: past the cap means a bomb, decided up front.
  let certain = 0;
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
    if (contentSize >= 0 && declared >= 0) declared += contentSize;
    else declared = -1;
    if (windowSize > Math.max(maxSize, MIN_WINDOW_LIMIT) || (contentSize >= 0 && contentSize > maxSize)) {
      throw new DecompressedSizeError(maxSize, frameStart, 'zstd');
    }
    const blockMax = Math.min(MAX_BLOCK, windowSize);
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
      if (type === 2) {
        bound += blockMax;
      } else {
        bound += size;
        certain += size;
        if (certain > maxSize) throw new DecompressedSizeError(maxSize, i - 3, 'zstd');
      }
      i += stored;
      if (last) break;
    }
    if (checksum) {
      if (i + 4 > data.length) throw new DecodeError('zstd: truncated content checksum', i);
      i += 4;
    }
  }
  if (declared > maxSize) throw new DecompressedSizeError(maxSize, 0, 'zstd');
  return { declared, bound };
}

/**
 * Decompresses zstd data (one or more frames) with one synchronous node:zlib call.
 * @returns the uncompressed bytes.
 * @throws DecompressedSizeError past `maxSize`; DecodeError for malformed data; CodecOptionError
 * when `maxSize` is not a non-negative safe integer.
 */
export function zstdDecompress(data: Uint8Array, maxSize: number): Uint8Array {
  checkMaxSize(maxSize);
  const { declared, bound } = checkZstdFrames(data, maxSize);
  // One byte over the expected size lets the engine report the end without a second buffer; one
  // byte over the cap tells "exactly at the cap" from "over it". Without a declared size, the bound
  // (a whole 128 KiB per compressed block) would overshoot a small batch many times: expect at most
  // a generous ratio instead, and let node:zlib add chunks for the rare batch that compresses better.
  const expected =
    declared >= 0 ? declared : Math.min(bound, maxSize, Math.max(MIN_GUESS, data.length * GUESS_RATIO));
  const chunkSize = Math.max(MIN_CHUNK, expected + 1);
  // First through the kept decompressor; anything it cannot finish cleanly takes the public call.
  const kept = keptDecompress('zstd', data, Math.min(chunkSize, maxSize + 1));
  if (kept !== null) return kept;
  let out: Buffer;
  try {
    out = nodeZstd.zstdDecompressSync(data, { maxOutputLength: maxSize + 1, chunkSize });
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecompressedSizeError(maxSize, undefined, 'zstd');
    }
    throw new DecodeError('zstd: malformed data', undefined, { cause });
  }
  if (out.length > maxSize) throw new DecompressedSizeError(maxSize, undefined, 'zstd');
  return ownedBytes(out);
}

/**
 * Compresses `data` with node:zlib's zstd at its default level (3, as Kafka's producer).
 * @returns a zstd frame.
 */
export function zstdCompress(data: Uint8Array): Uint8Array {
  const out = nodeZstd.zstdCompressSync(data);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** The zstd codec. */
export const zstdCodec: CompressionCodec = {
  name: 'zstd',
  compress: zstdCompress,
  decompress: zstdDecompress,
};
