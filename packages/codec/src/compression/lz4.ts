/**
 * LZ4 frames as Kafka writes them (`KafkaLZ4BlockOutputStream`: independent 64 KiB blocks, no block
 * or content checksum). Decompression walks the frame headers and block sizes first, which bounds the
 * output (a stored block yields its size, a compressed one at most its block maximum or 255 bytes
 * per input byte), then decodes every block straight into one buffer of that bound, capped.
 */
import { DecodeError } from '../errors.js';
import { checkMaxSize } from './cap.js';
import { DecompressedSizeError } from './errors.js';
import { LZ4_HASH_TABLE_SIZE, lz4CompressBlock, lz4DecompressBlock } from './lz4-block.js';
import { copyNativeBlock, nativeLz4Block } from './native.js';
import { ownBuffer, ownedBytes, SLAB_LIMIT, slabRoom, takeSlab } from './output.js';
import type { CompressionCodec } from './types.js';
import { xxhash32 } from './xxhash32.js';

const FRAME_MAGIC = 0x184d2204;
const BLOCK_SIZE = 64 * 1024;
// An LZ4 sequence of n bytes yields at most 255 bytes per byte of match length, plus its minimum.
const MAX_RATIO = 255;
const MAX_SEQUENCE_EXTRA = 32;
const BLOCK_MAX_SIZES: Record<number, number> = {
  4: 64 * 1024,
  5: 256 * 1024,
  6: 1024 * 1024,
  7: 4096 * 1024,
};

function le32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

function putLe32(b: Uint8Array, i: number, v: number): void {
  b[i] = v;
  b[i + 1] = v >>> 8;
  b[i + 2] = v >>> 16;
  b[i + 3] = v >>> 24;
}

interface FrameHeader {
  readonly blockMax: number;
  readonly blockChecksum: boolean;
  readonly contentChecksum: boolean;
  /** Where the first block size of the frame is. */
  readonly blocksAt: number;
}

/**
 * Reads the frame descriptor at `i`. The header check byte is verified, but a value computed over
 * the magic too is also accepted: Kafka wrote that for magic v0 messages.
 * @throws DecodeError for a bad magic, version, block maximum or check byte, or a dictionary id.
 */
function readFrameHeader(data: Uint8Array, i: number): FrameHeader {
  if (i + 7 > data.length) throw new DecodeError('lz4: truncated frame header', i);
  if (le32(data, i) !== FRAME_MAGIC) throw new DecodeError('lz4: bad frame magic', i);
  const flg = data[i + 4]!;
  const bd = data[i + 5]!;
  if (flg >>> 6 !== 1) throw new DecodeError(`lz4: unsupported frame version ${flg >>> 6}`, i + 4);
  if (flg & 1) throw new DecodeError('lz4: frames with a dictionary id are not supported', i + 4);
  const blockMax = BLOCK_MAX_SIZES[(bd >>> 4) & 7];
  if (blockMax === undefined) throw new DecodeError(`lz4: bad block maximum size in ${bd}`, i + 5);
  const descriptorEnd = i + 6 + ((flg & 0x08) !== 0 ? 8 : 0);
  if (descriptorEnd + 1 > data.length) throw new DecodeError('lz4: truncated frame header', i);
  const hc = data[descriptorEnd]!;
  if (
    hc !== ((xxhash32(data, 0, i + 4, descriptorEnd) >>> 8) & 0xff) &&
    hc !== ((xxhash32(data, 0, i, descriptorEnd) >>> 8) & 0xff)
  ) {
    throw new DecodeError('lz4: frame header checksum mismatch', descriptorEnd);
  }
  return {
    blockMax,
    blockChecksum: (flg & 0x10) !== 0,
    contentChecksum: (flg & 0x04) !== 0,
    blocksAt: descriptorEnd + 1,
  };
}

/**
 * Walks every frame and block of `data`. Without `out` it only checks the structure and returns an
 * upper bound of the output; with `out` it also decodes into it and returns the output length.
 * @throws DecompressedSizeError when stored blocks alone, or the decoded output, pass `maxSize`;
 * DecodeError for a malformed frame or block or a checksum mismatch.
 */
function walkFrames(data: Uint8Array, maxSize: number, out: Uint8Array | undefined): number {
  let i = 0;
  // Without out: the bound, and the bytes stored blocks yield for certain. With out: the position.
  let o = 0;
  let certain = 0;
  let blocks = 0;
  soleBlockAt = -1;
  do {
    const frame = readFrameHeader(data, i);
    const blockMax = frame.blockMax;
    const frameOut = o;
    i = frame.blocksAt;
    for (;;) {
      if (i + 4 > data.length) throw new DecodeError('lz4: truncated block size', i);
      const word = le32(data, i);
      i += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (size > data.length - i || size > blockMax) {
        throw new DecodeError(`lz4: bad block size ${size}`, i - 4);
      }
      const stored = (word & 0x80000000) !== 0;
      if (out === undefined) {
        blocks++;
        if (blocks === 1 && !stored && !frame.blockChecksum) {
          soleBlockAt = i;
          soleBlockSize = size;
        }
        if (stored) {
          certain += size;
          if (certain > maxSize) throw new DecompressedSizeError(maxSize, i, 'lz4');
          o += size;
        } else {
          o += Math.min(blockMax, size * MAX_RATIO + MAX_SEQUENCE_EXTRA);
        }
      } else if (stored) {
        if (size > out.length - o) throw new DecompressedSizeError(maxSize, i, 'lz4');
        out.set(data.subarray(i, i + size), o);
        o += size;
      } else {
        o = decodeBlock(data, i, size, blockMax, out, o, maxSize);
      }
      if (frame.blockChecksum) {
        if (i + size + 4 > data.length) throw new DecodeError('lz4: truncated block checksum', i + size);
        if (out !== undefined && le32(data, i + size) !== xxhash32(data, 0, i, i + size)) {
          throw new DecodeError('lz4: block checksum mismatch', i);
        }
        i += 4;
      }
      i += size;
    }
    if (frame.contentChecksum) {
      soleBlockAt = -1;
      if (i + 4 > data.length) throw new DecodeError('lz4: truncated content checksum', i);
      if (out !== undefined && le32(data, i) !== xxhash32(out, 0, frameOut, o)) {
        throw new DecodeError('lz4: content checksum mismatch', i);
      }
      i += 4;
    }
  } while (i < data.length);
  if (blocks !== 1) soleBlockAt = -1;
  return o;
}

