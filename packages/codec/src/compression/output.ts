// Node allocates results below half its Buffer pool size (64 KiB on Node 24) from a shared pool; a
// view into a pool shares that memory with its neighbours, so only larger buffers are trimmed.
const POOLED = 64 * 1024;

/**
 * Turns a decoder's result into a plain `Uint8Array` that pins little more memory than it holds: a
 * view of the same bytes, unless its backing buffer is larger than a Buffer pool and more than 1.5
 * times its size, then a copy. Record views handed to the user keep the whole backing buffer alive,
 * so a 16 KiB batch must not hold a 128 KiB buffer of its own; a copy of every result would cost
 * more than the slack (measured: 10 % of a 16 KiB gzip batch's decompression).
 * @returns a `Uint8Array` (not a Buffer, whose `slice()` differs) over the decoded bytes.
 */
export function ownedBytes(out: Uint8Array): Uint8Array {
  const view = new Uint8Array(out.buffer, out.byteOffset, out.length);
  const size = out.buffer.byteLength;
  return size > POOLED && size - out.length > out.length >>> 1 ? view.slice() : view;
}
