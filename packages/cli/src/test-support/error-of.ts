import { expect } from 'vitest';

/**
 * Runs `run`, which must throw an instance of `kind` (the test fails otherwise).
 * @returns the error, for assertions on its message and fields.
 */
export function errorOf<E extends Error>(run: () => unknown, kind: abstract new (...args: never[]) => E): E {
  let thrown: unknown = null;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(kind);
  return thrown as E;
}
