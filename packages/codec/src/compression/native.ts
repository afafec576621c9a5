/**
 * Optional native block decoders: `lz4-napi` and `snappy` (napi-rs, prebuilt), optional peer
 * dependencies loaded on first use. They only ever decode one block whose output bound this package
 * has already checked, so the cap and the framing stay in TypeScript; a block the native decoder
 * refuses is decoded again in JS, which reports why with a typed error.
 */
import { createRequire } from 'node:module';
import { CodecOptionError, CodecUnavailableError } from './errors.js';
import { detach } from './output.js';

/** Whether a codec decodes blocks natively: `auto` when its package loads, `js` never, `native` always. */
export type NativeMode = 'auto' | 'js' | 'native';

/** The codecs that have a native block decoder. */
export type NativeCodecName = 'lz4' | 'snappy';

/**
 * Decodes the LZ4 block `data[i, i + size)` of a Kafka frame (`i` at least 4: the block's size word
 * is in front of it) into a buffer of the decoder's own, of at most `room` bytes.
 * @returns a plain `Uint8Array` over the decoded bytes, or null when the native decoder refused the block.
 */
export type NativeLz4Block = (data: Uint8Array, i: number, size: number, room: number) => Uint8Array | null;

/**
 * Decodes the raw snappy block `data[start, end)`, whose preamble declares `length` (already checked
 * against the cap), into a buffer of the decoder's own.
 * @returns a plain `Uint8Array` of exactly `length` bytes, or null when the native decoder refused the block.
 */
export type NativeSnappyBlock = (
  data: Uint8Array,
  start: number,
  end: number,
  length: number,
) => Uint8Array | null;

interface Lz4Napi {
  uncompressSync(data: Uint8Array): Uint8Array;
}
interface SnappyNapi {
  uncompressSync(
    data: Uint8Array,
    options?: { asBuffer?: boolean; copyOutputData?: boolean },
  ): Uint8Array | string;
}

/**
 * One optional native decoder: the package, its compression type (for errors), the mode, the loaded
 * module (undefined = not tried yet, null = unavailable) and the block function in use (undefined =
 * not chosen yet, null = JS).
 */
interface Slot<M, F> {
  readonly packageName: string;
  readonly compressionType: number;
  mode: NativeMode;
  module: M | null | undefined;
  block: F | null | undefined;
  readonly adapt: (mod: M) => F;
}

function load<T>(name: string, check: (mod: Record<string, unknown>) => boolean): T | null {
  try {
    // An optional peer: present only when the user installed it, and its binary may have failed to
    // install, so any failure here means "use JS".
    const mod = createRequire(import.meta.url)(name) as Record<string, unknown>;
    return check(mod) ? (mod as T) : null;
  } catch {
    return null;
  }
}

/** @returns the slot's block function for its mode, loading the package on first use; null for JS. */
function choose<M, F>(slot: Slot<M, F>): F | null {
  if (slot.block !== undefined) return slot.block;
  if (slot.mode === 'js') return (slot.block = null);
  if (slot.module === undefined) {
    slot.module = load<M>(slot.packageName, (m) => typeof m.uncompressSync === 'function');
  }
  slot.block = slot.module === null ? null : slot.adapt(slot.module);
  return slot.block;
}
function lz4FromModule(mod: Lz4Napi): NativeLz4Block {
  return (data, i, size, room) => {
    // lz4-napi wants the block behind its most output (little-endian), which bounds the native
    // allocation and the result by the room this caller has. In a Kafka frame the four bytes before
    // a block are its size word: they carry the bound during the call and get their value back, so
    // the block is not copied (a copy and a buffer per block cost as much as decoding a small one).
    if (i < 4) return null;
    const at = i - 4;
    const word = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24);
    data[at] = room;
    data[at + 1] = room >>> 8;
    data[at + 2] = room >>> 16;
    data[at + 3] = room >>> 24;
    let decoded: Uint8Array;
    try {
      decoded = mod.uncompressSync(data.subarray(at, i + size));
    } catch {
      return null;
    } finally {
      data[at] = word;
      data[at + 1] = word >>> 8;
      data[at + 2] = word >>> 16;
      data[at + 3] = word >>> 24;
    }
    if (decoded.length > room) return null;
    // A plain Uint8Array, as every codec returns (a Buffer's slice() would share, not copy).
    return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.length);
  };
}

