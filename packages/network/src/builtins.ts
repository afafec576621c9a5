/**
 * Node built-ins that only some connections use, loaded on first use rather than at import. `node:tls`
 * brings `node:crypto` with it: together about 1.5 MiB of heap and 10-30 ms of start-up that a
 * plaintext consumer never needs, and that heap is what tipped V8 into its first full collection while
 * a new consumer was on its way to its first record. `createRequire` loads a built-in synchronously
 * under Node, Bun and Deno alike.
 */

import type * as NodeCrypto from 'node:crypto';
import { createRequire } from 'node:module';
import type * as NodeTls from 'node:tls';

const require = createRequire(import.meta.url);

let tlsModule: typeof NodeTls | undefined;
let cryptoModule: typeof NodeCrypto | undefined;

/** @returns `node:tls`, loaded on the first call. */
export function nodeTls(): typeof NodeTls {
  tlsModule ??= require('node:tls') as typeof NodeTls;
  return tlsModule;
}

/** @returns `node:crypto`, loaded on the first call. */
export function nodeCrypto(): typeof NodeCrypto {
  cryptoModule ??= require('node:crypto') as typeof NodeCrypto;
  return cryptoModule;
}
