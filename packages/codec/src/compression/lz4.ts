/**
 * LZ4 in plain TS: the block format and the LZ4 frame format, as Kafka uses them
 * (`KafkaLZ4BlockOutputStream`: independent 64 KiB blocks, no block or content checksum).
 */
import { DecodeError } from '../errors.js';
import { concatChunks } from './concat.js';
import { DecompressedSizeError } from './errors.js';
import type { CompressionCodec } from './types.js';
import { xxhash32 } from './xxhash32.js';

const FRAME_MAGIC = 0x184d2204;
const BLOCK_SIZE = 64 * 1024;
const HASH_BITS = 14;
const MIN_MATCH = 4;
// The format's end rules: the last 5 bytes are literals and no match starts in the last 12.
const LAST_LITERALS = 5;
const MF_LIMIT = 12;

/**
 * Decompresses one LZ4 block `input[start, end)` into `out` at `o`.
 * @returns the output position after the block, or -1 when the output would pass `outEnd`.
 * @throws DecodeError when the block is malformed.
 */
export function lz4DecompressBlock(
  input: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  o: number,
  outEnd: number,
): number {
  let i = start;
  const outStart = o;
  while (i < end) {
    const token = input[i++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (i >= end) throw new DecodeError('lz4: truncated literal length', i);
        b = input[i++]!;
        literals += b;
      } while (b === 255);
    }
    if (literals > end - i) throw new DecodeError('lz4: literals run past the end of the block', i);
    if (literals > outEnd - o) return -1;
    out.set(input.subarray(i, i + literals), o);
    i += literals;
    o += literals;
    if (i === end) break; // the last sequence has literals only
    if (i + 2 > end) throw new DecodeError('lz4: truncated match offset', i);
    const offset = input[i]! | (input[i + 1]! << 8);
    i += 2;
    let length = token & 15;
    if (length === 15) {
      let b: number;
      do {
        if (i >= end) throw new DecodeError('lz4: truncated match length', i);
        b = input[i++]!;
        length += b;
      } while (b === 255);
    }
    length += MIN_MATCH;
    if (offset === 0 || offset > o - outStart) {
      throw new DecodeError(`lz4: match at distance ${offset} reaches before the block`, i);
    }
    if (length > outEnd - o) return -1;
    if (offset >= length) {
      out.copyWithin(o, o - offset, o - offset + length);
      o += length;
    } else {
      for (const stop = o + length; o < stop; o++) out[o] = out[o - offset]!;
    }
  }
  return o;
}

function hash4(b: Uint8Array, i: number): number {
  const v = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
  return Math.imul(v, 2654435761) >>> (32 - HASH_BITS);
}

/**
 * Compresses `input[start, end)` as one LZ4 block into `out` at `o` (room for the worst case:
 * `end - start + (end - start) / 255 + 16` bytes).
 * @returns the output position after the block.
 */
export function lz4CompressBlock(
  input: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  o: number,
  table: Int32Array,
): number {
  table.fill(-1);
  let anchor = start;
  let i = start;
  const matchLimit = end - LAST_LITERALS;
  const searchLimit = end - MF_LIMIT;
  while (i <= searchLimit) {
    const h = hash4(input, i);
    const candidate = table[h]!;
    table[h] = i;
    if (
      candidate < start ||
      i - candidate > 0xffff ||
      input[candidate] !== input[i] ||
      input[candidate + 1] !== input[i + 1] ||
      input[candidate + 2] !== input[i + 2] ||
      input[candidate + 3] !== input[i + 3]
    ) {
      i++;
      continue;
    }
    let length = MIN_MATCH;
    while (i + length < matchLimit && input[candidate + length] === input[i + length]) length++;
    o = writeSequence(input, anchor, i, i - candidate, length, out, o);
    i += length;
    anchor = i;
  }
  return writeSequence(input, anchor, end, 0, 0, out, o);
}

function writeSequence(
  input: Uint8Array,
  literalStart: number,
  literalEnd: number,
  offset: number,
  matchLength: number,
  out: Uint8Array,
  o: number,
): number {
  const literals = literalEnd - literalStart;
  const tokenAt = o++;
  let token = Math.min(literals, 15) << 4;
  if (literals >= 15) o = writeLength(literals - 15, out, o);
  out.set(input.subarray(literalStart, literalEnd), o);
  o += literals;
  if (matchLength > 0) {
    out[o++] = offset & 0xff;
    out[o++] = offset >>> 8;
    const m = matchLength - MIN_MATCH;
    token |= Math.min(m, 15);
    if (m >= 15) o = writeLength(m - 15, out, o);
  }
  out[tokenAt] = token;
  return o;
}

