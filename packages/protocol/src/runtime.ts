/**
 * Helpers the generated codecs call. Not part of the public API: the generated code is their only
 * user, so they trust their arguments' types and check only what bytes or callers can get wrong.
 */
import { DecodeError, EncodeError, type Reader, type TaggedField, Writer } from '@runnel/codec';

/** The default of a non-nullable bytes field; zero-length, so sharing it is safe. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** The all-zero UUID in Kafka's text form, the default of uuid fields. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/**
 * How many bytes of memory decoding may take per byte of input. A decoded message is mostly small
 * objects, each far larger than the bytes it came from (a JoinGroup member of 4 bytes became an object
 * and a view of 162 bytes); real messages stay under 8x, so a message that needs more is garbage and
 * fails before it can exhaust the heap.
 */
export const DECODE_COST_RATIO = 16;
/** Room every message gets on top of the ratio, so that tiny messages never hit the bound. */
const DECODE_COST_SLACK = 64 * 1024;
/** An array object, and a `Uint8Array` view (measured on Node 20-24; the backing bytes are shared). */
const ARRAY_COST = 32;
const VIEW_COST = 104;
/** An unknown tagged field kept for writing back: an object and a view. */
const UNKNOWN_TAG_COST = 160;

interface DecodeBudget {
  readonly limit: number;
  readonly size: number;
  left: number;
}

const budgets = new WeakMap<Reader, DecodeBudget>();

/**
 * Runs `read` with a memory budget of {@link DECODE_COST_RATIO} times the bytes left in `r`, charged
 * by the arrays, views and unknown tagged fields the generated readers make (an inner call shares the
 * outer budget).
 * @returns what `read` returns.
 * @throws DecodeError when decoding would pass the budget; what `read` throws.
 */
export function withDecodeBudget<T>(r: Reader, read: () => T): T {
  if (budgets.has(r)) return read();
  const size = r.remaining;
  const limit = DECODE_COST_RATIO * size + DECODE_COST_SLACK;
  budgets.set(r, { limit, size, left: limit });
  try {
    return read();
  } finally {
    budgets.delete(r);
  }
}

/** Takes `bytes` from the reader's budget, if it has one. @throws DecodeError when it runs out. */
function charge(r: Reader, bytes: number, at: number): void {
  const budget = budgets.get(r);
  if (budget === undefined) return;
  budget.left -= bytes;
  if (budget.left < 0) {
    throw new DecodeError(
      `decoding this ${budget.size}-byte message would take more than ${budget.limit} bytes of memory (${DECODE_COST_RATIO}x its size): it is malformed`,
      at,
    );
  }
}

/**
 * @param cost the memory one element takes once decoded, as the generator estimates it.
 * @returns an array of `count` elements read with `read`.
 * @throws DecodeError when the array is null, or when its elements would pass the decode budget
 *   (checked from the count, before any element is read).
 */
export function readArray<T>(r: Reader, compact: boolean, read: (r: Reader) => T, cost = 8): T[] {
  const start = r.offset;
  const n = compact ? r.readCompactArrayLength() : r.readArrayLength();
  if (n < 0) throw new DecodeError('null array in a field that is not nullable', start);
  return readElements(r, n, read, cost, start);
}

/** @returns the array, or null for a null array. @throws DecodeError as {@link readArray}. */
export function readNullableArray<T>(
  r: Reader,
  compact: boolean,
  read: (r: Reader) => T,
  cost = 8,
): T[] | null {
  const start = r.offset;
  const n = compact ? r.readCompactArrayLength() : r.readArrayLength();
  if (n < 0) return null;
  return readElements(r, n, read, cost, start);
}

function readElements<T>(r: Reader, n: number, read: (r: Reader) => T, cost: number, start: number): T[] {
  charge(r, ARRAY_COST + n * cost, start);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(read(r));
  return out;
}

/**
 * Reads a bytes (or records) field that is not nullable. An empty value is the shared
 * {@link EMPTY_BYTES}, so that empty fields cost no view; a non-empty one is a view of the input,
 * charged to the decode budget.
 * @returns the bytes.
 * @throws DecodeError on malformed bytes, a null value, or past the budget.
 */
export function readBytesField(r: Reader, compact: boolean): Uint8Array {
  const start = r.offset;
  return viewOrEmpty(r, compact ? r.readCompactBytes() : r.readBytes(), start);
}

