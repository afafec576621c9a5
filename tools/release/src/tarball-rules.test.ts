import { describe, expect, it } from 'vitest';
import { manifestTargets, tarballProblems } from './tarball-rules.js';
import type { Manifest } from './workspace.js';

const manifest: Manifest = {
  name: '@runnel/x',
  version: '0.0.0',
  main: './dist/index.js',
  types: './dist/index.d.ts',
  exports: {
    '.': {
      '@runnel/source': './src/index.ts',
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/cjs/index.d.ts', default: './dist/cjs/index.js' },
    },
    './package.json': './package.json',
  },
};
const needed = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts'];

describe('tarballProblems', () => {
  it('lists what the manifest points at, except the private source condition', () => {
    expect(manifestTargets(manifest)).toEqual([
      'dist/cjs/index.d.ts',
      'dist/cjs/index.js',
      'dist/index.d.ts',
      'dist/index.js',
      'package.json',
    ]);
  });

  it('accepts sources, maps and a deliberate testing entry', () => {
    const paths = [
      ...needed,
      'dist/cjs/index.js',
      'dist/cjs/index.d.ts',
      'src/index.ts',
      'src/testing/fake.ts',
    ];
    expect(tarballProblems(paths, manifest)).toEqual([]);
  });

  it('refuses tests, test helpers, fixtures and build leftovers', () => {
    const paths = [
      ...needed,
      'dist/cjs/index.js',
      'dist/cjs/index.d.ts',
      'src/test-support/fake-clock.ts',
      'src/consumer.test.ts',
      'src/group.int.test.ts',
      'dist/x.test.js.map',
      'test/fixtures/batch.bin',
      'tsconfig.build.tsbuildinfo',
    ];
    expect(tarballProblems(paths, manifest)).toEqual([
      'ships src/test-support/fake-clock.ts (test helper)',
      'ships src/consumer.test.ts (test)',
      'ships src/group.int.test.ts (test)',
      'ships dist/x.test.js.map (test)',
      'ships test/fixtures/batch.bin (test data or test folder)',
      'ships tsconfig.build.tsbuildinfo (build leftover)',
    ]);
  });

  it('names every file the package needs but does not ship', () => {
    expect(tarballProblems(['package.json', 'dist/index.js'], manifest)).toEqual([
      'does not ship README.md, which it needs',
      'does not ship LICENSE, which it needs',
      'does not ship dist/cjs/index.d.ts, which it needs',
      'does not ship dist/cjs/index.js, which it needs',
      'does not ship dist/index.d.ts, which it needs',
    ]);
  });
});
