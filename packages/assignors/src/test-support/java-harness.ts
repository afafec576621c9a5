/** Runs Java's assignors (test-java/AssignorHarness.java) on a batch of cases in one JVM. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileJava, runJava } from '@runnel/kafka-local';

/** The Kafka version whose assignors are the reference. */
export const JAVA_KAFKA_VERSION = '4.4.0';

const source = resolve(dirname(fileURLToPath(import.meta.url)), '../../test-java/AssignorHarness.java');
let compiled: Promise<string> | undefined;

function compile(): Promise<string> {
  compiled ??= (async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'runnel-assignors-java-'));
    await compileJava({ version: JAVA_KAFKA_VERSION, sources: [source], outDir });
    return outDir;
  })();
  return compiled;
}

export type JavaResult =
  | { assignment: Record<string, [string, number][]> }
  | { error: string }
  | { nanos: number[] };

/**
 * Runs the harness on `input` ({cases, bench?}).
 * @returns one result per case.
 * @throws Error when the JVM fails.
 */
export async function runJavaAssignors(input: unknown, timeoutMs = 300_000): Promise<JavaResult[]> {
  const outDir = await compile();
  const result = await runJava({
    version: JAVA_KAFKA_VERSION,
    mainClass: 'AssignorHarness',
    classpath: [outDir],
    input: JSON.stringify(input),
    timeoutMs,
    jvmOptions: ['-Xms256m', '-Xmx1g', '-XX:+UseSerialGC', '-Dlog4j2.level=OFF'],
  });
  if (result.code !== 0)
    throw new Error(`Java assignor harness failed (${result.code}): ${result.stderr.slice(-2000)}`);
  const marker = result.stdout.lastIndexOf('@@RESULT@@');
  return JSON.parse(result.stdout.slice(marker + '@@RESULT@@'.length)) as JavaResult[];
}
