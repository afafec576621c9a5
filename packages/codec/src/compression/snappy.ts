/**
 * Snappy in plain TS: the raw block format, and the xerial framing (`snappy-java`'s
 * SnappyOutputStream) that Kafka's Java producer writes. Pure TS means no native binary to fail.
 */
import { DecodeError } from '../errors.js';
import { checkMaxSize } from './cap.js';
import { DecompressedSizeError } from './errors.js';
import { copyBack, copyLiterals } from './lz77.js';
import { copyNativeBlock, nativeSnappyBlock } from './native.js';
import { ownBuffer, ownedBytes, SLAB_LIMIT, slabRoom, takeSlab } from './output.js';
import type { CompressionCodec } from './types.js';

// A copy element of at most 3 bytes yields at most 64 bytes, so honest output is under 22x the input.
const MAX_EXPANSION = 22;
// Snappy compresses in independent 64 KiB fragments so every offset fits a two-byte copy.
const FRAGMENT = 1 << 16;
const HASH_BITS = 14;

/**
 * Reads a raw block's preamble (the uncompressed length, a varint) in `input[start, end)`.
 * @returns the declared length; where the preamble ends is left in `preambleEnd`.
 * @throws DecompressedSizeError (naming the cap, `maxSize`) when the length exceeds `room`; DecodeError when it is malformed
 * or more than the block's bytes could produce.
 */
function readPreamble(input: Uint8Array, start: number, end: number, room: number, maxSize: number): number {
  let i = start;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (i >= end || shift > 28) throw new DecodeError('snappy: bad length preamble', i);
    const b = input[i++]!;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length > room) throw new DecompressedSizeError(maxSize, start, 'snappy');
  if (length > (end - start) * MAX_EXPANSION) {
    throw new DecodeError(`snappy: declared length ${length} cannot come from ${end - start} bytes`, start);
  }
  preambleEnd = i;
  return length;
}

// Where the last preamble read ended: a module-level cursor keeps readPreamble's result a number.
let preambleEnd = 0;

/**
 * Decodes the elements of a raw block, `input[i, end)`, into `out` at `o`; they must produce exactly
 * `length` bytes.
 * @returns the position after the output.
 * @throws DecodeError when the block is malformed (truncated, bad offset, length not met or exceeded).
 */
function decodeElements(
  input: Uint8Array,
  i: number,
  end: number,
  out: Uint8Array,
  o: number,
  length: number,
): number {
  const outStart = o;
  const outEnd = o + length;
  const src = new DataView(input.buffer, input.byteOffset, input.length);
  const dst = new DataView(out.buffer, out.byteOffset, out.length);
  while (i < end) {
    const tag = input[i++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const extra = n - 59;
        if (i + extra > end) throw new DecodeError('snappy: truncated literal length', i);
        n = 0;
        for (let k = 0; k < extra; k++) n += input[i + k]! * 2 ** (8 * k);
        i += extra;
      }
      n += 1;
      if (n > end - i || n > outEnd - o) throw new DecodeError('snappy: literal runs past its bounds', i);
      copyLiterals(input, src, i, out, dst, o, n);
      i += n;
      o += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (i >= end) throw new DecodeError('snappy: truncated copy', i);
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | input[i++]!;
    } else if (kind === 2) {
      if (i + 2 > end) throw new DecodeError('snappy: truncated copy', i);
      n = (tag >>> 2) + 1;
      offset = input[i]! | (input[i + 1]! << 8);
      i += 2;
    } else {
      if (i + 4 > end) throw new DecodeError('snappy: truncated copy', i);
      n = (tag >>> 2) + 1;
      offset = (input[i]! | (input[i + 1]! << 8) | (input[i + 2]! << 16) | (input[i + 3]! << 24)) >>> 0;
      i += 4;
    }
    if (offset === 0 || offset > o - outStart || n > outEnd - o) {
      throw new DecodeError(`snappy: copy of ${n} at distance ${offset} is out of bounds`, i);
    }
    o = copyBack(out, dst, o, offset, n);
  }
  if (o !== outEnd)
    throw new DecodeError(`snappy: produced ${o - outStart} of ${length} declared bytes`, end);
  return o;
}

/**
 * Decodes the raw block `input[start, end)`, whose preamble (read just before, ending at
 * `preambleEnd`) declares `length`, into `out` at `o`.
 * @returns the position after the output.
 */
