import { DecodeError, EncodeError, Reader, Writer } from '@runnel/codec';
import { withDecodeBudget } from './runtime.js';

/** Encodes and decodes one message type at any of its versions. */
export interface MessageCodec<T> {
  /**
   * Encodes `message` at `version` into a fresh buffer.
   * @returns the encoded bytes (without any size prefix or header).
   * @throws EncodeError when the version is not valid, a value is out of range for its wire type, or a
   *   non-default value is set on a non-ignorable field that `version` lacks.
   */
  encode(message: T, version: number): Uint8Array;
  /** Like `encode`, appending to `writer`. @throws EncodeError as `encode` does. */
  write(writer: Writer, message: T, version: number): void;
  /**
   * Decodes one message of `version` from `input` (a Reader advances past it).
   * @returns the message; fields that `version` lacks hold their defaults. Empty bytes fields share
   *   one empty view.
   * @throws DecodeError on truncated or malformed bytes, a version that is not valid, or bytes that
   *   would take more than `DECODE_COST_RATIO` (16) times their size in memory once decoded.
   */
  decode(input: Reader | Uint8Array, version: number): T;
}

/** A Kafka API: its key, version range and the codecs of its request and response bodies. */
export interface ApiDefinition<Request, Response> {
  readonly apiKey: number;
  /** The API's name as Kafka spells it, e.g. `JoinGroup`. */
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The first version that uses compact types and tagged fields; null when no version does. */
  readonly flexibleMinVersion: number | null;
  /** True when Kafka marks `maxVersion` as still unstable (not offered by default). */
  readonly latestVersionUnstable: boolean;
  readonly deprecatedVersions: { readonly min: number; readonly max: number } | null;
  /** Which kinds of Kafka listener serve the API (`broker`, `controller`). */
  readonly listeners: readonly string[];
  readonly request: MessageCodec<Request>;
  readonly response: MessageCodec<Response>;
}

/** A versioned message that is not an API body: a header, or `data` such as ConsumerProtocolSubscription. */
export interface MessageDefinition<T> extends MessageCodec<T> {
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly flexibleMinVersion: number | null;
}

function validVersion(version: number, min: number, max: number): boolean {
  return Number.isInteger(version) && version >= min && version <= max;
}

/**
 * Wraps a generated reader and writer into a codec that checks the version first.
 * @returns the codec.
 */
export function defineCodec<T>(
  name: string,
  minVersion: number,
  maxVersion: number,
  write: (w: Writer, message: T, version: number) => void,
  read: (r: Reader, version: number) => T,
): MessageCodec<T> {
  const checkWrite = (version: number): void => {
    if (!validVersion(version, minVersion, maxVersion)) {
      throw new EncodeError(`${name} has no version ${version} (valid: ${minVersion}-${maxVersion})`);
    }
  };
  return {
    encode(message, version) {
      checkWrite(version);
      const w = new Writer(256);
      write(w, message, version);
      return w.finish();
    },
    write(writer, message, version) {
      checkWrite(version);
      write(writer, message, version);
    },
    decode(input, version) {
      const r = input instanceof Reader ? input : new Reader(input);
      if (!validVersion(version, minVersion, maxVersion)) {
        throw new DecodeError(
          `${name} has no version ${version} (valid: ${minVersion}-${maxVersion})`,
          r.offset,
        );
      }
      return withDecodeBudget(r, () => read(r, version));
    },
  };
}
