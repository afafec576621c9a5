/**
 * Error classes shared by every Runnel package. Each kind of failure has its own class and a stable
 * `code`, so callers branch on `instanceof` or `code`, never on message text.
 *
 * `instanceof` also works across duplicate installs of a package (two copies of @runnel/codec in one
 * tree): each class answers `Symbol.hasInstance` through a registry-wide brand instead of the prototype.
 */

const BRAND = Symbol.for('runnel.error.kinds');

type Branded = { [BRAND]?: ReadonlySet<string> };

/** Base class of every error Runnel throws on purpose. */
export class RunnelError extends Error {
  /** A stable machine-readable code, e.g. `ERR_DECODE`. */
  readonly code: string;
  declare readonly [BRAND]: ReadonlySet<string>;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    const kinds = new Set<string>();
    for (let p: Function = new.target; p && p !== Error; p = Object.getPrototypeOf(p)) kinds.add(p.name);
    Object.defineProperty(this, BRAND, { value: kinds, enumerable: false });
  }

  /**
   * `instanceof` by brand rather than prototype, so it holds across duplicate installs of a package.
   * @returns true when `value` is an error of this class or a subclass, from any copy of Runnel.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const kinds = (value as Branded)[BRAND];
    return kinds instanceof Set ? kinds.has(this.name) : false;
  }
}

/**
 * Malformed or truncated bytes: a negative or oversized length, a count larger than the bytes left,
 * an over-long varint, a CRC mismatch, an unknown compression codec, a decompression bomb.
 */
export class DecodeError extends RunnelError {
  /** Byte offset in the input where decoding failed, when known. */
  readonly offset: number | undefined;

  constructor(message: string, offset?: number, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'ERR_DECODE', message, options);
    this.offset = offset;
  }
}

/**
 * The key, value or headers of a record read after its batch was released (`DefaultRecordBatch.release`,
 * which the consumer's `releaseBatchMemory` calls): the bytes they were views of may be freed already.
 */
export class RecordReleasedError extends RunnelError {
  /** The base offset of the released batch. */
  readonly baseOffset: bigint;

  constructor(message: string, baseOffset: bigint) {
    super('ERR_RECORD_RELEASED', message);
    this.baseOffset = baseOffset;
  }
}

/** A value that cannot be encoded (out of range, wrong type for the wire format). */
export class EncodeError extends RunnelError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ENCODE', message, options);
  }
}

/**
 * A record batch (or legacy message) whose stored checksum does not match its bytes, or whose
 * structure is invalid. Names the batch's base offset, like Kafka's CorruptRecordException.
 */
export class CorruptRecordError extends DecodeError {
  /** The base offset of the batch (or the offset of the legacy message) that failed. */
  readonly baseOffset: bigint;

  constructor(message: string, baseOffset: bigint, offset?: number) {
    super(message, offset, { code: 'ERR_CORRUPT_RECORD' });
    this.baseOffset = baseOffset;
  }
}
