#!/usr/bin/env node
// @ts-check
/*
 * The CommonJS face of an ESM-only package, written into dist/cjs after `tsc` (run from the package's
 * folder: `node ../../tools/release/cjs-entry.mjs`).
 *
 * Every package is ESM only, and Node >= 22.12 can `require()` it. What breaks is TypeScript: a
 * CommonJS file type-checked under `module: node16` may not import an ES module (TS1479), because
 * node16 models a Node that could not `require()` ESM. So each export's `require` condition points at
 * - dist/cjs/<entry>.js, a one-line CommonJS module that `require()`s the ESM entry, so CommonJS and
 *   ESM users share one copy of every class (no dual-package hazard); and
 * - dist/cjs/**\/*.d.ts, the same declarations in a folder whose package.json says "commonjs", so
 *   TypeScript reads them as CommonJS types of that CommonJS module, which is what they are at run time.
 * No code is compiled twice: the wrappers are one line and the declarations are copies.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A wrong `exports` shape for this step; `code` is stable, the message names the subpath. */
export class CjsEntryError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'CjsEntryError';
    this.code = 'ERR_CJS_ENTRY';
  }
}

/**
 * @typedef {{ subpath: string, wrapper: string, target: string, types: string }} CjsEntry
 * `wrapper` and `types` are package-relative (`dist/cjs/index.js`); `target` is the specifier the
 * wrapper requires, relative to the wrapper (`../index.js`).
 */

/**
 * Reads the CommonJS entries a manifest asks for: every `exports` subpath that has a `require`
 * condition. Each must have the shape
 * `{ import: { types: './dist/X.d.ts', default: './dist/X.js' }, require: { types: './dist/cjs/X.d.ts', default: './dist/cjs/X.js' } }`.
 *
 * @param {{ readonly [field: string]: unknown }} manifest a parsed package.json
 * @returns {CjsEntry[]} one entry per subpath with a `require` condition, in manifest order
 * @throws {CjsEntryError} when a subpath with `require` does not have that shape
 */
export function planCjsEntries(manifest) {
  const exportsField = manifest.exports;
  if (typeof exportsField !== 'object' || exportsField === null) return [];
  /** @type {CjsEntry[]} */
  const entries = [];
  for (const [subpath, value] of Object.entries(exportsField)) {
    if (typeof value !== 'object' || value === null || !('require' in value)) continue;
    const conditions = /** @type {Record<string, unknown>} */ (value);
    const esm = paths(conditions.import, subpath, 'import');
    const cjs = paths(conditions.require, subpath, 'require');
    const rel = esm.default.replace(/^\.\/dist\//, '');
    const expected = {
      default: `./dist/cjs/${rel}`,
      types: `./dist/cjs/${rel.replace(/\.js$/, '.d.ts')}`,
      esmTypes: `./dist/${rel.replace(/\.js$/, '.d.ts')}`,
    };
    if (
      !esm.default.startsWith('./dist/') ||
      !esm.default.endsWith('.js') ||
      esm.types !== expected.esmTypes
    ) {
      throw new CjsEntryError(
        `exports["${subpath}"].import must be { types: "./dist/<entry>.d.ts", default: "./dist/<entry>.js" }`,
      );
    }
    if (cjs.default !== expected.default || cjs.types !== expected.types) {
      throw new CjsEntryError(
        `exports["${subpath}"].require must be { types: "${expected.types}", default: "${expected.default}" }`,
      );
    }
    const wrapper = expected.default.slice(2);
    entries.push({
      subpath,
      wrapper,
      types: expected.types.slice(2),
      target: posix.relative(posix.dirname(wrapper), esm.default.slice(2)),
    });
  }
  return entries;
}

/**
 * @param {unknown} value
 * @param {string} subpath
 * @param {string} condition
 * @returns {{ types: string, default: string }}
 */
function paths(value, subpath, condition) {
  const v = /** @type {Record<string, unknown> | null} */ (typeof value === 'object' ? value : null);
  if (!v || typeof v.types !== 'string' || typeof v.default !== 'string') {
    throw new CjsEntryError(
      `exports["${subpath}"].${condition} must be an object with "types" and "default"`,
    );
  }
  return { types: v.types, default: v.default };
}

/**
 * The source map of a declaration copied one folder deeper: every relative `sources` entry gains a
 * `../` so it still points at the same file under src/.
 *
 * @param {string} mapJson the original .d.ts.map
 * @param {number} depth how many folders deeper the copy lies
 * @returns {string} the rewritten map
 */
export function deepenSourceMap(mapJson, depth) {
  const map = JSON.parse(mapJson);
  const up = '../'.repeat(depth);
  if (Array.isArray(map.sources)) {
    map.sources = map.sources.map((/** @type {string} */ s) => (/^[a-z]+:|^\//i.test(s) ? s : up + s));
  }
  return JSON.stringify(map);
}

/**
 * The CommonJS wrapper module for one entry.
 *
 * @param {string} target the ESM entry, relative to the wrapper
 * @returns {string} the file's text
 */
export function wrapperSource(target) {
  return `'use strict';\n// The ESM entry, loaded through require(esm) (Node >= 22.12): one copy of every class.\nmodule.exports = require('${target}');\n`;
}

/**
 * Writes dist/cjs for the package in `packageDir`: its package.json, a copy of every declaration
 * (and declaration map) under dist/, and one wrapper per CommonJS entry.
 *
 * @param {string} packageDir the package's folder, holding package.json and a built dist/
 * @returns {CjsEntry[]} the entries written
 * @throws {CjsEntryError} on a wrong `exports` shape or a missing declaration
 */
export function writeCjsEntries(packageDir) {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const entries = planCjsEntries(manifest);
  const dist = join(packageDir, 'dist');
  const out = join(dist, 'cjs');
  rmSync(out, { recursive: true, force: true });
  if (entries.length === 0) return entries;
  mkdirSync(out, { recursive: true });
  for (const file of declarations(dist, out)) {
    const rel = relative(dist, file);
    const target = join(out, rel);
    mkdirSync(dirname(target), { recursive: true });
    if (file.endsWith('.map')) writeFileSync(target, deepenSourceMap(readFileSync(file, 'utf8'), 1));
    else copyFileSync(file, target);
  }
  writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');
  for (const entry of entries) {
    const types = join(packageDir, entry.types);
    try {
      readFileSync(types);
    } catch {
      throw new CjsEntryError(`exports["${entry.subpath}"]: ${entry.types} was not built`);
    }
    mkdirSync(dirname(join(packageDir, entry.wrapper)), { recursive: true });
    writeFileSync(join(packageDir, entry.wrapper), wrapperSource(entry.target));
  }
  return entries;
}

/**
 * @param {string} dir
 * @param {string} skip
 * @returns {string[]}
 */
function declarations(dir, skip) {
  /** @type {string[]} */
  const found = [];
  for (const dirent of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, dirent.name);
    if (dirent.isDirectory()) {
      if (path !== skip) found.push(...declarations(path, skip));
    } else if (dirent.name.endsWith('.d.ts') || dirent.name.endsWith('.d.ts.map')) {
      found.push(path);
    }
  }
  return found;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    writeCjsEntries(process.cwd());
  } catch (error) {
    process.stderr.write(`cjs-entry: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
