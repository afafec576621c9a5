import { expect } from 'vitest';
import { ConfigError } from '../errors.js';

/**
 * Runs `run`, which must throw a ConfigError (the test fails otherwise).
 * @returns that error, for assertions on its message and option.
 */
export function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}
