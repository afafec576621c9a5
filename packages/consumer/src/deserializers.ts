/**
 * Key and value deserializers (Java's `key.deserializer` / `value.deserializer`): `'string'` (UTF-8),
 * `'json'` (UTF-8 JSON), `'buffer'` (the bytes, the default: zero-copy views) or a function. Without
 * one, records are FetchedRecords (LegacyFetchedRecords for v0/v1 data) and cost nothing more; with one, they are records of a subclass
 * whose `key` / `value` getters deserialize, when read.
 */
import type { RecordHeader } from '@runnel/codec';
import { type ConsumerRecord, FetchedRecord, LegacyFetchedRecord } from './batch.js';
import { ConfigError } from './errors.js';

/** What a deserializer function gets besides the bytes. */
export interface DeserializerContext {
  readonly topic: string;
  readonly partition: number;
  readonly headers: readonly RecordHeader[];
}

/** A function from a record's key or value bytes to a value; never called for a null key or value. */
export type DeserializerFunction<T> = (bytes: Uint8Array, context: DeserializerContext) => T;

/** A `keyDeserializer` / `valueDeserializer` option. */
export type Deserializer = 'string' | 'json' | 'buffer' | DeserializerFunction<unknown>;

/** @returns the type a deserializer option produces: `'string'` a string, `'json'` unknown, a function its result. */
export type Deserialized<D> = D extends 'string'
  ? string
  : D extends 'json'
    ? unknown
    : D extends DeserializerFunction<infer T>
      ? T
      : Uint8Array;

const utf8 = new TextDecoder('utf-8');
const toText: DeserializerFunction<string> = (bytes) => utf8.decode(bytes);
const toJson: DeserializerFunction<unknown> = (bytes) => JSON.parse(utf8.decode(bytes));

/**
 * @returns the function for a deserializer option, or null for `'buffer'` and when not set.
 * @throws ConfigError naming the option for anything else.
 */
export function deserializerOf(option: unknown, name: string): DeserializerFunction<unknown> | null {
  if (option === undefined || option === 'buffer') return null;
  if (option === 'string') return toText;
  if (option === 'json') return toJson;
  if (typeof option === 'function') return option as DeserializerFunction<unknown>;
  throw new ConfigError(name, `must be 'string', 'json', 'buffer' or a function, got ${String(option)}`);
}

/** The classes of the records handed out: of v2 batches, and of legacy (v0/v1) message sets. */
export interface RecordClasses {
  readonly current: typeof FetchedRecord;
  readonly legacy: typeof LegacyFetchedRecord;
}

export const PLAIN_RECORDS: RecordClasses = { current: FetchedRecord, legacy: LegacyFetchedRecord };

/**
 * @returns the classes of the records to hand out: FetchedRecord and LegacyFetchedRecord when neither
 *   deserializer is set, else subclasses that deserialize `key` and `value` when read (an error there
 *   is the reader's: a handler's failure, as in Java's poll).
 */
export function recordClassesFor(
  key: DeserializerFunction<unknown> | null,
  value: DeserializerFunction<unknown> | null,
): RecordClasses {
  if (key === null && value === null) return PLAIN_RECORDS;
  return {
    current: deserializing(FetchedRecord, key, value),
    legacy: deserializing(LegacyFetchedRecord, key, value),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: a mixin's base must take any constructor arguments.
type RecordBase = new (...args: any[]) => ConsumerRecord;

function deserializing<B extends RecordBase>(
  Base: B,
  key: DeserializerFunction<unknown> | null,
  value: DeserializerFunction<unknown> | null,
): B {
  return class DeserializedRecord extends Base {
    override get key(): never {
      const bytes = super.key;
      return (bytes === null || key === null ? bytes : key(bytes, this)) as never;
    }

    override get value(): never {
      const bytes = super.value;
      return (bytes === null || value === null ? bytes : value(bytes, this)) as never;
    }
  };
}
