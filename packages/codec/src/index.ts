export {
  CodecOptionError,
  CodecUnavailableError,
  type CompressionCodec,
  CompressionType,
  DEFAULT_MAX_DECOMPRESSED_SIZE,
  DecompressedSizeError,
  getCompressionCodec,
  gzipCodec,
  lazyCompressionCodec,
  lz4Codec,
  type NativeCodecName,
  type NativeMode,
  registerCompressionCodec,
  setNativeDecompression,
  snappyCodec,
  unregisterCompressionCodec,
  zstdCodec,
} from './compression/index.js';
export { crc32, crc32c, crc32cJs, setNativeCrc32c } from './crc32c.js';
export { CorruptRecordError, DecodeError, EncodeError, RecordReleasedError, RunnelError } from './errors.js';
export { Reader, type TaggedField, type TaggedFieldHandler } from './reader.js';
export * from './record/index.js';
export { Writer } from './writer.js';
