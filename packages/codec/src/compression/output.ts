/**
 * Turns a decoder's result into a plain `Uint8Array` that pins no more memory than it holds: a view
 * of the same bytes when its backing buffer is about its size, else a copy. Record views handed to
 * the user keep the whole backing buffer alive, so a 16 KiB batch must not hold a 128 KiB buffer.
 * @returns a `Uint8Array` (not a Buffer, whose `slice()` differs) over the decoded bytes.
 */
export function ownedBytes(out: Uint8Array): Uint8Array {
  const view = new Uint8Array(out.buffer, out.byteOffset, out.length);
  const slack = out.buffer.byteLength - out.length;
  return slack > 4096 && slack > out.length >>> 2 ? view.slice() : view;
}
