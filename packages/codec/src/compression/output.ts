/**
 * Turns a decoder's result into a plain `Uint8Array` that pins little more memory than it holds: a
 * view of the same bytes when its backing buffer is at most 1.5 times its size (or 4 KiB larger),
 * else a copy. Record views handed to the user keep the whole backing buffer alive, so a 16 KiB batch
 * must not hold a 128 KiB buffer; a copy of every result would cost more than the slack.
 * @returns a `Uint8Array` (not a Buffer, whose `slice()` differs) over the decoded bytes.
 */
export function ownedBytes(out: Uint8Array): Uint8Array {
  const view = new Uint8Array(out.buffer, out.byteOffset, out.length);
  const slack = out.buffer.byteLength - out.length;
  return slack > 4096 && slack > out.length >>> 1 ? view.slice() : view;
}
