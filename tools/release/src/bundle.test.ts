import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundlePackage, isExternal, planEntries } from '../bundle.mjs';
import { nodeBinary } from './test-support/node-binary.js';

const entry = (rel: string) => ({
  '@runnel/source': `./src/${rel}.ts`,
  import: { types: `./dist/${rel}.d.ts`, default: `./dist/${rel}.js` },
  require: { types: `./dist/cjs/${rel}.d.ts`, default: `./dist/cjs/${rel}.js` },
});

describe('planEntries', () => {
  it('names one entry per subpath with an ESM target, by its path under dist/', () => {
    expect(
      planEntries({
        exports: {
          '.': entry('index'),
          './testing': entry('testing/index'),
          './package.json': './package.json',
        },
      }),
    ).toEqual({ index: 'dist/index.js', 'testing/index': 'dist/testing/index.js' });
    expect(planEntries({})).toEqual({});
  });

  it('names the subpath whose ESM target is not a .js file under dist/', () => {
    expect(() =>
      planEntries({ exports: { './x': { import: { types: './x.d.ts', default: './lib/x.mjs' } } } }),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_BUNDLE',
        message: 'exports["./x"].import.default must be "./dist/<entry>.js"',
      }),
    );
  });
});

describe('isExternal', () => {
  it('keeps other packages and built-ins as imports, bundles the package own files', () => {
    expect(['@runnel/codec', 'node:zlib', 'commander', 'lz4-napi/sub'].map(isExternal)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['./reader.js', '../errors.js', '/abs/dist/x.js'].map(isExternal)).toEqual([false, false, false]);
  });
});

describe('bundlePackage', () => {
  let root = '';
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A package as tsc leaves it: two entries sharing one module, maps into src/, declarations. */
  function builtPackage(): string {
    root = mkdtempSync(join(tmpdir(), 'runnel-bundle-'));
    const dir = join(root, 'node_modules', 'probe');
    mkdirSync(join(dir, 'dist', 'testing'), { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'probe',
        type: 'module',
        exports: { '.': entry('index'), './testing': entry('testing/index') },
      }),
    );
    const js = (rel: string, code: string) => {
      writeFileSync(join(dir, 'dist', rel), `${code}\n//# sourceMappingURL=${rel.split('/').pop()}.map\n`);
      const depth = rel.split('/').length - 1;
      writeFileSync(
        join(dir, 'dist', `${rel}.map`),
        JSON.stringify({
          version: 3,
          file: rel,
          sources: [`${'../'.repeat(depth + 1)}src/${rel.replace(/\.js$/, '.ts')}`],
          names: [],
          // every line maps to the same line of the source
          mappings: [
            'AAAA',
            ...code
              .split('\n')
              .slice(1)
              .map(() => 'AACA'),
          ].join(';'),
        }),
      );
    };
    js('thing.js', 'export class Thing {}');
    js(
      'index.js',
      "import { Thing } from './thing.js';\nimport { gzipSync } from 'node:zlib';\nexport { Thing };\nexport const zipped = gzipSync('x').length > 0;",
    );
    js('testing/index.js', "import { Thing } from '../thing.js';\nexport const make = () => new Thing();");
    writeFileSync(join(dir, 'dist', 'index.d.ts'), "export * from './thing.js';\n");
    writeFileSync(join(dir, 'dist', 'thing.d.ts'), 'export declare class Thing {}\n');
    return dir;
  }

  it('writes one module per entry, the shared module once, and keeps declarations', async () => {
    const dir = builtPackage();

    const written = await bundlePackage(dir);

    const chunk = written.find((f) => f.startsWith('thing-') && f.endsWith('.js'));
    expect(chunk).toBeDefined();
    expect([...written].sort()).toEqual(
      ['index.js', 'index.js.map', 'testing/index.js', 'testing/index.js.map', chunk, `${chunk}.map`].sort(),
    );
    expect(existsSync(join(dir, 'dist', 'thing.js'))).toBe(false);
    expect(existsSync(join(dir, 'dist', 'thing.js.map'))).toBe(false);
    expect(
      readdirSync(join(dir, 'dist'))
        .filter((f) => f.endsWith('.d.ts'))
        .sort(),
    ).toEqual(['index.d.ts', 'thing.d.ts']);
    expect(existsSync(join(dir, '.bundle'))).toBe(false);
    expect(readFileSync(join(dir, 'dist', 'index.js'), 'utf8')).toContain('from "node:zlib"');
    const map = JSON.parse(readFileSync(join(dir, 'dist', 'index.js.map'), 'utf8'));
    expect(map.sources).toEqual(expect.arrayContaining(['../src/index.ts']));
    const probe = spawnSync(
      nodeBinary,
      [
        '--input-type=module',
        '-e',
        "const a = await import('probe'); const b = await import('probe/testing'); console.log(a.zipped, b.make() instanceof a.Thing);",
      ],
      { encoding: 'utf8', cwd: root },
    );
    expect(probe.stderr).toBe('');
    expect(probe.stdout.trim()).toBe('true true');
  });

  it('fails naming the entry tsc did not build, and leaves dist/ as it was', async () => {
    const dir = builtPackage();
    rmSync(join(dir, 'dist', 'testing', 'index.js'));
    await expect(bundlePackage(dir)).rejects.toThrow('dist/testing/index.js was not built (run tsc first)');
    expect(existsSync(join(dir, 'dist', 'thing.js'))).toBe(true);
  });
});
