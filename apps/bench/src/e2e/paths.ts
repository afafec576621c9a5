import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** apps/bench, found from this file whether it runs from `src/e2e` or `dist/e2e`. */
export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the built client programs are (the runner always runs from `dist`). */
export const CLIENTS_DIR = join(BENCH_DIR, 'dist', 'e2e', 'clients');

/** Where peers' sources and package manifests live in the repository. */
export const PEERS_DIR = join(BENCH_DIR, 'peers');

/**
 * @returns the machine-wide cache of the benchmark (`$XDG_CACHE_HOME/runnel/bench`, else
 *   `~/.cache/runnel/bench`): downloaded runtimes and built peer binaries.
 */
export function benchCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.cache');
  return join(base, 'runnel', 'bench');
}
