// util.inspect's hook, by its registered name: importing node:util for it loads a dozen modules.
const INSPECT_CUSTOM = Symbol.for('nodejs.util.inspect.custom');

const REDACTED = '[redacted]';

/**
 * A password, token or private key that must never reach a log line, an error message, JSON or
 * `util.inspect` output. The value is held in a private field: `inspect`, `toString`, `toJSON` and
 * template strings all show `[redacted]`; only {@link Secret.reveal} returns it.
 */
export class Secret {
  readonly #value: string | Uint8Array;

  constructor(value: string | Uint8Array) {
    this.#value = value;
  }

  /**
   * Wraps a value unless it already is a Secret.
   * @returns the same Secret, or a new one holding `value`.
   */
  static from(value: string | Uint8Array | Secret): Secret {
    return value instanceof Secret ? value : new Secret(value);
  }

  /** @returns the secret value itself; call it only where the value is sent or handed to `tls`. */
  reveal(): string | Uint8Array {
    return this.#value;
  }

  /** @returns the value as a string (UTF-8 decoded when it is bytes). */
  revealString(): string {
    const value = this.#value;
    return typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
  }

  /** @returns `[redacted]`. */
  toString(): string {
    return REDACTED;
  }

  /** @returns `[redacted]`, so that `JSON.stringify` of a config never carries the value. */
  toJSON(): string {
    return REDACTED;
  }

  /** @returns `Secret([redacted])`, what `util.inspect` and `console.log` show. */
  [INSPECT_CUSTOM](): string {
    return `Secret(${REDACTED})`;
  }

  /** @returns `[redacted]`, so a template string or string concatenation never carries the value. */
  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}
