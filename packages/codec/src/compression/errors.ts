import { DecodeError, RunnelError } from '../errors.js';

/** A codec is registered but cannot run here, e.g. its native binary failed to install. */
export class CodecUnavailableError extends RunnelError {
  /** The compression type id that was asked for. */
  readonly compressionType: number;

  constructor(compressionType: number, message: string, options?: { cause?: unknown }) {
    super('ERR_CODEC_UNAVAILABLE', message, options);
    this.compressionType = compressionType;
  }
}

/**
 * Decompressing would produce more bytes than allowed: a compression bomb or a too-small cap. The
 * decoder stopped at the cap; nothing past it was produced or kept.
 */
export class DecompressedSizeError extends DecodeError {
  /** The cap that would have been exceeded. */
  readonly maxSize: number;
  /** The codec's name (`gzip`, `snappy`, `lz4`, `zstd`, or a registered codec's), when known. */
  readonly codec: string | undefined;

  constructor(maxSize: number, offset?: number, codec?: string) {
    super(`${codec ? `${codec}: ` : ''}decompressed size exceeds the limit of ${maxSize} bytes`, offset, {
      code: 'ERR_DECOMPRESSED_SIZE',
    });
    this.maxSize = maxSize;
    this.codec = codec;
  }
}

/** A codec option has a value it cannot work with, e.g. a decompression cap that is NaN or negative. */
export class CodecOptionError extends RunnelError {
  /** The option's name, e.g. `maxDecompressedSize`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super('ERR_CODEC_OPTION', `${option}: ${message}`);
    this.option = option;
  }
}
