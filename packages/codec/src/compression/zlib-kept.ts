/**
 * One node:zlib decompressor per format (zstd, gzip) kept for every batch. `zstdDecompressSync` and
 * `gunzipSync` build a stream object and a native context per call and close them after: for a
 * 10 KiB zstd batch that cost 40-70 us of CPU here, more than decoding it (15-30 us through a kept
 * context, Node 22, 24 and 26). node:zlib has no public way to run a kept decompressor
 * synchronously, so this drives the handle that its own sync functions drive; where that handle is
 * not what this module expects (another runtime, a later Node), or a call does not end cleanly, it
 * says so and the caller takes the public path, which reports any error with its cause. A kept
 * context holds on to its window between batches: zstd's as large as the largest frame's (at most
 * 8 MiB, which `checkZstdFrames` lets through), gzip's 32 KiB.
 */
import * as zlib from 'node:zlib';
import { ownBuffer, ownedBytes, SLAB_LIMIT, slabRoom, takeSlab } from './output.js';

interface ZlibHandle {
  reset(): void;
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    out: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
}

/** The parts of node:zlib's ZstdDecompress and Gunzip streams this module uses. */
interface Decompressor {
  _handle: ZlibHandle | null;
  readonly _writeState: Uint32Array;
  readonly _finishFlushFlag: number;
  readonly destroyed: boolean;
  on(event: 'error', listener: () => void): unknown;
}

/** The formats with a kept decompressor. */
export type KeptFormat = 'zstd' | 'gzip';

// Per format: undefined while not opened (or closed by a failed call), null where not usable here.
const kept: Record<KeptFormat, Decompressor | null | undefined> = { zstd: undefined, gzip: undefined };

function open(format: KeptFormat): Decompressor | null {
  try {
    const factory = zlib as unknown as {
      createZstdDecompress(): Decompressor;
      createGunzip(): Decompressor;
    };
    const z = format === 'zstd' ? factory.createZstdDecompress() : factory.createGunzip();
    // A failed call destroys the stream, which emits 'error' a tick later: the caller has already
    // reported that failure, so the event only must not go unhandled.
    z.on('error', () => {});
    const handle = z._handle;
    const usable =
      handle !== null &&
      typeof handle.writeSync === 'function' &&
      typeof handle.reset === 'function' &&
      z._writeState instanceof Uint32Array &&
      typeof z._finishFlushFlag === 'number';
    return usable ? z : null;
  } catch {
    return null;
  }
}

/**
 * Decompresses all of `data` (zstd frames whose structure the caller checked, or gzip members) into
 * `out` with the format's kept decompressor.
 * @returns the number of bytes written; -1 when this path cannot give the result: `out` filled up (the
 * output may be longer), input was left over, the data is malformed, or the handle is not usable here.
 */
export function keptDecompressInto(format: KeptFormat, data: Uint8Array, out: Uint8Array): number {
  const z = kept[format] === undefined ? (kept[format] = open(format)) : kept[format];
  if (z === null) return -1;
  try {
    z._handle!.reset();
    z._handle!.writeSync(z._finishFlushFlag, data, 0, data.length, out, 0, out.length);
  } catch {
    kept[format] = undefined;
    return -1;
  }
  if (z.destroyed || z._handle === null) {
    // Malformed data: node:zlib destroyed the stream. The next call opens a new one.
    kept[format] = undefined;
    return -1;
  }
  const outLeft = z._writeState[0]!;
  const inLeft = z._writeState[1]!;
  if (inLeft !== 0 || outLeft === 0) return -1;
  return out.length - outLeft;
}

/**
 * Decompresses `data` with the format's kept decompressor into a slab (up to {@link SLAB_LIMIT}) or
 * a buffer of `room` bytes: the expected size plus one, so that a result that leaves room is whole.
 * @returns the decompressed bytes, or null when the caller must take node:zlib's public call.
 */
export function keptDecompress(format: KeptFormat, data: Uint8Array, room: number): Uint8Array | null {
  if (room <= SLAB_LIMIT) {
    const n = keptDecompressInto(format, data, slabRoom(room));
    return n < 0 ? null : takeSlab(n);
  }
  const buffer = ownBuffer(room);
  const n = keptDecompressInto(format, data, buffer);
  return n < 0 ? null : ownedBytes(buffer.subarray(0, n));
}
