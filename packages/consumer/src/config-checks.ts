/** The checks every consumer option goes through: each failure is a ConfigError naming the option. */
import { ConfigError } from './errors.js';

export const INT32_MAX = 0x7fff_ffff;

/**
 * @param name the option's name in errors, when it differs from `key` (e.g. `autoCommit.intervalMs`).
 * @returns the integer option `key` of `config`, or `fallback` when it is not set.
 * @throws ConfigError naming the option when it is not an integer (NaN and Infinity are not) or lies
 *   outside [`min`, `max`].
 */
export function int(
  config: Record<string, unknown>,
  key: string,
  fallback: number,
  min: number,
  max = INT32_MAX,
  name = key,
): number {
  const value = config[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ConfigError(name, `must be an integer, got ${describe(value)}`);
  }
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/**
 * @returns the boolean option `key` of `config`, or `fallback` when it is not set.
 * @throws ConfigError naming the option when it is not a boolean.
 */
export function bool(config: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = config[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigError(key, `must be a boolean, got ${describe(value)}`);
  return value;
}

/**
 * @param blankAllowed whether a value of spaces only is accepted (group ids are not: Kafka would
 *   take them, and every member would silently share a group no one meant to name).
 * @returns the string option, or null when it is not set.
 * @throws ConfigError naming the option when it is not a string, is empty, or is blank.
 */
export function optionalString(
  config: Record<string, unknown>,
  key: string,
  blankAllowed = true,
): string | null {
  const value = config[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ConfigError(key, `must be a string, got ${describe(value)}`);
  if (value === '') throw new ConfigError(key, 'must not be empty');
  if (!blankAllowed && value.trim() === '')
    throw new ConfigError(key, `must not be blank, got ${describe(value)}`);
  return value;
}

/**
 * @returns the option when it is one of `values`, `fallback` when not set.
 * @throws ConfigError naming the option otherwise.
 */
export function oneOf<T extends string>(
  config: Record<string, unknown>,
  key: string,
  values: readonly T[],
  fallback: T,
): T {
  const value = config[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
    throw new ConfigError(
      key,
      `must be one of ${values.map((v) => `'${v}'`).join(', ')}, got ${describe(value)}`,
    );
  }
  return value as T;
}

/** @returns a short description of a refused value for an error message (never a secret's text). */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : String(value);
}

/** @returns whether `value` is an object that is neither null nor an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
