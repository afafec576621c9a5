import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPECTED_EXPORTS } from './smoke-cases.js';
import { alias, smokePackages, smokeProgram } from './smoke-program.js';
import { nodeBinary } from './test-support/node-binary.js';

const names = ['@runnel/codec', '@runnel/consumer', '@runnel/new-thing'];

describe('smokePackages', () => {
  it('adds the scenario names to the table, and checks a package missing from it as a whole', () => {
    const packages = smokePackages(names);
    expect(packages.map((p) => p.name)).toEqual(names);
    expect(packages[0]?.exports).toEqual(EXPECTED_EXPORTS['@runnel/codec']);
    expect(packages[1]?.exports).toContain('Consumer');
    expect(packages[2]?.exports).toEqual([]);
  });

  it('refuses a package set without what the scenario needs', () => {
    expect(() => smokePackages(['@runnel/codec'])).toThrow('the scenario needs @runnel/consumer');
  });
});

describe('smokeProgram', () => {
  const packages = smokePackages(names);

  it('binds each named export to a package-qualified name', () => {
    expect(alias('@runnel/codec', 'Reader')).toBe('codec_Reader');
    expect(alias('@runnel/new-thing', 'X')).toBe('new_thing_X');
  });

  it('imports in ESM and TypeScript, requires in CommonJS, and loads the other way to compare', () => {
    const esm = smokeProgram('esm', 'esm', packages);
    expect(esm).toContain('import { Consumer as consumer_Consumer, ConfigError as consumer_ConfigError');
    expect(esm).toContain('createRequire(import.meta.url)');
    expect(esm).not.toContain(': string');
    const cjs = smokeProgram('cjs', 'cjs', packages);
    expect(cjs).toContain("const p2 = require('@runnel/new-thing');");
    expect(cjs).not.toMatch(/^import /m);
    expect(cjs).toContain('import(name)');
    const cts = smokeProgram('cts', 'cts', packages);
    expect(cts).toMatch(/^import \* as p0 from '@runnel\/codec';$/m);
    expect(cts).toContain('(name: string): Promise<Record<string, unknown>> => import(name)');
  });

  it('writes JavaScript that Node parses, in both module formats', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runnel-smoke-program-'));
    try {
      writeFileSync(join(dir, 'a.mjs'), smokeProgram('esm', 'esm', packages));
      writeFileSync(join(dir, 'a.cjs'), smokeProgram('cjs', 'cjs', packages));
      for (const file of ['a.mjs', 'a.cjs']) {
        const checked = spawnSync(nodeBinary, ['--check', join(dir, file)], { encoding: 'utf8' });
        expect(checked.stderr).toBe('');
        expect(checked.status).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
