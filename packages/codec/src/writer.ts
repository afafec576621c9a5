import { EncodeError } from './errors.js';
import type { TaggedField } from './reader.js';
import { encodeUtf8Into, utf8Length } from './utf8.js';
import { parseUuidInto } from './uuid.js';

const TWO_POW_32 = 0x1_0000_0000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT16_MAX = 0x7fff;
const INT32_MAX = 0x7fff_ffff;
const UINT32_MAX = 0xffff_ffff;

/**
 * An append-only buffer that encodes Kafka's primitive types. It grows by doubling, so writing a
 * primitive allocates nothing in the common case. Values outside their wire type's range throw
 * {@link EncodeError} before any byte is written.
 */
export class Writer {
  private buffer: Uint8Array;
  private view: DataView;
  private position = 0;

  /** @param initialCapacity the starting size of the internal buffer in bytes (default 256). */
  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(Math.max(16, initialCapacity | 0));
    this.view = new DataView(this.buffer.buffer);
  }

  /** The number of bytes written so far. */
  get length(): number {
    return this.position;
  }

  /** Writes a signed int8. @throws EncodeError when `v` is not an integer in -128..127. */
  writeInt8(v: number): this {
    checkInteger(v, -0x80, 0x7f, 'int8');
    const o = this.claim(1);
    this.buffer[o] = v;
    return this;
  }

  /** Writes a big-endian int16. @throws EncodeError when `v` is not an integer in the int16 range. */
  writeInt16(v: number): this {
    checkInteger(v, -0x8000, INT16_MAX, 'int16');
    const o = this.claim(2);
    const b = this.buffer;
    b[o] = v >> 8;
    b[o + 1] = v;
    return this;
  }

  /** Writes a big-endian uint16. @throws EncodeError when `v` is not an integer in 0..65535. */
  writeUInt16(v: number): this {
    checkInteger(v, 0, 0xffff, 'uint16');
    const o = this.claim(2);
    const b = this.buffer;
    b[o] = v >> 8;
    b[o + 1] = v;
    return this;
  }

  /** Writes a big-endian int32. @throws EncodeError when `v` is not an integer in the int32 range. */
  writeInt32(v: number): this {
    checkInteger(v, -0x8000_0000, INT32_MAX, 'int32');
    const o = this.claim(4);
    putInt32(this.buffer, o, v);
    return this;
  }

  /** Writes a big-endian uint32. @throws EncodeError when `v` is not an integer in 0..2^32-1. */
  writeUInt32(v: number): this {
    checkInteger(v, 0, UINT32_MAX, 'uint32');
    const o = this.claim(4);
    putInt32(this.buffer, o, v);
    return this;
  }

  /**
   * Writes a big-endian int64 from a bigint or from a number.
   * @throws EncodeError when a bigint lies outside the int64 range or a number is not a safe integer
   * (a larger number has already lost precision, so writing it would silently change it).
   */
  writeInt64(v: bigint | number): this {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v))
        throw new EncodeError(`int64 value ${v} is not a safe integer; pass a bigint`);
      const o = this.claim(8);
      const hi = Math.floor(v / TWO_POW_32);
      putInt32(this.buffer, o, hi | 0);
      putInt32(this.buffer, o + 4, v - hi * TWO_POW_32);
      return this;
    }
    if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) {
      throw new EncodeError(`int64 value ${String(v)} is outside the int64 range`);
    }
    const o = this.claim(8);
    this.view.setBigInt64(o, v);
    return this;
  }

  /** Writes a big-endian IEEE 754 double. @throws EncodeError when `v` is not a number. */
  writeFloat64(v: number): this {
    if (typeof v !== 'number') throw new EncodeError(`float64 value ${String(v)} is not a number`);
    const o = this.claim(8);
    this.view.setFloat64(o, v);
    return this;
  }

  /** Writes 1 for true, 0 for false. */
  writeBoolean(v: boolean): this {
    const o = this.claim(1);
    this.buffer[o] = v ? 1 : 0;
    return this;
  }

  /** Writes an unsigned varint. @throws EncodeError when `v` is not an integer in 0..2^32-1. */
  writeUnsignedVarInt(v: number): this {
    checkInteger(v, 0, UINT32_MAX, 'unsigned varint');
    this.putUnsignedVarInt(v);
    return this;
  }

  /** Writes a zigzag-encoded varint. @throws EncodeError when `v` is not an integer in the int32 range. */
  writeVarInt(v: number): this {
    checkInteger(v, -0x8000_0000, INT32_MAX, 'varint');
    this.putUnsignedVarInt(((v << 1) ^ (v >> 31)) >>> 0);
    return this;
  }

  /**
   * Writes a zigzag-encoded varlong from a bigint or a number.
   * @throws EncodeError when a bigint lies outside the int64 range or a number is not a safe integer.
   */
  writeVarLong(v: bigint | number): this {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) {
        throw new EncodeError(`varlong value ${v} is not a safe integer; pass a bigint`);
      }
      // The zigzag value 2m + sign can reach 2^54, past exact doubles, so it is never formed: the first
      // byte takes the sign and six bits of the magnitude m, and the rest of m follows seven bits a time.
      const negative = v < 0;
      let m = negative ? -v - 1 : v;
      const o = this.claim(10);
      const b = this.buffer;
      let p = o;
      const low = ((m % 64) * 2) | (negative ? 1 : 0);
      m = Math.floor(m / 64);
      if (m === 0) {
        b[p++] = low;
      } else {
        b[p++] = low | 0x80;
        while (m >= 0x80) {
          b[p++] = (m % 0x80) | 0x80;
          m = Math.floor(m / 0x80);
        }
        b[p++] = m;
      }
      this.position = p;
      return this;
    }
    if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) {
      throw new EncodeError(`varlong value ${String(v)} is outside the int64 range`);
    }
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    const o = this.claim(10);
    const b = this.buffer;
    let p = o;
    while (u >= 0x80n) {
      b[p++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    b[p++] = Number(u);
    this.position = p;
    return this;
  }

  /**
   * Writes a UUID given in Kafka's text form (URL-safe base64 without padding, 22 characters).
   * @throws EncodeError when `v` is not a canonical 22-character UUID text.
   */
  writeUuid(v: string): this {
    const o = this.claim(16);
    if (typeof v !== 'string' || !parseUuidInto(v, this.buffer, o)) {
      this.position = o;
      throw new EncodeError(`'${String(v)}' is not a UUID in Kafka's 22-character base64 form`);
    }
    return this;
  }

  /** Writes a string with an int16 length prefix. @throws EncodeError when it exceeds 32767 UTF-8 bytes. */
  writeString(v: string): this {
    if (typeof v !== 'string') throw new EncodeError(`string value ${String(v)} is not a string`);
    const n = utf8Length(v);
    if (n > INT16_MAX) throw new EncodeError(`string of ${n} UTF-8 bytes exceeds the int16 length limit`);
    const o = this.claim(2 + n);
    const b = this.buffer;
    b[o] = n >> 8;
    b[o + 1] = n;
    encodeUtf8Into(b, o + 2, v, n);
    return this;
  }

  /** Writes a string with an int16 length prefix, or -1 for null. @throws EncodeError when too long. */
  writeNullableString(v: string | null): this {
    if (v === null) return this.writeInt16(-1);
    return this.writeString(v);
  }

  /** Writes a compact string (unsigned varint length + 1). @throws EncodeError when not a string. */
  writeCompactString(v: string): this {
    if (typeof v !== 'string') throw new EncodeError(`string value ${String(v)} is not a string`);
    const n = utf8Length(v);
    this.putUnsignedVarInt(n + 1);
    const o = this.claim(n);
    encodeUtf8Into(this.buffer, o, v, n);
    return this;
  }

  /** Writes a compact string, or prefix 0 for null. */
  writeCompactNullableString(v: string | null): this {
    if (v === null) {
      this.putUnsignedVarInt(0);
      return this;
    }
    return this.writeCompactString(v);
  }

  /** Writes bytes with an int32 length prefix. @throws EncodeError when `v` is not a Uint8Array. */
  writeBytes(v: Uint8Array): this {
    checkBytes(v);
    const o = this.claim(4 + v.length);
    putInt32(this.buffer, o, v.length);
    this.buffer.set(v, o + 4);
    return this;
  }

  /** Writes bytes with an int32 length prefix, or -1 for null. */
  writeNullableBytes(v: Uint8Array | null): this {
    if (v === null) return this.writeInt32(-1);
    return this.writeBytes(v);
  }

  /** Writes compact bytes (unsigned varint length + 1). @throws EncodeError when `v` is not a Uint8Array. */
  writeCompactBytes(v: Uint8Array): this {
    checkBytes(v);
    this.putUnsignedVarInt(v.length + 1);
    const o = this.claim(v.length);
    this.buffer.set(v, o);
    return this;
  }

  /** Writes compact bytes, or prefix 0 for null. */
  writeCompactNullableBytes(v: Uint8Array | null): this {
    if (v === null) {
      this.putUnsignedVarInt(0);
      return this;
    }
    return this.writeCompactBytes(v);
  }

  /** Writes `v` as is, without a length prefix. @throws EncodeError when `v` is not a Uint8Array. */
  writeRaw(v: Uint8Array): this {
    checkBytes(v);
    const o = this.claim(v.length);
    this.buffer.set(v, o);
    return this;
  }

  /** Writes an int32 array length; pass -1 for a null array. @throws EncodeError when below -1. */
  writeArrayLength(n: number): this {
    checkInteger(n, -1, INT32_MAX, 'array length');
    const o = this.claim(4);
    putInt32(this.buffer, o, n);
    return this;
  }

  /** Writes a compact array length (unsigned varint n + 1); pass -1 for null. @throws EncodeError when below -1. */
  writeCompactArrayLength(n: number): this {
    checkInteger(n, -1, UINT32_MAX - 1, 'compact array length');
    this.putUnsignedVarInt(n + 1);
    return this;
  }

  /**
   * Writes a tagged-field section: the count, then each field's tag, size and bytes.
   * @throws EncodeError when tags are not strictly increasing or a tag is not an unsigned int32.
   */
  writeTaggedFields(fields: readonly TaggedField[] | undefined): this {
    if (fields === undefined || fields.length === 0) {
      this.putUnsignedVarInt(0);
      return this;
    }
    let previous = -1;
    for (const field of fields) {
      checkInteger(field.tag, 0, UINT32_MAX, 'tag');
      if (field.tag <= previous) {
        throw new EncodeError(
          `tagged fields must have strictly increasing tags; ${field.tag} follows ${previous}`,
        );
      }
      checkBytes(field.data);
      previous = field.tag;
    }
    this.putUnsignedVarInt(fields.length);
    for (const field of fields) {
      this.putUnsignedVarInt(field.tag);
      this.putUnsignedVarInt(field.data.length);
      const o = this.claim(field.data.length);
      this.buffer.set(field.data, o);
    }
    return this;
  }

  /**
   * Leaves room for an int32 (zeros) to be filled in later with {@link patchInt32}, e.g. a size
   * known only after the bytes it counts are written.
   * @returns the position of the reserved int32.
   */
  reserveInt32(): number {
    const o = this.claim(4);
    putInt32(this.buffer, o, 0);
    return o;
  }

  /**
   * Overwrites the int32 at `position` (a value from {@link reserveInt32}).
   * @throws EncodeError when `position` does not leave room for 4 written bytes or `value` is neither an
   * int32 nor a uint32 (a CRC is patched as uint32).
   */
  patchInt32(position: number, value: number): this {
    if (!(Number.isInteger(position) && position >= 0 && position + 4 <= this.position)) {
      throw new EncodeError(
        `cannot patch an int32 at position ${position} of ${this.position} written bytes`,
      );
    }
    checkInteger(value, -0x8000_0000, UINT32_MAX, 'int32');
    putInt32(this.buffer, position, value);
    return this;
  }

  /**
   * @returns the bytes written so far, as a view of the internal buffer (valid until the next write).
   */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.position);
  }

  private putUnsignedVarInt(v: number): void {
    const o = this.claim(5);
    const b = this.buffer;
    let p = o;
    while (v > 0x7f) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.position = p;
  }

  /** Makes room for `size` more bytes and advances the position; returns where they start. */
  private claim(size: number): number {
    const o = this.position;
    const needed = o + size;
    if (needed > this.buffer.length) this.grow(needed);
    this.position = needed;
    return o;
  }

  private grow(needed: number): void {
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.position));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }
}

function putInt32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

function checkInteger(v: number, min: number, max: number, what: string): void {
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max)) {
    throw new EncodeError(`${what} value ${String(v)} is outside ${min}..${max} or not an integer`);
  }
}

function checkBytes(v: Uint8Array): void {
  if (!(v instanceof Uint8Array)) throw new EncodeError('bytes value is not a Uint8Array');
}
