/**
 * Java's built-in consumer assignors and consumer-protocol metadata, run on cases given as JSON in one
 * JVM (`java/AssignorHarness.java`, compiled once per Kafka version): the reference that
 * @runnel/assignors is checked against in its tests and timed beside in apps/bench.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaToolError } from './errors.js';
import { compileJava, runJava } from './java.js';
import { DEFAULT_KAFKA_VERSION } from './versions.js';

/** One case's answer: an assignment by member id, an error, run times (bench), or metadata (see the harness). */
export type JavaAssignorResult =
  | { assignment: Record<string, [string, number][]> }
  | { error: string }
  | { nanos: number[] };

/** How to run the harness. */
export interface JavaAssignorOptions {
  /** The Kafka version whose assignors run (default `DEFAULT_KAFKA_VERSION`). */
  readonly version?: string;
  /** Kill the JVM and throw after this many milliseconds (default 300 000). */
  readonly timeoutMs?: number;
  /** JVM options (default: up to 1 GiB of heap, SerialGC, no logging). */
  readonly jvmOptions?: readonly string[];
}

const SOURCE = fileURLToPath(new URL('../java/AssignorHarness.java', import.meta.url));
const RESULT_MARKER = '@@RESULT@@';
const compiled = new Map<string, Promise<string>>();

function compile(version: string): Promise<string> {
  let outDir = compiled.get(version);
  if (outDir === undefined) {
    outDir = (async () => {
      const dir = mkdtempSync(join(tmpdir(), 'runnel-assignors-java-'));
      await compileJava({ version, sources: [SOURCE], outDir: dir });
      return dir;
    })();
    compiled.set(version, outDir);
  }
  return outDir;
}

/**
 * Runs Java's assignors on `input` (`{ cases, bench? }`, the harness's JSON).
 * @returns one result per case, in order.
 * @throws KafkaToolError when java is missing, compiling fails, or the JVM fails or runs too long.
 */
export async function runJavaAssignors(
  input: unknown,
  options: JavaAssignorOptions = {},
): Promise<JavaAssignorResult[]> {
  const version = options.version ?? DEFAULT_KAFKA_VERSION;
  const result = await runJava({
    version,
    mainClass: 'AssignorHarness',
    classpath: [await compile(version)],
    input: JSON.stringify(input),
    timeoutMs: options.timeoutMs ?? 300_000,
    jvmOptions: options.jvmOptions ?? ['-Xms256m', '-Xmx1g', '-XX:+UseSerialGC', '-Dlog4j2.level=OFF'],
  });
  if (result.code !== 0) {
    throw new KafkaToolError(`Java assignor harness failed (${result.code}): ${result.stderr.slice(-2000)}`);
  }
  const marker = result.stdout.lastIndexOf(RESULT_MARKER);
  if (marker < 0) throw new KafkaToolError('Java assignor harness printed no result');
  return JSON.parse(result.stdout.slice(marker + RESULT_MARKER.length)) as JavaAssignorResult[];
}
