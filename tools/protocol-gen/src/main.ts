import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureKafkaJars } from '@runnel/kafka-local';
import { GeneratorError } from './errors.js';
import { generate } from './generate.js';
import { emitErrorCodes, readKafkaErrors } from './kafka-errors.js';
import { PROTOCOL_KAFKA_VERSION } from './pinned-version.js';
import { readZipEntries } from './zip.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');
const outRoot = join(repoRoot, 'packages/protocol/src');

interface Options {
  check: boolean;
  jar: string | undefined;
  kafkaVersion: string;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    check: false,
    jar: process.env.RUNNEL_KAFKA_CLIENTS_JAR,
    kafkaVersion: PROTOCOL_KAFKA_VERSION,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') o.check = true;
    else if (a === '--jar') o.jar = argv[++i];
    else if (a === '--kafka-version') o.kafkaVersion = argv[++i] ?? PROTOCOL_KAFKA_VERSION;
    else throw new GeneratorError(`unknown argument ${a}; usage: gen [--check] [--jar kafka-clients.jar]`);
  }
  return o;
}

/**
 * Finds the kafka-clients jar of `version`, downloading Kafka's jars through @runnel/kafka-local if
 * needed; the jars beside it are the classpath the error table is read with.
 */
async function findClientsJar(version: string): Promise<string> {
  const jar = join(await ensureKafkaJars(version), `kafka-clients-${version}.jar`);
  if (!existsSync(jar)) throw new GeneratorError(`${jar} does not exist`);
  return jar;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(outRoot, join(e.parentPath, e.name)));
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const jar = o.jar ?? (await findClientsJar(o.kafkaVersion));
  const entries = readZipEntries(readFileSync(jar), (n) => /^common\/message\/[^/]+\.json$/.test(n));
  if (entries.size === 0) throw new GeneratorError(`${jar} holds no common/message/*.json`);
  const definitions = new Map<string, string>();
  const decoder = new TextDecoder();
  for (const [name, bytes] of entries)
    definitions.set(name.slice('common/message/'.length), decoder.decode(bytes));
  const files = generate(definitions, o.kafkaVersion);
  // The error table comes from the same jar, through its Errors enum (and the jars beside it).
  files.set('generated/error-codes.ts', emitErrorCodes(readKafkaErrors(dirname(jar)), o.kafkaVersion));
  const existing = listFiles(join(outRoot, 'generated'));
  const stale = existing.filter((f) => !files.has(f));
  const changed = [...files].filter(([path, text]) => {
    const full = join(outRoot, path);
    return !existsSync(full) || readFileSync(full, 'utf8') !== text;
  });
  if (o.check) {
    if (changed.length === 0 && stale.length === 0) {
      console.log(`protocol-gen: ${files.size} generated files are up to date (Kafka ${o.kafkaVersion})`);
      return 0;
    }
    for (const [path] of changed) console.error(`protocol-gen: would change packages/protocol/src/${path}`);
    for (const path of stale) console.error(`protocol-gen: would delete packages/protocol/src/${path}`);
    console.error(
      'protocol-gen: generated code is out of date; run `pnpm --filter @runnel/protocol-gen gen`',
    );
    return 1;
  }
  for (const path of stale) rmSync(join(outRoot, path));
  for (const [path, text] of changed) {
    const full = join(outRoot, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  console.log(
    `protocol-gen: ${definitions.size} definitions from Kafka ${o.kafkaVersion} -> ${files.size} files ` +
      `(${changed.length} written, ${stale.length} deleted)`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`protocol-gen: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
