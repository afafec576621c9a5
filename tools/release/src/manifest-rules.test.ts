import { describe, expect, it } from 'vitest';
import { manifestProblems, type RootFacts } from './manifest-rules.js';
import type { Manifest } from './workspace.js';

const URL = 'git+https://example.org/runnel/runnel.git';
const root: RootFacts = {
  manifest: {
    name: 'root',
    version: '0.0.0',
    engines: { node: '>=22.15' },
    repository: { type: 'git', url: URL },
  },
  license: 'LICENSE TEXT',
};
const readme = '# @runnel/x\n\n```sh\nnpm install @runnel/x\n```\n\n```ts\nnew X();\n```\n\n## Links\n';
const entry = {
  import: { types: './dist/index.d.ts', default: './dist/index.js' },
  require: { types: './dist/cjs/index.d.ts', default: './dist/cjs/index.js' },
};
const good: Manifest = {
  name: '@runnel/x',
  version: '0.0.0',
  license: 'Apache-2.0',
  author: 'The Runnel authors',
  repository: { type: 'git', url: URL, directory: 'packages/x' },
  homepage: 'https://example.org/runnel/runnel/tree/main/packages/x#readme',
  bugs: { url: 'https://example.org/runnel/runnel/issues' },
  keywords: ['kafka'],
  type: 'module',
  engines: { node: '>=22.15' },
  exports: { '.': entry, './package.json': './package.json' },
};
const files = { license: 'LICENSE TEXT', readme };

describe('manifestProblems', () => {
  it('finds nothing wrong with a complete package', () => {
    expect(manifestProblems('packages/x', good, files, root)).toEqual([]);
  });

  it('names each missing or wrong field', () => {
    const { author: _a, keywords: _k, ...rest } = good;
    const bad: Manifest = {
      ...rest,
      license: 'MIT',
      engines: { node: '>=20.19' },
      repository: { type: 'git', url: URL, directory: 'packages/y' },
      homepage: 'https://elsewhere.example/x',
      bugs: undefined,
    };
    expect(manifestProblems('packages/x', bad, files, root)).toEqual([
      'license is "MIT", not Apache-2.0',
      'no author',
      `repository must be { type: "git", url: "${URL}", directory: "packages/x" }`,
      'homepage must lie under https://example.org/runnel/runnel/',
      'bugs.url must be https://example.org/runnel/runnel/issues',
      'keywords must include "kafka"',
      'engines.node is ">=20.19", the root says ">=22.15"',
    ]);
  });

  it('wants the root LICENSE text in the package', () => {
    expect(manifestProblems('packages/x', good, { ...files, license: undefined }, root)).toEqual([
      'no LICENSE file (copy the root LICENSE)',
    ]);
    expect(manifestProblems('packages/x', good, { ...files, license: 'other' }, root)).toEqual([
      'LICENSE differs from the root LICENSE',
    ]);
  });

  it('wants a CommonJS face for every entry', () => {
    const exportsField = { '.': entry, './testing': { types: './dist/t.d.ts', default: './dist/t.js' } };
    expect(manifestProblems('packages/x', { ...good, exports: exportsField }, files, root)).toEqual([
      'exports["./testing"] has no require condition (see tools/release/cjs-entry.mjs)',
    ]);
  });

  it('wants the README to show the install command, an example and links', () => {
    expect(manifestProblems('packages/x', good, { ...files, readme: '# x\n' }, root)).toEqual([
      'README.md does not show `npm install @runnel/x`',
      'README.md has no example code block',
      'README.md has no "## Links" section',
    ]);
  });
});
