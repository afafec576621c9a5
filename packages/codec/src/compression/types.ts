/** Kafka's compression type ids, the low three bits of a batch's attributes. */
export const CompressionType = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
} as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

/** The default cap on a decompressed batch: 64 MiB, well above Kafka's default max.message.bytes. */
export const DEFAULT_MAX_DECOMPRESSED_SIZE = 64 * 1024 * 1024;

/**
 * What a compression codec provides. Both directions are synchronous: a batch is small, and the
 * lazy record iterator decompresses on first access.
 */
export interface CompressionCodec {
  /** Kafka's name for it, e.g. `lz4`. */
  readonly name: string;
  /** @returns `data` compressed in the form Kafka's Java producer writes. */
  compress(data: Uint8Array): Uint8Array;
  /**
   * @param maxSize the most bytes the result may have: a non-negative safe integer.
   * @returns the decompressed bytes (the built-ins: a plain Uint8Array whose backing buffer is at most
   * 1.5x its length, a shared Buffer pool, or for batches of up to 256 KiB a shared 1 MiB slab).
   * @throws DecompressedSizeError when the output would exceed `maxSize` (decoding stops there);
   * DecodeError for malformed input; CodecOptionError (the built-ins) when `maxSize` is not a
   * non-negative safe integer.
   */
  decompress(data: Uint8Array, maxSize: number): Uint8Array;
}