function decodeBlock(
  input: Uint8Array,
  start: number,
  end: number,
  length: number,
  out: Uint8Array,
  o: number,
): number {
  const elements = preambleEnd;
  const native = nativeSnappyBlock();
  const decoded = native === null ? null : native(input, start, end, length);
  if (decoded !== null) return copyNativeBlock(decoded, out, o);
  // JS, or the native decoder refused the block: then the JS one says why, with a typed error.
  return decodeElements(input, elements, end, out, o, length);
}

/**
 * Decodes the raw blocks of `data` that `blocks` lists (`[start, end, length, ...]`, the preambles
 * read) into one output of `total` bytes: a block alone keeps the native decoder's buffer, small
 * outputs go into a shared slab, others into a buffer of their own (an ArrayBuffer per batch cost as
 * much as decoding it).
 * @returns the uncompressed bytes.
 */
function decodeBlocks(data: Uint8Array, blocks: number[], total: number): Uint8Array {
  const native = blocks.length === 3 ? nativeSnappyBlock() : null;
  const decoded = native === null ? null : native(data, blocks[0]!, blocks[1]!, blocks[2]!);
  if (decoded !== null) return decoded;
  const slab = total <= SLAB_LIMIT;
  const out = slab ? slabRoom(total) : ownBuffer(total);
  let o = 0;
  for (let k = 0; k < blocks.length; k += 3) {
    readPreamble(data, blocks[k]!, blocks[k + 1]!, total, total);
    o = decodeBlock(data, blocks[k]!, blocks[k + 1]!, blocks[k + 2]!, out, o);
  }
  return slab ? takeSlab(total) : ownedBytes(out);
}

/**
 * Decompresses one raw snappy block.
 * @returns the uncompressed bytes.
 * @throws DecompressedSizeError when the declared length exceeds `maxSize`; DecodeError when the block
 * is malformed (truncated, bad offset, declared length not met or exceeded); CodecOptionError when
 * `maxSize` is not a non-negative safe integer.
 */
export function snappyDecompressRaw(
  input: Uint8Array,
  maxSize: number,
  start = 0,
  end = input.length,
): Uint8Array {
  checkMaxSize(maxSize);
  const length = readPreamble(input, start, end, maxSize, maxSize);
  return decodeBlocks(input, [start, end, length], length);
}

/**
 * Compresses `input` as one raw snappy block.
 * @returns the compressed bytes.
 */
