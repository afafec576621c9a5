/**
 * The plain LZ4 block decoder that `lz4DecompressBlock` replaced (byte by byte, no writes past the
 * output): the reference its word copies are checked against, byte for byte and error for error.
 */
import { DecodeError } from '../../errors.js';
import { copyMatch, SHORT_COPY } from '../lz77.js';

/**
 * Decompresses one LZ4 block `input[start, end)` into `out` at `o`, writing nothing at or past `outEnd`.
 * @returns the output position after the block, or -1 when the output would pass `outEnd`.
 * @throws DecodeError when the block is malformed.
 */
export function lz4DecompressBlockBytewise(
  input: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  o: number,
  outEnd: number,
): number {
  let i = start;
  const outStart = o;
  const length = (at: number, value: number, what: string): [number, number] => {
    let b: number;
    do {
      if (at >= end) throw new DecodeError(`lz4: truncated ${what} length`, at);
      b = input[at++]!;
      value += b;
    } while (b === 255);
    return [value, at];
  };
  while (i < end) {
    const token = input[i++]!;
    let literals = token >>> 4;
    if (literals !== 0) {
      if (literals === 15) [literals, i] = length(i, literals, 'literal');
      if (literals > end - i) throw new DecodeError('lz4: literals run past the end of the block', i);
      if (literals > outEnd - o) return -1;
      if (literals < SHORT_COPY) {
        for (let k = 0; k < literals; k++) out[o + k] = input[i + k]!;
      } else {
        out.set(input.subarray(i, i + literals), o);
      }
      i += literals;
      o += literals;
      if (i === end) break;
    }
    if (i + 2 > end) throw new DecodeError('lz4: truncated match offset', i);
    const offset = input[i]! | (input[i + 1]! << 8);
    i += 2;
    let match = token & 15;
    if (match === 15) [match, i] = length(i, match, 'match');
    match += 4;
    if (offset === 0 || offset > o - outStart) {
      throw new DecodeError(`lz4: match at distance ${offset} reaches before the block`, i);
    }
    if (match > outEnd - o) return -1;
    o = copyMatch(out, o, offset, match);
  }
  return o;
}
