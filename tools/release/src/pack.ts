import { mkdirSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { describeFailure, run } from './run.js';

/** A tarball written by `pnpm pack`. */
export interface PackedTarball {
  readonly name: string;
  readonly version: string;
  /** Absolute path of the .tgz. */
  readonly file: string;
  /** Its paths relative to the tarball's `package/` folder. */
  readonly paths: readonly string[];
}

/**
 * Packs the package in `dir` the way a release does (`pnpm pack`: `workspace:` ranges become versions,
 * `files` applies, LICENSE and README always ship) into `destination`.
 *
 * @returns the tarball and its file list.
 * @throws Error with pnpm's output when packing fails.
 */
export async function packPackage(dir: string, destination: string): Promise<PackedTarball> {
  mkdirSync(destination, { recursive: true });
  const result = await run('pnpm', ['pack', '--json', '--pack-destination', destination], { cwd: dir });
  if (result.code !== 0) throw new Error(describeFailure(`pnpm pack in ${dir}`, result));
  const json = JSON.parse(result.stdout) as {
    name: string;
    version: string;
    filename: string;
    files: { path: string }[];
  };
  const file = isAbsolute(json.filename) ? json.filename : join(destination, basename(json.filename));
  return { name: json.name, version: json.version, file, paths: json.files.map((f) => f.path) };
}
