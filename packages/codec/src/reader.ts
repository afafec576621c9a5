import { DecodeError } from './errors.js';
import { decodeUtf8 } from './utf8.js';
import { formatUuid } from './uuid.js';

/** A tagged field that the decoder of its message did not know: its tag and a view of its bytes. */
export interface TaggedField {
  tag: number;
  data: Uint8Array;
}

/**
 * Reads one field of a tagged-field section. It reads exactly `size` bytes from `reader` and
 * returns true when it knew `tag`; returning false keeps the field as unknown.
 */
export type TaggedFieldHandler = (tag: number, reader: Reader, size: number) => boolean;

const TWO_POW_32 = 0x1_0000_0000;

/**
 * A cursor over `buffer[offset, end)` that decodes Kafka's primitive types. Every read checks the
 * bounds before touching the bytes and throws {@link DecodeError} (carrying the offset) on truncated
 * input, a negative length or a length larger than the bytes left. Byte results are views of the
 * buffer, never copies.
 */
export class Reader {
  /** The cursor: the index in `buffer` of the next byte to read. Public so decoders can jump. */
  offset: number;
  readonly buffer: Uint8Array;
  /** The index one past the last readable byte. */
  readonly end: number;
  private view: DataView | undefined;
  // `buffer.buffer` and `buffer.byteOffset`, read on the first view: on Node 20 the `.buffer` getter
  // is a call into V8's runtime (about 15 ns) and `.byteOffset` costs some 9 ns, together more than
  // the view made from them.
  private arrayBuffer: ArrayBufferLike | undefined;
  private byteOffset: number;

  /**
   * @param buffer the bytes to read.
   * @param offset where reading starts (default 0).
   * @param end where reading stops, exclusive (default `buffer.length`).
   * @throws DecodeError when `offset` or `end` lies outside the buffer or `offset > end`.
   */
  constructor(buffer: Uint8Array, offset = 0, end = buffer.length) {
    if (!(offset >= 0 && offset <= end && end <= buffer.length) || offset % 1 !== 0 || end % 1 !== 0) {
      throw new DecodeError(
        `reader range [${offset}, ${end}) lies outside a buffer of ${buffer.length} bytes`,
      );
    }
    this.buffer = buffer;
    this.offset = offset;
    this.end = end;
    this.view = undefined;
    this.arrayBuffer = undefined;
    this.byteOffset = 0;
  }

  /** The number of bytes between the cursor and `end`. */
  get remaining(): number {
    return this.end - this.offset;
  }

  /** @returns the next byte as a signed int8. @throws DecodeError when no byte is left. */
  readInt8(): number {
    const o = this.offset;
    if (o + 1 > this.end) throw this.truncated(1, 'int8');
    this.offset = o + 1;
    return (this.buffer[o]! << 24) >> 24;
  }

  /** @returns the next big-endian int16. @throws DecodeError when fewer than 2 bytes are left. */
  readInt16(): number {
    const o = this.offset;
    if (o + 2 > this.end) throw this.truncated(2, 'int16');
    const b = this.buffer;
    this.offset = o + 2;
    return (((b[o]! << 8) | b[o + 1]!) << 16) >> 16;
  }

  /** @returns the next big-endian uint16. @throws DecodeError when fewer than 2 bytes are left. */
  readUInt16(): number {
    const o = this.offset;
    if (o + 2 > this.end) throw this.truncated(2, 'uint16');
    const b = this.buffer;
    this.offset = o + 2;
    return (b[o]! << 8) | b[o + 1]!;
  }

  /** @returns the next big-endian int32. @throws DecodeError when fewer than 4 bytes are left. */
  readInt32(): number {
    const o = this.offset;
    if (o + 4 > this.end) throw this.truncated(4, 'int32');
    const b = this.buffer;
    this.offset = o + 4;
    return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  }

