import { createRequire } from 'node:module';

/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of a v2 record batch, and
 * CRC32 (IEEE, 0xEDB88320), the checksum of a legacy v0/v1 message.
 *
 * Both run slice-by-16 in plain JS: sixteen 256-entry tables let the loop fold sixteen input bytes per
 * iteration with independent table lookups, which V8 turns into straight-line integer code.
 */

function makeTables(polynomial: number): Int32Array {
  const tables = new Int32Array(16 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n]!;
    for (let t = 1; t < 16; t++) {
      c = tables[c & 0xff]! ^ (c >>> 8);
      tables[t * 256 + n] = c;
    }
  }
  return tables;
}

const CASTAGNOLI = makeTables(0x82f63b78);
const IEEE = makeTables(0xedb88320);

function update(t: Int32Array, crc: number, data: Uint8Array, start: number, end: number): number {
  let c = ~crc;
  let i = start;
  const fast = end - 16;
  while (i <= fast) {
    const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      t[3840 + (a & 0xff)]! ^
      t[3584 + ((a >>> 8) & 0xff)]! ^
      t[3328 + ((a >>> 16) & 0xff)]! ^
      t[3072 + (a >>> 24)]! ^
      t[2816 + data[i + 4]!]! ^
      t[2560 + data[i + 5]!]! ^
      t[2304 + data[i + 6]!]! ^
      t[2048 + data[i + 7]!]! ^
      t[1792 + data[i + 8]!]! ^
      t[1536 + data[i + 9]!]! ^
      t[1280 + data[i + 10]!]! ^
      t[1024 + data[i + 11]!]! ^
      t[768 + data[i + 12]!]! ^
      t[512 + data[i + 13]!]! ^
      t[256 + data[i + 14]!]! ^
      t[data[i + 15]!]!;
    i += 16;
  }
  while (i < end) c = t[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * Computes the CRC32C (Castagnoli) of `data[start, end)` in JS, continuing from `crc`.
 * @returns the checksum as an unsigned 32-bit number.
 */
export function crc32cJs(data: Uint8Array, crc = 0, start = 0, end = data.length): number {
  return update(CASTAGNOLI, crc, data, start, end);
}

/**
 * Computes the CRC32 (IEEE 802.3, as `java.util.zip.CRC32`) of `data[start, end)`, continuing from `crc`.
 * @returns the checksum as an unsigned 32-bit number.
 */
export function crc32(data: Uint8Array, crc = 0, start = 0, end = data.length): number {
  return update(IEEE, crc, data, start, end);
}

type NativeCrc32c = (input: Uint8Array, initialState?: number) => number;

// undefined = not tried yet, null = unavailable or turned off.
let native: NativeCrc32c | null | undefined;
// A native call pays a fixed N-API crossing (~130 ns measured); below about 256 bytes the JS loop wins.
let nativeThreshold = 256;

function loadNative(): NativeCrc32c | null {
  try {
    // An optional peer: present only when the user installed it, and its binary may have failed to
    // install, so any failure here means "use JS".
    const require = createRequire(import.meta.url);
    const mod = require('@node-rs/crc32') as { crc32c?: unknown };
    return typeof mod.crc32c === 'function' ? (mod.crc32c as NativeCrc32c) : null;
  } catch {
    return null;
  }
}

/**
 * Chooses the native CRC32C used for large inputs: a function like `crc32c` of `@node-rs/crc32`
 * (`(input, initialState) => number`), or `null` to always use JS. Without a call, the first large
 * input tries to load `@node-rs/crc32` (an optional peer dependency) and falls back to JS if absent.
 * @param threshold inputs of at least this many bytes go to the native function (default 256).
 * @returns nothing.
 */
export function setNativeCrc32c(fn: NativeCrc32c | null, threshold = 256): void {
  native = fn;
  nativeThreshold = threshold;
}

/**
 * Computes the CRC32C (Castagnoli) of `data[start, end)`: the checksum a v2 record batch carries.
 * Large inputs use the native implementation when one is available (see {@link setNativeCrc32c});
 * all others the JS one. The two give identical results.
 * @returns the checksum as an unsigned 32-bit number.
 */
export function crc32c(data: Uint8Array, crc = 0, start = 0, end = data.length): number {
  if (end - start >= nativeThreshold) {
    if (native === undefined) native = loadNative();
    if (native)
      return native(start === 0 && end === data.length ? data : data.subarray(start, end), crc) >>> 0;
  }
  return update(CASTAGNOLI, crc, data, start, end);
}
