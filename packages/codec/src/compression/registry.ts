import { CodecUnavailableError } from './errors.js';
import { gzipCodec } from './gzip.js';
import { lz4Codec } from './lz4.js';
import { snappyCodec } from './snappy.js';
import type { CompressionCodec } from './types.js';
import { zstdCodec } from './zstd.js';

// The built-ins are plain TS or node:zlib, so none can fail to load where a native package did not
// install. They are looked up, not registered at import time, so the module has no side effects.
const builtIn = new Map<number, CompressionCodec>([
  [1, gzipCodec],
  [2, snappyCodec],
  [3, lz4Codec],
  [4, zstdCodec],
]);
const codecs = new Map<number, CompressionCodec>();

/**
 * Installs `codec` for compression type `type` (1..7), taking precedence over the built-in one if any. Use it to
 * plug in a native implementation or a codec the package does not ship.
 * @returns nothing.
 * @throws RangeError when `type` is not in 1..7 (0 means uncompressed; attributes hold three bits).
 */
export function registerCompressionCodec(type: number, codec: CompressionCodec): void {
  if (!Number.isInteger(type) || type < 1 || type > 7) {
    throw new RangeError(`compression type must be 1..7, got ${type}`);
  }
  codecs.set(type, codec);
}

/**
 * @returns the codec registered for `type`.
 * @throws CodecUnavailableError when none is registered.
 */
export function getCompressionCodec(type: number): CompressionCodec {
  const codec = codecs.get(type) ?? builtIn.get(type);
  if (codec === undefined) {
    throw new CodecUnavailableError(type, `no compression codec is registered for type ${type}`);
  }
  return codec;
}

/**
 * Removes a codec installed with {@link registerCompressionCodec}; the built-in one, if any, serves
 * the type again.
 * @returns true when a codec was removed.
 */
export function unregisterCompressionCodec(type: number): boolean {
  return codecs.delete(type);
}

/**
 * Wraps a codec that lives in an optional (often native) package, loading it on first use. When
 * loading fails, e.g. because the package's binary did not install on this machine, every call
 * throws CodecUnavailableError instead, and importing this package still works.
 * @param type the Kafka compression type id, named in the error.
 * @param load returns the codec, typically `() => adapt(createRequire(import.meta.url)('some-native-pkg'))`.
 * @returns a codec to pass to {@link registerCompressionCodec}.
 */
export function lazyCompressionCodec(
  type: number,
  name: string,
  load: () => CompressionCodec,
): CompressionCodec {
  let loaded: CompressionCodec | undefined;
  let failure: unknown;
  const get = (): CompressionCodec => {
    if (loaded !== undefined) return loaded;
    if (failure === undefined) {
      try {
        loaded = load();
        return loaded;
      } catch (cause) {
        failure = cause ?? new Error('loader failed');
      }
    }
    throw new CodecUnavailableError(type, `compression codec ${name} could not be loaded`, {
      cause: failure,
    });
  };
  return {
    name,
    compress: (data) => get().compress(data),
    decompress: (data, maxSize) => get().decompress(data, maxSize),
  };
}
