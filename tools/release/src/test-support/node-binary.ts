/**
 * A Node.js binary for tests that check what Node does. Under Bun or Deno (CI runs the unit suite on
 * Bun too), process.execPath is their binary, so the node on PATH is used instead.
 */
export const nodeBinary =
  process.versions.bun === undefined && process.versions.deno === undefined ? process.execPath : 'node';
