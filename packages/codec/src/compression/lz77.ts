/** The back-reference copy that LZ4 and snappy decoders share. */

/** Up to this many bytes a loop beats a call into `copyWithin` or `set` (measured with the codec bench). */
export const SHORT_COPY = 32;

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