  /** @returns the next big-endian uint32. @throws DecodeError when fewer than 4 bytes are left. */
  readUInt32(): number {
    const o = this.offset;
    if (o + 4 > this.end) throw this.truncated(4, 'uint32');
    const b = this.buffer;
    this.offset = o + 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  /** @returns the next big-endian int64, exact. @throws DecodeError when fewer than 8 bytes are left. */
  readInt64(): bigint {
    const o = this.offset;
    if (o + 8 > this.end) throw this.truncated(8, 'int64');
    this.offset = o + 8;
    return this.dataView().getBigInt64(o);
  }

  /**
   * Reads an int64 as a number, without allocating a bigint.
   * @returns the value, exact.
   * @throws DecodeError when fewer than 8 bytes are left or the value lies outside
   * `Number.MIN_SAFE_INTEGER..Number.MAX_SAFE_INTEGER` (the cursor then stays put).
   */
  readInt64Number(): number {
    const o = this.offset;
    if (o + 8 > this.end) throw this.truncated(8, 'int64');
    const b = this.buffer;
    const hi = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
    const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
    const value = hi * TWO_POW_32 + lo;
    if (value > Number.MAX_SAFE_INTEGER || value < Number.MIN_SAFE_INTEGER) {
      throw new DecodeError(`int64 at offset ${o} is outside the safe-integer range; read it as bigint`, o);
    }
    this.offset = o + 8;
    return value;
  }

  /** @returns the next big-endian IEEE 754 double. @throws DecodeError when fewer than 8 bytes are left. */
  readFloat64(): number {
    const o = this.offset;
    if (o + 8 > this.end) throw this.truncated(8, 'float64');
    this.offset = o + 8;
    return this.dataView().getFloat64(o);
  }

  /** @returns false for a zero byte, true for any other. @throws DecodeError when no byte is left. */
  readBoolean(): boolean {
    const o = this.offset;
    if (o + 1 > this.end) throw this.truncated(1, 'boolean');
    this.offset = o + 1;
    return this.buffer[o] !== 0;
  }

  /**
   * Reads an unsigned varint of at most 5 bytes, like Java's `ByteUtils.readUnsignedVarint` (bits
   * beyond 32 in the fifth byte are dropped).
   * @returns a value in 0..2^32-1.
   * @throws DecodeError when the input ends inside the varint or it runs past 5 bytes.
   */
  readUnsignedVarInt(): number {
    const b = this.buffer;
    const end = this.end;
    let o = this.offset;
    if (o < end) {
      const first = b[o]!;
      if (first < 0x80) {
        this.offset = o + 1;
        return first;
      }
    }
    const start = o;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (o >= end) throw this.truncatedAt(start, 'varint');
      const byte = b[o++]!;
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.offset = o;
        return value >>> 0;
      }
    }
    throw new DecodeError(`varint at offset ${start} is longer than 5 bytes`, start);
  }

  /**
   * Reads a zigzag-encoded signed varint of at most 5 bytes.
   * @returns a value in the int32 range.
   * @throws DecodeError when the input ends inside the varint or it runs past 5 bytes.
   */
  readVarInt(): number {
    const u = this.readUnsignedVarInt();
    return (u >>> 1) ^ -(u & 1);
  }

  /**
   * Reads a zigzag-encoded signed varlong of at most 10 bytes.
   * @returns the exact int64 value.
   * @throws DecodeError when the input ends inside the varlong or it runs past 10 bytes.
   */
  readVarLong(): bigint {
    const start = this.offset;
    const small = this.readSmallUnsignedVarLong();
    if (small >= 0) return BigInt(small % 2 === 0 ? small / 2 : -(small + 1) / 2);
    this.offset = start;
    return zigzagDecode64(this.readUnsignedVarLongBig());
  }

  /**
   * Reads a zigzag-encoded signed varlong as a number, the fast path for record fields.
   * @returns the value, exact.
   * @throws DecodeError when the input is truncated, the varlong runs past 10 bytes, or its value lies
   * outside the safe-integer range.
   */
  readVarLongNumber(): number {
    const start = this.offset;
    const small = this.readSmallUnsignedVarLong();
    if (small >= 0) return small % 2 === 0 ? small / 2 : -(small + 1) / 2;
    this.offset = start;
    const value = zigzagDecode64(this.readUnsignedVarLongBig());
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new DecodeError(`varlong at offset ${start} is outside the safe-integer range`, start);
    }
    return Number(value);
  }

  /**
   * Reads a UUID (16 bytes).
   * @returns Kafka's text form: URL-safe base64 without padding, 22 characters.
   * @throws DecodeError when fewer than 16 bytes are left.
   */
  readUuid(): string {
    const o = this.offset;
    if (o + 16 > this.end) throw this.truncated(16, 'uuid');
    this.offset = o + 16;
    return formatUuid(this.buffer, o);
  }

  /**
   * Reads a string with an int16 length prefix.
   * @returns the UTF-8-decoded string.
   * @throws DecodeError when the length is negative (this type is not nullable) or exceeds the bytes left.
   */
  readString(): string {
    const start = this.offset;
    const length = this.readInt16();
    if (length < 0)
      throw new DecodeError(`non-nullable string at offset ${start} has length ${length}`, start);
    return this.readUtf8(length, start);
  }

  /**
   * Reads a string with an int16 length prefix, -1 meaning null.
   * @returns the string, or null.
   * @throws DecodeError when the length is below -1 or exceeds the bytes left.
   */
  readNullableString(): string | null {
    const start = this.offset;
    const length = this.readInt16();
    if (length < 0) {
      if (length === -1) return null;
      throw new DecodeError(`string at offset ${start} has length ${length}`, start);
    }
    return this.readUtf8(length, start);
  }

  /**
   * Reads a compact string: unsigned varint length + 1, then UTF-8 bytes.
   * @returns the string.
   * @throws DecodeError when the prefix is 0 (null; this type is not nullable) or the length exceeds
   * the bytes left.
   */
  readCompactString(): string {
    const start = this.offset;
    const n = this.readUnsignedVarInt();
    if (n === 0) throw new DecodeError(`non-nullable compact string at offset ${start} is null`, start);
    return this.readUtf8(n - 1, start);
  }

  /**
   * Reads a compact string that may be null (prefix 0).
   * @returns the string, or null.
   * @throws DecodeError when the length exceeds the bytes left.
   */
  readCompactNullableString(): string | null {
    const start = this.offset;
    const n = this.readUnsignedVarInt();
    if (n === 0) return null;
    return this.readUtf8(n - 1, start);
  }

  /**
   * Reads bytes with an int32 length prefix.
   * @returns a view (subarray) of the buffer, never a copy.
   * @throws DecodeError when the length is negative (not nullable) or exceeds the bytes left.
   */
  readBytes(): Uint8Array {
    const start = this.offset;
    const length = this.readInt32();
    if (length < 0)
      throw new DecodeError(`non-nullable bytes at offset ${start} have length ${length}`, start);
    return this.readView(length, start);
  }

  /**
   * Reads bytes with an int32 length prefix, -1 meaning null.
   * @returns a view of the buffer, or null.
   * @throws DecodeError when the length is below -1 or exceeds the bytes left.
   */
  readNullableBytes(): Uint8Array | null {
    const start = this.offset;
    const length = this.readInt32();
    if (length < 0) {
      if (length === -1) return null;
      throw new DecodeError(`bytes at offset ${start} have length ${length}`, start);
    }
    return this.readView(length, start);
  }

  /**
   * Reads compact bytes: unsigned varint length + 1, then the bytes.
   * @returns a view of the buffer.
   * @throws DecodeError when the prefix is 0 (null; not nullable) or the length exceeds the bytes left.
   */
  readCompactBytes(): Uint8Array {
    const start = this.offset;
    const n = this.readUnsignedVarInt();
    if (n === 0) throw new DecodeError(`non-nullable compact bytes at offset ${start} are null`, start);
    return this.readView(n - 1, start);
  }

  /**
   * Reads compact bytes that may be null (prefix 0).
   * @returns a view of the buffer, or null.
   * @throws DecodeError when the length exceeds the bytes left.
   */
  readCompactNullableBytes(): Uint8Array | null {
    const start = this.offset;
    const n = this.readUnsignedVarInt();
    if (n === 0) return null;
    return this.readView(n - 1, start);
  }

  /**
   * @returns a view of the next `length` bytes.
   * @throws DecodeError when `length` is negative, not an integer, or exceeds the bytes left.
   */
  readRaw(length: number): Uint8Array {
    return this.readView(length, this.offset);
  }

  /**
   * Moves the cursor forward by `length` bytes.
   * @throws DecodeError when `length` is negative, not an integer, or exceeds the bytes left.
   */
  skip(length: number): void {
    const o = this.offset;
    if (!(length >= 0 && length <= this.end - o) || length % 1 !== 0) {
      throw new DecodeError(`cannot skip ${length} bytes at offset ${o}: ${this.end - o} left`, o);
    }
    this.offset = o + length;
  }

  /**
   * Reads an int32 array length.
   * @returns the count, or -1 for a null array.
   * @throws DecodeError when the count is below -1 or larger than the bytes left (every element
   * takes at least one byte, so a larger count cannot be honest).
   */
  readArrayLength(): number {
    const start = this.offset;
    const n = this.readInt32();
    if (n === -1) return -1;
    if (n < 0 || n > this.end - this.offset) {
      throw new DecodeError(
        `array at offset ${start} claims ${n} elements with ${this.end - this.offset} bytes left`,
        start,
      );
    }
    return n;
  }

  /**
   * Reads a compact array length (unsigned varint N + 1).
   * @returns the count N, or -1 for a null array (prefix 0).
   * @throws DecodeError when the count is larger than the bytes left.
   */
  readCompactArrayLength(): number {
    const start = this.offset;
    const n = this.readUnsignedVarInt() - 1;
    if (n > this.end - this.offset) {
      throw new DecodeError(
        `compact array at offset ${start} claims ${n} elements with ${this.end - this.offset} bytes left`,
        start,
      );
    }
    return n;
  }

  /**
   * Reads a tagged-field section: a count, then per field its tag, its size and its bytes. Each field
   * is offered to `onField`, which must read exactly `size` bytes when it returns true.
   * @returns the fields `onField` did not handle, as views; undefined when there were none.
   * @throws DecodeError when the section is truncated, a size exceeds the bytes left, tags are not
   * strictly increasing, or `onField` read a different number of bytes than the field's size.
   */
  readTaggedFields(onField?: TaggedFieldHandler): TaggedField[] | undefined {
    const sectionStart = this.offset;
    const count = this.readUnsignedVarInt();
    if (count === 0) return undefined;
    // Each field takes at least two bytes (tag and size), which bounds an honest count.
    if (count > (this.end - this.offset) / 2) {
      throw new DecodeError(
        `tagged-field section at offset ${sectionStart} claims ${count} fields with ${this.end - this.offset} bytes left`,
        sectionStart,
      );
    }
    let unknown: TaggedField[] | undefined;
    let previousTag = -1;
    for (let i = 0; i < count; i++) {
      const fieldStart = this.offset;
      const tag = this.readUnsignedVarInt();
      if (tag <= previousTag) {
        throw new DecodeError(
          `tagged field at offset ${fieldStart} repeats or reorders tag ${tag}`,
          fieldStart,
        );
      }
      previousTag = tag;
      const size = this.readUnsignedVarInt();
      const dataStart = this.offset;
      if (size > this.end - dataStart) throw this.truncatedAt(fieldStart, `tagged field ${tag}`);
      const dataEnd = dataStart + size;
      if (onField?.(tag, this, size)) {
        if (this.offset !== dataEnd) {
          throw new DecodeError(
            `tagged field ${tag} at offset ${fieldStart} has size ${size} but its value took ${this.offset - dataStart} bytes`,
            fieldStart,
          );
        }
        continue;
      }
      this.offset = dataEnd;
      (unknown ??= []).push({ tag, data: this.buffer.subarray(dataStart, dataEnd) });
    }
    return unknown;
  }

  private readUtf8(length: number, start: number): string {
    const o = this.offset;
    if (length > this.end - o) throw this.truncatedAt(start, `string of ${length} bytes`);
    this.offset = o + length;
    return decodeUtf8(this.buffer, o, o + length);
  }

  private readView(length: number, start: number): Uint8Array {
    const o = this.offset;
    if (!(length >= 0 && length <= this.end - o) || length % 1 !== 0) {
      throw new DecodeError(
        `field at offset ${start} needs ${length} bytes but ${this.end - o} are left`,
        start,
      );
    }
    this.offset = o + length;
    // The constructor form skips subarray's species lookup, which is measurably faster.
    let arrayBuffer = this.arrayBuffer;
    if (arrayBuffer === undefined) {
      arrayBuffer = this.arrayBuffer = this.buffer.buffer;
      this.byteOffset = this.buffer.byteOffset;
    }
    return new Uint8Array(arrayBuffer, this.byteOffset + o, length);
  }

  /**
   * Reads an unsigned varlong when it takes at most 7 bytes (49 bits, exact as a double), leaving the
   * cursor after it. Returns -1 and leaves the cursor anywhere when it is longer; truncation throws.
   */
  private readSmallUnsignedVarLong(): number {
    const b = this.buffer;
    const end = this.end;
    let o = this.offset;
    const start = o;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (o >= end) throw this.truncatedAt(start, 'varlong');
      const byte = b[o++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.offset = o;
        return value;
      }
      scale *= 128;
    }
    return -1;
  }

  private readUnsignedVarLongBig(): bigint {
    const b = this.buffer;
    const end = this.end;
    let o = this.offset;
    const start = o;
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (o >= end) throw this.truncatedAt(start, 'varlong');
      const byte = b[o++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.offset = o;
        // Like Java, bits beyond 64 in the tenth byte are dropped.
        return BigInt.asUintN(64, value);
      }
    }
    throw new DecodeError(`varlong at offset ${start} is longer than 10 bytes`, start);
  }

  private dataView(): DataView {
    const b = this.buffer;
    return (this.view ??= new DataView(b.buffer, b.byteOffset, b.byteLength));
  }

  private truncated(size: number, what: string): DecodeError {
    const o = this.offset;
    return new DecodeError(`${what} at offset ${o} needs ${size} bytes but ${this.end - o} are left`, o);
  }

  private truncatedAt(start: number, what: string): DecodeError {
    return new DecodeError(`${what} at offset ${start} runs past the end of the input (${this.end})`, start);
  }
}

function zigzagDecode64(u: bigint): bigint {
  return (u >> 1n) ^ -(u & 1n);
}
