export { CodecOptionError, CodecUnavailableError, DecompressedSizeError } from './errors.js';
export { gzipCodec } from './gzip.js';
export { lz4Codec } from './lz4.js';
export { type NativeCodecName, type NativeMode, setNativeDecompression } from './native.js';
export {
  getCompressionCodec,
  lazyCompressionCodec,
  registerCompressionCodec,
  unregisterCompressionCodec,
} from './registry.js';
export { snappyCodec, snappyCompressRaw, snappyDecompressRaw } from './snappy.js';
export { type CompressionCodec, CompressionType, DEFAULT_MAX_DECOMPRESSED_SIZE } from './types.js';
export { zstdCodec } from './zstd.js';
