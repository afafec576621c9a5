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
  if (!(size > POOLED && size - out.length > out.length >>> 1)) return view;
  const copy = view.slice();
  lastOwn = copy.buffer;
  return copy;
}

/**
 * The ArrayBuffer the last decoder call allocated for its output alone: never a shared slab, never
 * Node's Buffer pool, never the fetched bytes. Only such a buffer may be freed when its batch is
 * released; freeing any other would empty the views of its neighbours. One variable, taken by
 * {@link isOwnOutput} right after each decode, rather than a WeakSet of them: a weak collection kept
 * young ArrayBuffers alive until a full collection (memory bench, gzip and lz4 at 32 MiB: peak RSS
 * 176-182 MiB without one, 191-243 with one).
 */
let lastOwn: ArrayBufferLike | undefined;

/**
 * A buffer of `length` bytes for one batch's output alone, not zero-filled (the decoder writes every
 * byte it returns), and never carved from Node's Buffer pool whatever `Buffer.poolSize` is.
 */
export function ownBuffer(length: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(length);
  lastOwn = buffer.buffer;
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}

/** `ArrayBuffer.prototype.transfer` (ES2024; Node 22 and later have it), typed here for the ES2023 lib. */
type Detachable = ArrayBufferLike & { transfer?: (newLength?: number) => ArrayBuffer };
const CAN_DETACH = typeof (ArrayBuffer.prototype as Detachable).transfer === 'function';

/**
 * Frees an ArrayBuffer now instead of at V8's next full collection, by detaching it: every view of it
 * reads as empty afterwards. Where the runtime cannot detach, the collector frees it as before.
 * @returns whether it was freed.
 */
export function detach(buffer: ArrayBufferLike): boolean {
  if (!CAN_DETACH) return false;
  try {
    (buffer as Detachable).transfer!(0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Called with a decoder's result as soon as it returns; forgets the last own buffer either way.
 * @returns whether the result lies in a buffer the decoder allocated for it alone.
 */
export function isOwnOutput(bytes: Uint8Array): boolean {
  const own = lastOwn;
  lastOwn = undefined;
  return own !== undefined && bytes.buffer === own;
}

/**
 * Small decoded batches are carved out of shared slabs of this size, as Node's Buffer pool does for
 * small Buffers: an ArrayBuffer per 16 KiB batch cost 3-7 us to allocate and fill (as much as
 * decoding it natively), and its external memory drove V8's collections. A batch's records pin their
 * slab, as an uncompressed batch's records pin their fetch response.
 */
const SLAB_SIZE = 1024 * 1024;
/** Decoders ask the slab for room up to this bound; larger outputs get a buffer of their own. */
export const SLAB_LIMIT = 256 * 1024;
let slab = new Uint8Array(0);
let slabUsed = 0;

/**
 * Room to decode up to `bound` (at most {@link SLAB_LIMIT}) bytes into; nothing is taken until
 * {@link takeSlab} says how much was written. The room's bytes past what the decoder writes are never
 * handed out.
 * @returns a view of free slab bytes, at least `bound` long.
 */
export function slabRoom(bound: number): Uint8Array {
  if (slab.length - slabUsed < bound) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  return slab.subarray(slabUsed, slabUsed + bound);
}

/**
 * Takes the first `length` bytes of the room the last {@link slabRoom} gave, which the decoder wrote.
 * @returns a plain `Uint8Array` over exactly those bytes (its `buffer` is the shared slab).
 */
export function takeSlab(length: number): Uint8Array {
  const taken = new Uint8Array(slab.buffer, slabUsed, length);
  // Eight-byte aligned, so that a view of the next batch is as cheap to copy from as a fresh buffer.
  slabUsed = Math.min(slab.length, slabUsed + ((length + 7) & ~7));
  return taken;
}
