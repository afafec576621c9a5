/**
 * Joins decompressed chunks into one buffer; a single chunk is returned as it is (no copy).
 * @returns the bytes of every chunk in order; `total` must be their summed length.
 */
export function concatChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