const SNAPPY_OPTIONS = { asBuffer: true, copyOutputData: true };

function snappyFromModule(mod: SnappyNapi): NativeSnappyBlock {
  return (data, start, end, length) => {
    let decoded: Uint8Array | string;
    try {
      // copyOutputData: an external buffer per block (its default) made decoding 4-5x slower here.
      decoded = mod.uncompressSync(data.subarray(start, end), SNAPPY_OPTIONS);
    } catch {
      return null;
    }
    if (typeof decoded === 'string' || decoded.length !== length) return null;
    return new Uint8Array(decoded.buffer, decoded.byteOffset, length);
  };
}

/**
 * Copies a native decoder's block into `out` at `at` and frees the block's buffer. Each block the
 * native decoders return is an ArrayBuffer of their own (one per 64 KiB LZ4 block, per 32 KiB snappy
 * block), which V8 would free only at its next full collection, and those collections come once
 * tens of MiB of such buffers have piled up; detaching the buffer frees it now. For a block the
 * caller keeps as its result, never this. Where the runtime cannot detach it, the collector frees it.
 * @returns where the copied bytes end in `out`.
 */
export function copyNativeBlock(block: Uint8Array, out: Uint8Array, at: number): number {
  out.set(block, at);
  const end = at + block.length;
  detach(block.buffer);
  return end;
}

// The default mode, auto, was decided with the codec benchmark's numbers (see docs/architecture.md).
const slots = {
  lz4: {
    packageName: 'lz4-napi',
    compressionType: 3,
    mode: 'auto',
    module: undefined,
    block: undefined,
    adapt: lz4FromModule,
  } as Slot<Lz4Napi, NativeLz4Block>,
  snappy: {
    packageName: 'snappy',
    compressionType: 2,
    mode: 'auto',
    module: undefined,
    block: undefined,
    adapt: snappyFromModule,
  } as Slot<SnappyNapi, NativeSnappyBlock>,
};

/** @returns the native LZ4 block decoder to use now, or null for JS. */
export function nativeLz4Block(): NativeLz4Block | null {
  return choose(slots.lz4);
}

/** @returns the native raw snappy decoder to use now, or null for JS. */
export function nativeSnappyBlock(): NativeSnappyBlock | null {
  return choose(slots.snappy);
}

/**
 * Chooses how the built-in `lz4` or `snappy` codec decodes blocks: `auto` (the default) uses the
 * optional native package (`lz4-napi`, `snappy`) when it is installed and loads, else JS; `js` always
 * uses JS; `native` requires the package.
 * @returns whether a native decoder is now in use.
 * @throws CodecOptionError when `codec` or `mode` is not one of those; CodecUnavailableError when
 * `mode` is `native` and the package does not load here (the mode is left as it was).
 */
export function setNativeDecompression(codec: NativeCodecName, mode: NativeMode): boolean {
  if ((codec !== 'lz4' && codec !== 'snappy') || (mode !== 'auto' && mode !== 'js' && mode !== 'native')) {
    throw new CodecOptionError(
      'setNativeDecompression',
      `takes lz4 or snappy and auto, js or native, got ${String(codec)} and ${String(mode)}`,
    );
  }
  return codec === 'lz4' ? switchMode(slots.lz4, mode) : switchMode(slots.snappy, mode);
}

function switchMode<M, F>(slot: Slot<M, F>, mode: NativeMode): boolean {
  const previous = slot.mode;
  const select = (m: NativeMode): boolean => {
    slot.mode = m;
    slot.block = undefined;
    return choose(slot) !== null;
  };
  const inUse = select(mode);
  if (inUse || mode !== 'native') return inUse;
  select(previous);
  throw new CodecUnavailableError(
    slot.compressionType,
    `${slot.packageName} is not installed or its binary does not load here`,
  );
}
