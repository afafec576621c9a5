import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fields of a package.json that the release checks read; the rest pass through untyped. */
export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly [field: string]: unknown;
}

/** A package that a release publishes. */
export interface PublishablePackage {
  readonly name: string;
  /** Absolute folder. */
  readonly dir: string;
  /** Folder relative to the repository root, with forward slashes (`packages/consumer`). */
  readonly rel: string;
  readonly manifest: Manifest;
}

/**
 * @returns the repository root: the nearest folder above this module that holds pnpm-workspace.yaml.
 * @throws Error when there is none (the tools run from a checkout only).
 */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('release tools: no pnpm-workspace.yaml above this module');
    dir = up;
  }
  return dir;
}

/** @returns the parsed package.json in `dir`. @throws Error when it is missing or not JSON. */
export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/**
 * Every package under packages/ that is not private, sorted by name: what `changeset publish` would
 * publish. A package added there is picked up by every check without a list to edit.
 *
 * @returns the packages, possibly none.
 */
export function publishablePackages(root: string): PublishablePackage[] {
  const found: PublishablePackage[] = [];
  for (const entry of readdirSync(join(root, 'packages'), { withFileTypes: true })) {
    const dir = join(root, 'packages', entry.name);
    if (!entry.isDirectory() || !existsSync(join(dir, 'package.json'))) continue;
    const manifest = readManifest(dir);
    if (manifest.private === true) continue;
    found.push({ name: manifest.name, dir, rel: `packages/${entry.name}`, manifest });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
