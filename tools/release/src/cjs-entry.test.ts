import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deepenSourceMap, planCjsEntries, wrapperSource, writeCjsEntries } from '../cjs-entry.mjs';
import { nodeBinary } from './test-support/node-binary.js';

const entry = (rel: string) => ({
  '@runnel/source': `./src/${rel}.ts`,
  import: { types: `./dist/${rel}.d.ts`, default: `./dist/${rel}.js` },
  require: { types: `./dist/cjs/${rel}.d.ts`, default: `./dist/cjs/${rel}.js` },
});

describe('planCjsEntries', () => {
  it('plans one wrapper per subpath with a require condition, requiring the ESM entry', () => {
    const plan = planCjsEntries({
      exports: {
        '.': entry('index'),
        './testing': entry('testing/index'),
        './package.json': './package.json',
      },
    });
    expect(plan).toEqual([
      { subpath: '.', wrapper: 'dist/cjs/index.js', types: 'dist/cjs/index.d.ts', target: '../index.js' },
      {
        subpath: './testing',
        wrapper: 'dist/cjs/testing/index.js',
        types: 'dist/cjs/testing/index.d.ts',
        target: '../../testing/index.js',
      },
    ]);
  });

  it('plans nothing for a manifest without require conditions', () => {
    expect(
      planCjsEntries({ exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } } }),
    ).toEqual([]);
    expect(planCjsEntries({})).toEqual([]);
  });

  it('names the subpath whose require condition points elsewhere', () => {
    const bad = { ...entry('index'), require: { types: './dist/index.d.cts', default: './dist/index.cjs' } };
    expect(() => planCjsEntries({ exports: { '.': bad } })).toThrow(
      expect.objectContaining({
        code: 'ERR_CJS_ENTRY',
        message: expect.stringContaining('exports["."].require must be { types: "./dist/cjs/index.d.ts"'),
      }),
    );
  });

  it('refuses an import condition without types', () => {
    const bad = { ...entry('index'), import: './dist/index.js' };
    expect(() => planCjsEntries({ exports: { '.': bad } })).toThrow(
      /exports\["\."\]\.import must be an object/,
    );
  });
});

describe('deepenSourceMap', () => {
  it('moves relative sources one folder up and leaves absolute ones', () => {
    const map = JSON.stringify({ version: 3, sources: ['../src/a.ts', 'file:///x/b.ts', '/abs/c.ts'] });
    expect(JSON.parse(deepenSourceMap(map, 1)).sources).toEqual([
      '../../src/a.ts',
      'file:///x/b.ts',
      '/abs/c.ts',
    ]);
  });
});

describe('writeCjsEntries', () => {
  let root = '';
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('writes a CommonJS tree whose require() returns the very module that import() loads', () => {
    root = mkdtempSync(join(tmpdir(), 'runnel-cjs-entry-'));
    const dir = join(root, 'node_modules', 'probe');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'probe', type: 'module', exports: { '.': entry('index') } }),
    );
    mkdirSync(join(dir, 'dist', 'nested'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'index.js'), 'export class Thing {}\nexport const answer = 42;\n');
    writeFileSync(join(dir, 'dist', 'index.d.ts'), "export * from './nested/thing.js';\n");
    writeFileSync(
      join(dir, 'dist', 'index.d.ts.map'),
      JSON.stringify({ version: 3, sources: ['../src/index.ts'] }),
    );
    writeFileSync(join(dir, 'dist', 'nested', 'thing.d.ts'), 'export declare class Thing {}\n');

    const written = writeCjsEntries(dir);

    expect(written.map((e) => e.wrapper)).toEqual(['dist/cjs/index.js']);
    expect(JSON.parse(readFileSync(join(dir, 'dist/cjs/package.json'), 'utf8'))).toEqual({
      type: 'commonjs',
    });
    expect(readFileSync(join(dir, 'dist/cjs/nested/thing.d.ts'), 'utf8')).toBe(
      'export declare class Thing {}\n',
    );
    expect(JSON.parse(readFileSync(join(dir, 'dist/cjs/index.d.ts.map'), 'utf8')).sources).toEqual([
      '../../src/index.ts',
    ]);
    expect(readFileSync(join(dir, 'dist/cjs/index.js'), 'utf8')).toBe(wrapperSource('../index.js'));
    const probe = spawnSync(
      nodeBinary,
      [
        '-e',
        "const cjs = require('probe'); import('probe').then((esm) => console.log(cjs.answer, cjs.Thing === esm.Thing));",
      ],
      { encoding: 'utf8', cwd: root },
    );
    expect(probe.stderr).toBe('');
    expect(probe.stdout.trim()).toBe('42 true');
  });

  it('removes a stale tree and fails naming the entry whose declarations were not built', () => {
    const dir = (root = mkdtempSync(join(tmpdir(), 'runnel-cjs-entry-')));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ exports: { '.': entry('index') } }));
    mkdirSync(join(dir, 'dist', 'cjs'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'cjs', 'stale.d.ts'), '');
    expect(() => writeCjsEntries(dir)).toThrow(/exports\["\."\]: dist\/cjs\/index\.d\.ts was not built/);
    expect(() => readFileSync(join(dir, 'dist/cjs/stale.d.ts'))).toThrow();
  });
});
