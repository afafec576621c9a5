import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const PROGRAM = join(HERE, 'test-support/kafkajs-program.ts');

/** @returns the compiler's error messages for one file (strict, Node module resolution). */
function diagnostics(file: string): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: ['node'],
    customConditions: ['@runnel/source'],
    allowImportingTsExtensions: false,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe("KafkaJS's consumer types", () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a KafkaJS program compiles against @runnel/kafkajs and against kafkajs, only the import differing', async () => {
    const source = await readFile(PROGRAM, 'utf8');
    expect(source).toContain("from '../index.js'");
    // The copy sits in this package, so that 'kafkajs' resolves to the dev dependency.
    dir = await mkdtemp(resolve(HERE, '../.kafkajs-types-'));
    const original = join(dir, 'original.ts');
    await writeFile(original, source.replace("from '../index.js'", "from 'kafkajs'"));
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }');
    expect(diagnostics(PROGRAM)).toEqual([]);
    expect(diagnostics(original)).toEqual([]);
  }, 60_000);
});
