import { CodecOptionError } from './errors.js';

/**
 * Checks a decompression cap before any byte is decoded: NaN, Infinity, a negative or a fractional
 * cap would otherwise switch the cap off or surface as a misleading "malformed data".
 * @returns nothing.
 * @throws CodecOptionError naming `option` when `maxSize` is not a non-negative safe integer.
 */
export function checkMaxSize(maxSize: number, option = 'maxDecompressedSize'): void {
  if (typeof maxSize !== 'number' || !Number.isSafeInteger(maxSize) || maxSize < 0) {
    throw new CodecOptionError(
      option,
      `must be a non-negative integer number of bytes, got ${String(maxSize)}`,
    );
  }
}