function writeLength(n: number, out: Uint8Array, o: number): number {
  while (n >= 255) {
    out[o++] = 255;
    n -= 255;
  }
  out[o++] = n;
  return o;
}

function le32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

function putLe32(b: Uint8Array, i: number, v: number): void {
  b[i] = v;
  b[i + 1] = v >>> 8;
  b[i + 2] = v >>> 16;
  b[i + 3] = v >>> 24;
}

let scratch = new Uint8Array(0);

const BLOCK_MAX_SIZES: Record<number, number> = {
  4: 64 * 1024,
  5: 256 * 1024,
  6: 1024 * 1024,
  7: 4096 * 1024,
};

/**
 * Decompresses an LZ4 frame (one or more, back to back). The header check byte is verified, but a
 * value computed over the magic too is also accepted: Kafka wrote that for magic v0 messages.
 * @returns the uncompressed bytes.
 * @throws DecompressedSizeError past `maxSize`; DecodeError for a malformed frame or block, a
 * checksum mismatch, or a dictionary id (unsupported, as in Kafka).
 */
export function lz4Decompress(data: Uint8Array, maxSize: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let i = 0;
  do {
    if (i + 7 > data.length) throw new DecodeError('lz4: truncated frame header', i);
    if (le32(data, i) !== FRAME_MAGIC) throw new DecodeError('lz4: bad frame magic', i);
    const flg = data[i + 4]!;
    const bd = data[i + 5]!;
    if (flg >>> 6 !== 1) throw new DecodeError(`lz4: unsupported frame version ${flg >>> 6}`, i + 4);
    if (flg & 1) throw new DecodeError('lz4: frames with a dictionary id are not supported', i + 4);
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const blockMax = BLOCK_MAX_SIZES[(bd >>> 4) & 7];
    if (blockMax === undefined) throw new DecodeError(`lz4: bad block maximum size in ${bd}`, i + 5);
    const descriptorEnd = i + 6 + (contentSize ? 8 : 0);
    if (descriptorEnd + 1 > data.length) throw new DecodeError('lz4: truncated frame header', i);
    const hc = data[descriptorEnd]!;
    if (
      hc !== ((xxhash32(data, 0, i + 4, descriptorEnd) >>> 8) & 0xff) &&
      hc !== ((xxhash32(data, 0, i, descriptorEnd) >>> 8) & 0xff)
    ) {
      throw new DecodeError('lz4: frame header checksum mismatch', descriptorEnd);
    }
    i = descriptorEnd + 1;
    const frameStartTotal = total;
    const frameChunks = chunks.length;
    for (;;) {
      if (i + 4 > data.length) throw new DecodeError('lz4: truncated block size', i);
      const word = le32(data, i);
      i += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (size > data.length - i || size > blockMax)
        throw new DecodeError(`lz4: bad block size ${size}`, i - 4);
      const room = Math.min(blockMax, maxSize - total);
      let chunk: Uint8Array;
      if (word & 0x80000000) {
        if (size > room) throw new DecompressedSizeError(maxSize, i);
        chunk = data.subarray(i, i + size);
      } else {
        // Decode into a scratch buffer of the block maximum, then copy out only what was produced.
        if (scratch.length < blockMax) scratch = new Uint8Array(blockMax);
        const n = lz4DecompressBlock(data, i, i + size, scratch, 0, blockMax);
        if (n < 0) throw new DecodeError(`lz4: block decodes to more than ${blockMax} bytes`, i);
        if (n > room) throw new DecompressedSizeError(maxSize, i);
        chunk = scratch.slice(0, n);
      }
      if (blockChecksum) {
        if (i + size + 4 > data.length) throw new DecodeError('lz4: truncated block checksum', i + size);
        if (le32(data, i + size) !== xxhash32(data, 0, i, i + size)) {
          throw new DecodeError('lz4: block checksum mismatch', i);
        }
        i += 4;
      }
      i += size;
      chunks.push(chunk);
      total += chunk.length;
    }
    if (contentChecksum) {
      if (i + 4 > data.length) throw new DecodeError('lz4: truncated content checksum', i);
      const joined = concatChunks(chunks.slice(frameChunks), total - frameStartTotal);
      if (le32(data, i) !== xxhash32(joined)) throw new DecodeError('lz4: content checksum mismatch', i);
      i += 4;
    }
  } while (i < data.length);
  return concatChunks(chunks, total);
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
  const table = new Int32Array(1 << HASH_BITS);
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