export function snappyCompressRaw(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(32 + input.length + Math.ceil(input.length / 6));
  let o = 0;
  let n = input.length;
  while (n >= 0x80) {
    out[o++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[o++] = n;
  const table = new Int32Array(1 << HASH_BITS);
  for (let base = 0; base < input.length; base += FRAGMENT) {
    o = compressFragment(input, base, Math.min(input.length, base + FRAGMENT), out, o, table);
  }
  return out.subarray(0, o);
}

function hash4(b: Uint8Array, i: number): number {
  const v = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
  return Math.imul(v, 0x1e35a7bd) >>> (32 - HASH_BITS);
}

function compressFragment(
  b: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  o: number,
  table: Int32Array,
): number {
  table.fill(-1);
  let literalStart = start;
  let i = start;
  const limit = end - 4;
  while (i <= limit) {
    const h = hash4(b, i);
    const candidate = table[h]!;
    table[h] = i;
    if (
      candidate >= start &&
      b[candidate] === b[i] &&
      b[candidate + 1] === b[i + 1] &&
      b[candidate + 2] === b[i + 2] &&
      b[candidate + 3] === b[i + 3]
    ) {
      o = emitLiteral(b, literalStart, i, out, o);
      let length = 4;
      while (i + length < end && b[candidate + length] === b[i + length]) length++;
      o = emitCopy(i - candidate, length, out, o);
      i += length;
      literalStart = i;
    } else {
      i++;
    }
  }
  return emitLiteral(b, literalStart, end, out, o);
}

function emitLiteral(b: Uint8Array, from: number, to: number, out: Uint8Array, o: number): number {
  const n = to - from;
  if (n === 0) return o;
  const m = n - 1;
  if (m < 60) {
    out[o++] = m << 2;
  } else if (m < 0x100) {
    out[o++] = 60 << 2;
    out[o++] = m;
  } else {
    out[o++] = 61 << 2;
    out[o++] = m & 0xff;
    out[o++] = m >>> 8;
  }
  out.set(b.subarray(from, to), o);
  return o + n;
}

function emitCopy(offset: number, length: number, out: Uint8Array, o: number): number {
  while (length > 0) {
    // Two-byte-offset copies carry 1..64 bytes; keep at least 4 for a final short one.
    const n = length > 64 ? (length - 64 < 4 ? length - 4 : 64) : length;
    if (n >= 4 && n <= 11 && offset < 2048) {
      out[o++] = 1 | ((n - 4) << 2) | ((offset >>> 8) << 5);
      out[o++] = offset & 0xff;
    } else {
      out[o++] = 2 | ((n - 1) << 2);
      out[o++] = offset & 0xff;
      out[o++] = offset >>> 8;
    }
    length -= n;
  }
  return o;
}

// snappy-java's stream header: a magic (0x82 "SNAPPY" 0x00), then version and compatible version.
const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];
const XERIAL_HEADER_SIZE = 16;
// snappy-java's default block size.
const XERIAL_BLOCK = 32 * 1024;

/** @returns true when `data` starts with snappy-java's stream header. */
export function isXerialFramed(data: Uint8Array): boolean {
  if (data.length < XERIAL_HEADER_SIZE) return false;
  for (let k = 0; k < XERIAL_MAGIC.length; k++) if (data[k] !== XERIAL_MAGIC[k]) return false;
  return true;
}

/**
 * Decompresses Kafka's snappy payload: xerial-framed (what the Java producer writes) or a raw block
 * (what some other clients write), told apart by the xerial magic. The blocks' preambles are read
 * first, so the output is one buffer of the declared total, checked against the cap before decoding.
 * @returns the uncompressed bytes.
 * @throws DecompressedSizeError past `maxSize`; DecodeError for a malformed frame or block;
 * CodecOptionError when `maxSize` is not a non-negative safe integer.
 */
export function snappyDecompress(data: Uint8Array, maxSize: number): Uint8Array {
  if (!isXerialFramed(data)) return snappyDecompressRaw(data, maxSize);
  checkMaxSize(maxSize);
  let total = 0;
  const blocks: number[] = [];
  for (let i = XERIAL_HEADER_SIZE; i < data.length; ) {
    const size = xerialBlockSize(data, i);
    const length = readPreamble(data, i + 4, i + 4 + size, maxSize - total, maxSize);
    blocks.push(i + 4, i + 4 + size, length);
    total += length;
    i += 4 + size;
  }
  return decodeBlocks(data, blocks, total);
}

/**
 * @returns the length of the xerial block whose big-endian size is at `i`.
 * @throws DecodeError when the size is truncated or runs past the end.
 */
function xerialBlockSize(data: Uint8Array, i: number): number {
  if (i + 4 > data.length) throw new DecodeError('snappy: truncated xerial block length', i);
  const size = ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0;
  if (size > data.length - i - 4) throw new DecodeError('snappy: xerial block runs past the end', i);
  return size;
}

/**
 * Compresses `data` the way Kafka's Java producer does: snappy-java's xerial framing, 32 KiB blocks.
 * @returns the framed bytes.
 */
export function snappyCompress(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = XERIAL_HEADER_SIZE;
  for (let at = 0; at < data.length; at += XERIAL_BLOCK) {
    const block = snappyCompressRaw(data.subarray(at, Math.min(data.length, at + XERIAL_BLOCK)));
    parts.push(block);
    total += 4 + block.length;
  }
  const out = new Uint8Array(total);
  out.set(XERIAL_MAGIC, 0);
  out[11] = 1; // version 1
  out[15] = 1; // compatible version 1
  let o = XERIAL_HEADER_SIZE;
  for (const p of parts) {
    out[o] = p.length >>> 24;
    out[o + 1] = p.length >>> 16;
    out[o + 2] = p.length >>> 8;
    out[o + 3] = p.length;
    out.set(p, o + 4);
    o += 4 + p.length;
  }
  return out;
}

/** The snappy codec: xerial-framed on write, either form on read. */
export const snappyCodec: CompressionCodec = {
  name: 'snappy',
  compress: snappyCompress,
  decompress: snappyDecompress,
};