/** @returns the bytes, or null. @throws DecodeError as {@link readBytesField}, a null aside. */
export function readNullableBytesField(r: Reader, compact: boolean): Uint8Array | null {
  const start = r.offset;
  const value = compact ? r.readCompactNullableBytes() : r.readNullableBytes();
  return value === null ? null : viewOrEmpty(r, value, start);
}

function viewOrEmpty(r: Reader, value: Uint8Array, start: number): Uint8Array {
  if (value.length === 0) return EMPTY_BYTES;
  charge(r, VIEW_COST, start);
  return value;
}

/**
 * The handler for tagged fields a struct does not know: each is kept (to be written back), so it is
 * charged to the decode budget before the reader keeps it.
 * @returns false, so that the reader keeps the field.
 * @throws DecodeError past the budget.
 */
export function keepUnknownTag(_tag: number, r: Reader): boolean {
  charge(r, UNKNOWN_TAG_COST, r.offset);
  return false;
}

/** Writes an array's length and elements. @throws EncodeError when `values` is not an array. */
export function writeArray<T>(
  w: Writer,
  values: readonly T[],
  compact: boolean,
  write: (w: Writer, e: T) => void,
): void {
  if (!Array.isArray(values)) throw new EncodeError('expected an array, got null or another value');
  if (compact) w.writeCompactArrayLength(values.length);
  else w.writeArrayLength(values.length);
  for (const v of values) write(w, v);
}

/** Writes an array or null. @throws EncodeError when an element cannot be written. */
export function writeNullableArray<T>(
  w: Writer,
  values: readonly T[] | null,
  compact: boolean,
  write: (w: Writer, e: T) => void,
): void {
  if (values === null) {
    if (compact) w.writeCompactArrayLength(-1);
    else w.writeArrayLength(-1);
    return;
  }
  writeArray(w, values, compact, write);
}

/** Kafka marks a nullable struct with one byte: -1 for null, 1 for present. @returns the struct or null. */
export function readNullableStruct<T>(r: Reader, read: (r: Reader) => T): T | null {
  return r.readInt8() < 0 ? null : read(r);
}

/** Writes Kafka's presence byte and then the struct, or -1 for null. */
export function writeNullableStruct<T>(w: Writer, value: T | null, write: (w: Writer, v: T) => void): void {
  if (value === null) {
    w.writeInt8(-1);
  } else {
    w.writeInt8(1);
    write(w, value);
  }
}

/** @returns the bytes written by `write` into a fresh buffer: the payload of one tagged field. */
export function encodeTagged(write: (w: Writer) => void): Uint8Array {
  const w = new Writer(32);
  write(w);
  return w.finish();
}

/**
 * Writes a struct's tagged-field section: the known fields that are set, merged in tag order with the
 * unknown ones kept from decoding.
 * @throws EncodeError when a tag appears twice (e.g. an unknown field reusing a known tag).
 */
export function writeTaggedSection(
  w: Writer,
  known: TaggedField[] | undefined,
  unknown: readonly TaggedField[] | undefined,
): void {
  if (known === undefined && unknown === undefined) {
    w.writeUnsignedVarInt(0);
    return;
  }
  const all = [...(known ?? []), ...(unknown ?? [])];
  all.sort((a, b) => a.tag - b.tag);
  w.writeTaggedFields(all);
}

/** @returns the EncodeError for a non-default value in a field that `version` does not have. */
export function unsupportedField(struct: string, field: string, version: number): EncodeError {
  return new EncodeError(`${struct}.${field} is not supported at version ${version} and is not ignorable`);
}

/** @returns `value` when it is not null. @throws EncodeError naming the field when it is null. */
export function nonNull<T>(value: T | null, field: string, version: number): T {
  if (value === null) throw new EncodeError(`${field} cannot be null at version ${version}`);
  return value;
}

/**
 * Compares a struct with its default the way Kafka's generated `equals` does: field by field, an
 * absent (undefined) field counting as its default.
 * @returns whether every field of `value` equals the default's.
 */
export function isDefaultStruct(value: object, defaults: object): boolean {
  const v = value as Record<string, unknown>;
  const unknown = v.unknownTaggedFields;
  if (Array.isArray(unknown) && unknown.length > 0) return false;
  for (const [key, d] of Object.entries(defaults)) {
    const x = v[key];
    if (x !== undefined && !deepEqual(x, d)) return false;
  }
  return true;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    return a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  return isDefaultStruct(a, b) && isDefaultStruct(b, a);
}
