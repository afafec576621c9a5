import type { Manifest } from './workspace.js';

/** Paths that never belong in a tarball: tests, their helpers and data, build leftovers. */
const FORBIDDEN: readonly { readonly pattern: RegExp; readonly why: string }[] = [
  { pattern: /(^|\/)test-support\//, why: 'test helper' },
  { pattern: /\.(test|spec)\.[cm]?[jt]sx?(\.map)?$|\.(test|spec)\.d\.[cm]?ts(\.map)?$/, why: 'test' },
  { pattern: /(^|\/)(tests?|__tests__|test-java|fixtures?)\//, why: 'test data or test folder' },
  { pattern: /\.tsbuildinfo$/, why: 'build leftover' },
];

/**
 * Checks the file list of a packed package: nothing from tests, and everything its manifest points
 * at (each `exports` target, `main`, `types`) plus package.json, README.md and LICENSE.
 *
 * @param paths the tarball's paths relative to its `package/` folder
 * @returns one line per problem; empty when the contents are right
 */
export function tarballProblems(paths: readonly string[], manifest: Manifest): string[] {
  const problems: string[] = [];
  for (const path of paths) {
    const rule = FORBIDDEN.find((r) => r.pattern.test(path));
    if (rule) problems.push(`ships ${path} (${rule.why})`);
  }
  const present = new Set(paths);
  for (const required of ['package.json', 'README.md', 'LICENSE', ...manifestTargets(manifest)]) {
    if (!present.has(required)) problems.push(`does not ship ${required}, which it needs`);
  }
  return problems;
}

/** @returns every file the manifest points at through exports, main and types, package-relative. */
export function manifestTargets(manifest: Manifest): string[] {
  const targets = new Set<string>();
  const visit = (value: unknown, condition: string | undefined): void => {
    // The private source condition points at src/, which ships only for source maps.
    if (condition === '@runnel/source') return;
    if (typeof value === 'string') {
      if (!value.includes('*')) targets.add(value.replace(/^\.\//, ''));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) visit(inner, key);
    }
  };
  visit(manifest.exports, undefined);
  visit(manifest.main, undefined);
  visit(manifest.types, undefined);
  return [...targets].sort();
}