// Set by walkFrames without `out`: where the data's only block is, when the data is one frame of one
// compressed block without checksums (-1 otherwise), and its size. Module-level, as lengthEnd in
// lz4-block.ts, so that the walk's result stays a number.
let soleBlockAt = -1;
let soleBlockSize = 0;

/** Decodes the compressed block `data[i, i + size)` into `out` at `o`; @returns the new position. */
function decodeBlock(
  data: Uint8Array,
  i: number,
  size: number,
  blockMax: number,
  out: Uint8Array,
  o: number,
  maxSize: number,
): number {
  const outEnd = Math.min(o + blockMax, out.length);
  const native = nativeLz4Block();
  const decoded = native === null ? null : native(data, i, size, outEnd - o);
  if (decoded !== null) return copyNativeBlock(decoded, out, o);
  // JS, or the native decoder refused the block: then the JS one says why, with a typed error.
  const n = lz4DecompressBlock(data, i, i + size, out, o, outEnd);
  if (n >= 0) return n;
  if (outEnd === out.length && out.length === maxSize) throw new DecompressedSizeError(maxSize, i, 'lz4');
  throw new DecodeError(`lz4: block decodes to more than ${blockMax} bytes`, i);
}

/**
 * Decompresses an LZ4 frame (one or more, back to back) into one buffer, stopping at the cap.
 * @returns the uncompressed bytes.
 * @throws DecompressedSizeError past `maxSize`; DecodeError for a malformed frame or block, a
 * checksum mismatch, or a dictionary id (unsupported, as in Kafka); CodecOptionError when `maxSize`
 * is not a non-negative safe integer.
 */
export function lz4Decompress(data: Uint8Array, maxSize: number): Uint8Array {
  checkMaxSize(maxSize);
  const bound = Math.min(walkFrames(data, maxSize, undefined), maxSize);
  const native = soleBlockAt < 0 ? null : nativeLz4Block();
  if (native !== null) {
    // A batch of one block (up to 64 KiB, the common case) keeps the native decoder's own buffer:
    // copying it into a slab as well doubled the ArrayBuffer bytes allocated per batch, and with
    // them the full collections that V8 starts for every 64 MiB of them.
    const decoded = native(data, soleBlockAt, soleBlockSize, bound);
    if (decoded !== null) return decoded;
  }
  if (bound <= SLAB_LIMIT) {
    // A small batch decodes straight into a shared slab, which keeps exactly what was produced:
    // allocating the bound (a whole 64 KiB block for a 16 KiB batch) and trimming, or decoding into
    // a scratch buffer and copying out, cost more than decoding the batch natively.
    return takeSlab(walkFrames(data, maxSize, slabRoom(bound)));
  }
  const out = ownBuffer(bound);
  return ownedBytes(out.subarray(0, walkFrames(data, maxSize, out)));
}

/**
 * Compresses `data` as one LZ4 frame the way Kafka's Java producer does: independent 64 KiB blocks,
 * no checksums but the header's, a block stored uncompressed when compression would not shrink it.
 * @returns the frame bytes.
 */
export function lz4Compress(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / BLOCK_SIZE));
  const out = new Uint8Array(7 + blocks * 4 + data.length + Math.ceil(data.length / 255) + 16 * blocks + 4);
  putLe32(out, 0, FRAME_MAGIC);
  out[4] = 0x60; // version 01, independent blocks
  out[5] = 0x40; // 64 KiB block maximum
  out[6] = (xxhash32(out, 0, 4, 6) >>> 8) & 0xff;
  let o = 7;
  const table = new Int32Array(LZ4_HASH_TABLE_SIZE);
  for (let at = 0; at < data.length; at += BLOCK_SIZE) {
    const end = Math.min(data.length, at + BLOCK_SIZE);
    const n = lz4CompressBlock(data, at, end, out, o + 4, table) - (o + 4);
    if (n >= end - at) {
      putLe32(out, o, (end - at) | 0x80000000);
      out.set(data.subarray(at, end), o + 4);
      o += 4 + (end - at);
    } else {
      putLe32(out, o, n);
      o += 4 + n;
    }
  }
  putLe32(out, o, 0);
  return out.subarray(0, o + 4);
}

/** The LZ4 codec: Kafka's LZ4 frame format in both directions. */
export const lz4Codec: CompressionCodec = {
  name: 'lz4',
  compress: lz4Compress,
  decompress: lz4Decompress,
};
