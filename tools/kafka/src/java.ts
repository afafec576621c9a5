import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { KafkaToolError } from './errors.js';
import { execFile, type ProcessResult } from './exec.js';
import { ensureKafkaJars } from './jars.js';
import { toolLoggingOptions } from './logging.js';
import { findJdkProgram } from './paths.js';
import { trackChild } from './processes.js';
import { kafkaVersionProfile } from './versions.js';

/** Marks every JVM this package starts, so `pkill -f runnel.kafka` can sweep leftovers. */
export const JVM_MARKER = '-Drunnel.kafka=1';

/**
 * Returns the path of `java` (or `javac`): `$JAVA_HOME/bin` first, then PATH.
 *
 * @throws KafkaToolError (code `ERR_KAFKA_NO_JAVA`) when there is none.
 */
export function requireJdkProgram(name: 'java' | 'javac', env: NodeJS.ProcessEnv = process.env): string {
  const found = findJdkProgram(name, env);
  if (found !== undefined) return found;
  const where = env.JAVA_HOME ? `JAVA_HOME=${env.JAVA_HOME} or PATH` : 'PATH (JAVA_HOME is not set)';
  throw new KafkaToolError(`${name} not found in ${where}: install a JDK 17 or newer, or set JAVA_HOME`, {
    code: 'ERR_KAFKA_NO_JAVA',
  });
}

export interface RunJavaOptions {
  /** Kafka version (exact or alias) whose jars are on the classpath. */
  readonly version: string;
  /** Fully qualified main class, e.g. `org.apache.kafka.tools.TopicCommand`. */
  readonly mainClass: string;
  readonly args?: readonly string[];
  /** Extra classpath entries, searched before the version's jars (e.g. a `compileJava` outDir). */
  readonly classpath?: readonly string[];
  /** Environment of the JVM, and where `java` is looked up; defaults to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the JVM and throw after this many milliseconds (default 120 000). */
  readonly timeoutMs?: number;
  /** Written to the JVM's stdin, which is then closed. */
  readonly input?: string | Uint8Array;
  /** JVM options placed before the main class (default: a 256 MiB heap and SerialGC). */
  readonly jvmOptions?: readonly string[];
}

/** Small and single-threaded GC: tools are short-lived and the machine has two cores. */
export const DEFAULT_TOOL_JVM_OPTIONS: readonly string[] = ['-Xms64m', '-Xmx256m', '-XX:+UseSerialGC'];

/**
 * Runs a Java main class with a Kafka version's jars on the classpath. Logging goes to stderr at WARN,
 * so stdout carries only what the tool prints. The JVM is killed if this process exits.
 *
 * @returns stdout, stderr and the exit status (a non-zero status is returned, not thrown).
 * @throws KafkaToolError when java is missing, the version is unsupported, the jars cannot be
 *   downloaded, or the JVM runs past `timeoutMs`.
 */
export async function runJava(options: RunJavaOptions): Promise<ProcessResult> {
  const { java, args } = await javaCommand(options);
  const execOptions = {
    env: options.env ?? process.env,
    timeoutMs: options.timeoutMs ?? 120_000,
    label: `java ${options.mainClass}`,
    ...(options.input === undefined ? {} : { input: options.input }),
  };
  return execFile(java, args, execOptions);
}

/** The `java` program and its arguments for a main class with a Kafka version's jars. */
async function javaCommand(options: RunJavaOptions): Promise<{ java: string; args: string[] }> {
  const java = requireJdkProgram('java', options.env);
  const profile = kafkaVersionProfile(options.version);
  const libDir = await ensureKafkaJars(profile.version);
  const classpath = [...(options.classpath ?? []).map((entry) => resolve(entry)), join(libDir, '*')];
  const args = [
    ...(options.jvmOptions ?? DEFAULT_TOOL_JVM_OPTIONS),
    JVM_MARKER,
    ...(await toolLoggingOptions(profile.version)),
    '-cp',
    classpath.join(delimiter),
    options.mainClass,
    ...(options.args ?? []),
  ];
  return { java, args };
}

/**
 * Starts a Java main class with a Kafka version's jars and returns at once, for tools that run while
 * a test watches their output (VerifiableProducer, say). stdout and stderr are pipes; stdin is closed.
 * The JVM is killed if this process exits. `timeoutMs` and `input` are not used.
 *
 * @returns the running child process.
 * @throws KafkaToolError when java is missing, the version is unsupported or the jars cannot be downloaded.
 */
export async function spawnJava(options: RunJavaOptions): Promise<ChildProcess> {
  const { java, args } = await javaCommand(options);
  const child = spawn(java, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  return child;
}

export interface CompileJavaOptions {
  /** Kafka version (exact or alias) whose jars are the compile classpath. */
  readonly version: string;
  /** Paths of the `.java` files to compile. */
  readonly sources: readonly string[];
  /** Where the `.class` files go (created if missing); pass it as `classpath` to `runJava`. */
  readonly outDir: string;
  /** Environment of javac, and where `javac` is looked up. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Compiles Java sources against a Kafka version's jars (kafka-clients and the rest), e.g. a small
 * cross-check program that `runJava` then runs with `classpath: [outDir]`.
 *
 * @throws KafkaToolError when javac is missing, the jars cannot be downloaded, or compilation fails
 *   (the message then carries javac's diagnostics).
 */
export async function compileJava(options: CompileJavaOptions): Promise<void> {
  const javac = requireJdkProgram('javac', options.env);
  if (options.sources.length === 0) throw new KafkaToolError('compileJava needs at least one .java source');
  const libDir = await ensureKafkaJars(options.version);
  await mkdir(options.outDir, { recursive: true });
  const result = await execFile(
    javac,
    [
      '-nowarn',
      '-encoding',
      'UTF-8',
      '-d',
      resolve(options.outDir),
      '-cp',
      join(libDir, '*'),
      ...options.sources.map((source) => resolve(source)),
    ],
    { env: options.env ?? process.env, timeoutMs: 300_000, label: 'javac' },
  );
  if (result.code !== 0) {
    throw new KafkaToolError(
      `javac failed (exit ${result.code}) compiling ${options.sources.join(', ')}\n${(result.stderr + result.stdout).trim()}`,
    );
  }
}
