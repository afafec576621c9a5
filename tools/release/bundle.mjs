#!/usr/bin/env node
// @ts-check
/*
 * One ES module per entry of a built package, written over tsc's output in dist/ (run from the
 * package's folder after `tsc`, before cjs-entry.mjs: `node ../../tools/release/bundle.mjs`).
 *
 * Why: Node resolves, reads, compiles and links every ES module on its own. @runnel/consumer and the
 * packages under it were some 300 modules; importing them cost ~85 ms and ~30 MiB of RSS on Node 24,
 * and the heap they left behind brought a full garbage collection into the consumer's first 30 ms.
 * One module per package entry: ~25 ms and ~13 MiB (apps/bench, `bench:startup`, has the figures).
 *
 * What it keeps: every other package (other @runnel/* ones included) stays an import, so each
 * package still ships once and the dependency graph users install is unchanged; declarations stay
 * per file (types point into them; nothing of them runs). tsc stays the only compiler: this step links
 * its output, so what runs is what tsc emitted, and the source map runs through tsc's maps to src/.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

/** A wrong `exports` shape for this step; `code` is stable, the message names the subpath. */
export class BundleError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'BundleError';
    this.code = 'ERR_BUNDLE';
  }
}

/**
 * The entries to bundle: every `exports` subpath's ESM target (`import.default`), named by its path
 * under dist/ without `.js` (`index`, `testing/index`).
 *
 * @param {{ readonly [field: string]: unknown }} manifest a parsed package.json
 * @returns {Record<string, string>} entry name -> package-relative file (`dist/index.js`)
 * @throws {BundleError} when an ESM target is not a .js file under ./dist/
 */
export function planEntries(manifest) {
  const exportsField = manifest.exports;
  /** @type {Record<string, string>} */
  const entries = {};
  if (typeof exportsField !== 'object' || exportsField === null) return entries;
  for (const [subpath, value] of Object.entries(exportsField)) {
    if (typeof value !== 'object' || value === null || !('import' in value)) continue;
    const esm = /** @type {{ import: unknown }} */ (value).import;
    const target = typeof esm === 'string' ? esm : /** @type {{ default?: unknown } | null} */ (esm)?.default;
    if (typeof target !== 'string' || !/^\.\/dist\/.+\.js$/.test(target)) {
      throw new BundleError(`exports["${subpath}"].import.default must be "./dist/<entry>.js"`);
    }
    entries[target.slice('./dist/'.length, -'.js'.length)] = target.slice(2);
  }
  return entries;
}

/**
 * Whether an import stays an import: anything that is not a file of this package (a relative or
 * absolute path) is another package or a built-in.
 *
 * @param {string} id the specifier as written
 * @returns {boolean}
 */
export function isExternal(id) {
  return !id.startsWith('.') && !isAbsolute(id);
}

/**
 * A rolldown plugin that hands each of tsc's files over with its source map, so the bundle's map
 * points at src/*.ts rather than at files this step deletes.
 *
 * @returns {import('rolldown').Plugin}
 */
function tscSourceMaps() {
  return {
    name: 'runnel-tsc-source-maps',
    load(id) {
      if (!id.endsWith('.js')) return null;
      const code = readFileSync(id, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
      const mapFile = `${id}.map`;
      return existsSync(mapFile) ? { code, map: readFileSync(mapFile, 'utf8') } : { code };
    },
  };
}

/**
 * Bundles the package in `packageDir`: each entry of its `exports` becomes one file in dist/ (modules
 * shared by two entries go to one chunk beside them), with its source map; tsc's other .js files and
 * their maps are removed, declarations are kept.
 *
 * @param {string} packageDir the package's folder, holding package.json and tsc's dist/
 * @returns {Promise<string[]>} the files written, relative to dist/
 * @throws {BundleError} on a wrong `exports` shape or an entry tsc did not build
 */
export async function bundlePackage(packageDir) {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const entries = planEntries(manifest);
  const dist = join(packageDir, 'dist');
  /** @type {Record<string, string>} */
  const input = {};
  for (const [name, file] of Object.entries(entries)) {
    const path = join(packageDir, file);
    if (!existsSync(path)) throw new BundleError(`${file} was not built (run tsc first)`);
    input[name] = path;
  }
  if (Object.keys(input).length === 0) return [];
  const staging = join(packageDir, '.bundle');
  rmSync(staging, { recursive: true, force: true });
  const bundle = await rolldown({
    input,
    platform: 'node',
    external: isExternal,
    plugins: [tscSourceMaps()],
    logLevel: 'warn',
  });
  try {
    await bundle.write({
      dir: staging,
      format: 'esm',
      sourcemap: true,
      entryFileNames: '[name].js',
      chunkFileNames: '[name]-[hash].js',
    });
  } finally {
    await bundle.close();
  }
  removeEmittedJs(dist, join(dist, 'cjs'));
  const written = files(staging).map((f) => relative(staging, f));
  for (const rel of written) {
    mkdirSync(dirname(join(dist, rel)), { recursive: true });
    renameSync(join(staging, rel), join(dist, rel));
  }
  rmSync(staging, { recursive: true, force: true });
  return written.map((rel) => rel.split(sep).join('/'));
}

/**
 * Removes tsc's .js and .js.map files under `dir` (not under `skip`); declarations stay.
 *
 * @param {string} dir
 * @param {string} skip
 */
function removeEmittedJs(dir, skip) {
  for (const file of files(dir)) {
    if (file.startsWith(skip + sep)) continue;
    if (file.endsWith('.js') || file.endsWith('.js.map')) rmSync(file);
  }
}

/**
 * @param {string} dir
 * @returns {string[]} every file under `dir`
 */
function files(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  bundlePackage(process.cwd()).catch((error) => {
    process.stderr.write(`bundle: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
