/** The LZ4 block format in plain TS: one block in, one block out, no framing. */
import { DecodeError } from '../errors.js';
import { copyBack, copyLiterals } from './lz77.js';

const HASH_BITS = 14;
/** Entries of the hash table {@link lz4CompressBlock} works with. */
export const LZ4_HASH_TABLE_SIZE = 1 << HASH_BITS;
const MIN_MATCH = 4;
// The format's end rules: the last 5 bytes are literals and no match starts in the last 12.
const LAST_LITERALS = 5;
const MF_LIMIT = 12;

/**
 * Decompresses one LZ4 block `input[start, end)` into `out` at `o`, writing nothing at or past
 * `outEnd` that is handed out. Kafka's JSON-like records make sequences of about one literal and a
 * ten-byte match, so the cost is per sequence, not per byte: literals and matches are copied eight
 * bytes at a time through DataViews (`lz77.ts`), and the last step may write up to seven bytes past
 * the sequence (never past `out`'s length) where the next sequence or block overwrites them. Near
 * the end of `out`, and for matches closer than four bytes, bytes are copied one by one; long runs go
 * to `set` and `copyWithin`. `lz4DecompressBlockBytewise` (test support) is the plain reference.
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
  const src = new DataView(input.buffer, input.byteOffset, input.length);
  const dst = new DataView(out.buffer, out.byteOffset, out.length);
  let i = start;
  const outStart = o;
  while (i < end) {
    const token = input[i++]!;
    let literals = token >>> 4;
    if (literals !== 0) {
      if (literals === 15) {
        literals = extendLength(input, i, end, literals, 'literal');
        i = lengthEnd;
      }
      if (literals > end - i) throw new DecodeError('lz4: literals run past the end of the block', i);
      if (literals > outEnd - o) return -1;
      copyLiterals(input, src, i, out, dst, o, literals);
      i += literals;
      o += literals;
      if (i === end) break; // the last sequence has literals only
    }
    if (i + 2 > end) throw new DecodeError('lz4: truncated match offset', i);
    const offset = input[i]! | (input[i + 1]! << 8);
    i += 2;
    let length = token & 15;
    if (length === 15) {
      length = extendLength(input, i, end, length, 'match');
      i = lengthEnd;
    }
    length += MIN_MATCH;
    if (offset === 0 || offset > o - outStart) {
      throw new DecodeError(`lz4: match at distance ${offset} reaches before the block`, i);
    }
    if (length > outEnd - o) return -1;
    o = copyBack(out, dst, o, offset, length);
  }
  return o;
}

// Where the bytes read by extendLength ended: a module-level cursor keeps its result a number.
let lengthEnd = 0;

/**
 * Adds a length's extension bytes at `input[i...]` to `length` (15 in the token): bytes of 255
 * continue it, the first other byte ends it. Leaves the position after it in `lengthEnd`.
 * @throws DecodeError when the extension runs past `end`.
 */
function extendLength(input: Uint8Array, i: number, end: number, length: number, what: string): number {
  let b: number;
  do {
    if (i >= end) throw new DecodeError(`lz4: truncated ${what} length`, i);
    b = input[i++]!;
    length += b;
  } while (b === 255);
  lengthEnd = i;
  return length;
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
