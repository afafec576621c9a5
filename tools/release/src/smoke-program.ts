// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are the generated program's own template literals.
import { EXPECTED_EXPORTS, SCENARIO_EXPORTS } from './smoke-cases.js';

/**
 * How a smoke program is written: `esm` (.mjs), `cjs` (.cjs), `ts` (TypeScript in an ESM project,
 * compiled under nodenext, node16 or bundler) and `cts` (a CommonJS TypeScript file).
 */
export type SmokeFormat = 'esm' | 'cjs' | 'ts' | 'cts';

/** A package as the smoke programs see it. */
export interface SmokePackage {
  readonly name: string;
  readonly exports: readonly string[];
}

/**
 * @returns the packages with the names each program imports from them: the table's names plus those
 * the scenario needs.
 * @throws Error when a package the scenario needs was not packed.
 */
export function smokePackages(names: readonly string[]): SmokePackage[] {
  for (const needed of Object.keys(SCENARIO_EXPORTS)) {
    if (!names.includes(needed)) throw new Error(`smoke: the scenario needs ${needed}, which was not packed`);
  }
  return names.map((name) => ({
    name,
    exports: [...new Set([...(EXPECTED_EXPORTS[name] ?? []), ...(SCENARIO_EXPORTS[name] ?? [])])],
  }));
}

/** @returns the identifier a program binds `exported` of `pkg` to: `codec_Reader`. */
export function alias(pkg: string, exported: string): string {
  return `${pkg.replace(/^@runnel\//, '').replace(/[^A-Za-z0-9]/g, '_')}_${exported}`;
}

/**
 * Writes a smoke program: it imports every package (namespace and named imports), checks each named
 * export is there, checks that `require()` and `import()` hand out the same objects (one copy of every
 * class), encodes a record batch with the codec and decodes it back, and constructs a Consumer and
 * closes it. It prints `smoke <label>: ok ...` and exits 0, or throws.
 *
 * @returns the program's source text.
 */
export function smokeProgram(format: SmokeFormat, label: string, packages: readonly SmokePackage[]): string {
  const ts = format === 'ts' || format === 'cts';
  const t = (annotation: string) => (ts ? annotation : '');
  const lines = [`// A generated smoke program (tools/release): ${label}.`];
  packages.forEach((pkg, i) => {
    const named = pkg.exports.map((e) => `${e}: ${alias(pkg.name, e)}`);
    if (format === 'cjs') {
      lines.push(`const p${i} = require('${pkg.name}');`);
      if (named.length > 0) lines.push(`const { ${named.join(', ')} } = p${i};`);
    } else {
      lines.push(`import * as p${i} from '${pkg.name}';`);
      const imports = pkg.exports.map((e) => `${e} as ${alias(pkg.name, e)}`);
      if (imports.length > 0) lines.push(`import { ${imports.join(', ')} } from '${pkg.name}';`);
    }
  });
  // The other way of loading: ESM programs require(), CommonJS ones import().
  if (format === 'esm' || format === 'ts') {
    lines.push(
      "import { createRequire } from 'node:module';",
      'const requireModule = createRequire(import.meta.url);',
      `const loadOtherWay = async (name${t(': string')})${t(': Promise<Record<string, unknown>>')} => requireModule(name);`,
    );
  } else {
    lines.push(
      `const loadOtherWay = (name${t(': string')})${t(': Promise<Record<string, unknown>>')} => import(name);`,
    );
  }
  const table = packages.map((pkg, i) => {
    const named = pkg.exports.map((e) => `${e}: ${alias(pkg.name, e)}`).join(', ');
    return `  ['${pkg.name}', p${i}, { ${named} }],`;
  });
  lines.push(
    `const packages${t(': [string, object, Record<string, unknown>][]')} = [`,
    ...table,
    '];',
    '',
    `function check(ok${t(': boolean')}, message${t(': string')})${t(': void')} {`,
    '  if (!ok) throw new Error(`smoke: ${message}`);',
    '}',
    '',
    `async function main()${t(': Promise<string>')} {`,
    '  let names = 0;',
    '  for (const [name, namespace, expected] of packages) {',
    '    check(Object.keys(namespace).length > 0, `${name} exports nothing`);',
    '    const other = await loadOtherWay(name);',
    '    for (const [key, value] of Object.entries(expected)) {',
    '      check(value !== undefined, `${name} has no export ${key}`);',
    '      check(other[key] === value, `${name}: ${key} differs between require() and import()`);',
    '      names++;',
    '    }',
    '  }',
    '  const utf8 = new TextEncoder();',
    `  const text = (bytes${t(': Uint8Array | null')}) => (bytes === null ? 'null' : new TextDecoder().decode(bytes));`,
    `  const bytes = ${alias('@runnel/codec', 'encodeRecordBatch')}({`,
    '    baseOffset: 41,',
    "    records: [{ key: utf8.encode('k'), value: utf8.encode('hello') }, { value: utf8.encode('world') }],",
    '  });',
    `  const batches = [...${alias('@runnel/codec', 'decodeRecordBatches')}(bytes)];`,
    '  check(batches.length === 1, `${batches.length} batches decoded, not 1`);',
    "  const records = [...batches[0]].map((r) => `${r.offset}:${text(r.key)}:${text(r.value)}`).join(' ');",
    "  check(records === '41:k:hello 42:null:world', `decoded ${records}`);",
    `  const consumer = new ${alias('@runnel/consumer', 'Consumer')}({ brokers: '127.0.0.1:9', groupId: 'runnel-smoke' });`,
    '  await consumer.close();',
    `  return \`smoke ${label}: ok: \${packages.length} packages, \${names} named exports (the same objects through require() and import()), batch decoded (\${records}), Consumer constructed and closed\`;`,
    '}',
    '',
    'main().then(',
    '  (line) => console.log(line),',
    `  (error${t(': unknown')}) => {`,
    '    console.error(error);',
    '    process.exitCode = 1;',
    '  },',
    ');',
    '',
  );
  return lines.join('\n');
}
