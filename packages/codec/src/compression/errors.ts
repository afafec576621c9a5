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

/** Decompressing would produce more bytes than allowed: a compression bomb or a too-small cap. */
export class DecompressedSizeError extends DecodeError {
  /** The cap that would have been exceeded. */
  readonly maxSize: number;

  constructor(maxSize: number, offset?: number) {
    super(`decompressed size exceeds the limit of ${maxSize} bytes`, offset, {
      code: 'ERR_DECOMPRESSED_SIZE',
    });
    this.maxSize = maxSize;
  }
}
