/** The back-reference copy that LZ4 and snappy decoders share. */

/** Up to this many bytes a loop beats a call into `copyWithin` or `set` (measured with the codec bench). */
export const SHORT_COPY = 32;
/** Below this many bytes eight-byte steps through a DataView beat a call into `copyWithin` or `set`. */
const LONG_COPY = 64;
/** The step of {@link copyWords}: two 32-bit words. */
const STEP = 8;
/** How close an overlapping {@link copyWords} may start behind its destination: one 32-bit word. */
const WORD = 4;
/** How far {@link copyWords} may write (and read) past the bytes it was asked for, at most. */
const WORD_SLACK = 8;

/**
 * Copies the literals `input[i, i + n)` to `out` at `o` (`src` and `dst` are DataViews of exactly
 * `input` and `out`): in word steps where both have {@link WORD_SLACK} bytes to spare after the run
 * (the bytes written past it are overwritten by what the decoder writes next), else byte by byte or
 * with `set`.
 * @returns nothing.
 */
export function copyLiterals(
  input: Uint8Array,
  src: DataView,
  i: number,
  out: Uint8Array,
  dst: DataView,
  o: number,
  n: number,
): void {
  if (n < LONG_COPY && o + n + WORD_SLACK <= out.length && i + n + WORD_SLACK <= input.length) {
    copyWords(src, i, dst, o, n);
  } else if (n < SHORT_COPY) {
    for (let k = 0; k < n; k++) out[o + k] = input[i + k]!;
  } else {
    out.set(input.subarray(i, i + n), o);
  }
}

/**
 * {@link copyMatch} in word steps where the match is at least a word back and `out` (whose DataView
 * is `dst`) has {@link WORD_SLACK} bytes to spare after it; the caller checked both bounds.
 * @returns the output position after the copy.
 */
export function copyBack(out: Uint8Array, dst: DataView, o: number, offset: number, length: number): number {
  if (offset >= WORD && length < LONG_COPY && o + length + WORD_SLACK <= out.length) {
    copyWords(dst, o - offset, dst, o, length);
    return o + length;
  }
  return copyMatch(out, o, offset, length);
}

/**
 * Copies `length` bytes from `from` in `src` to `to` in `dst` in eight-byte steps (two 32-bit words:
 * V8 compiles DataView accesses to plain loads and stores). The last step may read and write up to
 * seven bytes past the run: the caller leaves room for that and overwrites them. When both views are
 * of the same bytes, `to - from` must be at least {@link WORD}: each word is read after the one
 * before it was written, so it only ever reads final bytes.
 * @returns nothing.
 */
function copyWords(src: DataView, from: number, dst: DataView, to: number, length: number): void {
  const stop = to + length;
  do {
    dst.setUint32(to, src.getUint32(from, true), true);
    dst.setUint32(to + 4, src.getUint32(from + 4, true), true);
    to += STEP;
    from += STEP;
  } while (to < stop);
}

/**
 * Appends `length` bytes that repeat the output from `offset` bytes back (LZ77's copy, shared by
 * the LZ4 and snappy decoders; the caller checked both bounds).
 * @returns the output position after the copy.
 */
export function copyMatch(out: Uint8Array, o: number, offset: number, length: number): number {
  const from = o - offset;
  if (length < SHORT_COPY) {
    for (let k = 0; k < length; k++) out[o + k] = out[from + k]!;
    return o + length;
  }
  if (offset === 1) {
    out.fill(out[from]!, o, o + length);
    return o + length;
  }
  // An overlapping copy repeats a period of `offset` bytes: copy what is there, which doubles the
  // period already written, until the run is complete. Non-overlapping copies take one call.
  const stop = o + length;
  while (o < stop) {
    const n = Math.min(stop - o, o - from);
    out.copyWithin(o, from, from + n);
    o += n;
  }
  return stop;
}
