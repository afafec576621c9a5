/**
 * Runs the BUILT `runnel` (bin/runnel.mjs over dist/runnel.mjs) as a child process, piped or inside a
 * pseudo-terminal (util-linux `script`), and produces keyed records with Kafka's ConsoleProducer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestKafkaCluster } from '@runnel/kafka-local/vitest';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(packageDir, 'bin', 'runnel.mjs');

/**
 * @throws Error when the one-file build the bin runs (dist/runnel.mjs) is missing or older than a
 *   source file: the tests must run what was built.
 */
export function requireFreshBuild(): void {
  let built: number;
  try {
    built = statSync(join(packageDir, 'dist', 'runnel.mjs')).mtimeMs;
  } catch {
    throw new Error('packages/cli is not built: run `pnpm build` before its integration tests');
  }
  const sources = readdirSync(join(packageDir, 'src'), { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('test-support'),
  );
  const stale = sources.filter((f) => statSync(join(packageDir, 'src', f)).mtimeMs > built);
  if (stale.length > 0)
    throw new Error(`packages/cli/dist is older than ${stale.join(', ')}: run \`pnpm build\``);
}

/** How a run ended. */
export interface CliResult {
  /** The exit status; null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

/** Options of {@link runCli}. */
export interface RunOptions {
  /** Added to an environment cleared of color and broker variables. */
  readonly env?: Record<string, string>;
  /** Killed (and the test failed by the caller's assertions) after this long; default 60 s. */
  readonly killAfterMs?: number;
}

/** The environment of a child: this one's, without what would change colors or brokers behind a test's back. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['NO_COLOR', 'FORCE_COLOR', 'KAFKA_BROKERS', 'KAFKA_SASL_PASSWORD', 'TERM'])
    delete env[key];
  return { ...env, TERM: 'xterm-256color', ...extra };
}

/** A started `runnel`, for tests that talk to it while it runs. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** What it printed on stdout so far. */
  stdout(): string;
  /** Resolves when stdout has a line matching `pattern` (rejects after `ms`). */
  waitForOutput(pattern: RegExp, ms?: number): Promise<void>;
  /** Resolves when it exits. */
  readonly done: Promise<CliResult>;
}

/** Starts `node bin/runnel.mjs ...args` with stdout and stderr piped. @returns the running command. */
export function startCli(args: readonly string[], options: RunOptions = {}): RunningCli {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const kill = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 60_000);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      resolve({ code, signal, stdout, stderr, elapsedMs: performance.now() - started });
    });
  });
  return {
    child,
    stdout: () => stdout,
    waitForOutput: (pattern, ms = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(stdout)) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`no ${pattern} on stdout within ${ms} ms; stdout:\n${stdout}\nstderr:\n${stderr}`),
          );
        }, ms);
        listeners.add(check);
        check();
      }),
    done,
  };
}

/** Runs `runnel ...args` to its end. @returns its exit status and output. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `runnel ...args` inside a pseudo-terminal (`script -qfec`), so stdin, stdout and stderr are a
 * terminal; `shellSuffix` is appended to the command line (e.g. `2>/dev/null`, or `> file` to leave only
 * stderr on the terminal).
 * @returns the exit status and what the terminal showed (lines end in \r\n).
 */
export function runInTerminal(
  args: readonly string[],
  options: RunOptions & { shellPrefix?: string; shellSuffix?: string } = {},
): Promise<CliResult> {
  const command = [
    options.shellPrefix ?? '',
    [process.execPath, BIN, ...args].map(shellQuote).join(' '),
    options.shellSuffix ?? '',
  ]
    .join(' ')
    .trim();
  const started = performance.now();
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const kill = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 60_000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      resolve({ code, signal, stdout, stderr, elapsedMs: performance.now() - started });
    });
  });
}

/** One record for {@link produceRecords}. */
export interface TestRecord {
  readonly key: string;
  readonly value: string;
  /** `name:value` pairs. */
  readonly headers?: readonly string[];
}

/**
 * Produces records with Kafka's own ConsoleProducer, keys (and headers, when the records have them)
 * parsed from each line, acknowledged by every replica. Keys decide the partition, as Kafka's default
 * partitioner hashes them.
 * @throws Error when the tool fails, or when only some records have headers.
 */
export async function produceRecords(
  cluster: TestKafkaCluster,
  topic: string,
  records: readonly TestRecord[],
): Promise<void> {
  const mainClass = cluster.version.startsWith('3.')
    ? 'kafka.tools.ConsoleProducer'
    : 'org.apache.kafka.tools.ConsoleProducer';
  const withHeaders = records.filter((r) => r.headers !== undefined).length;
  if (withHeaders !== 0 && withHeaders !== records.length)
    throw new Error('give headers to every record or none');
  const input = records
    .map((r) => `${withHeaders > 0 ? `${r.headers!.join(',')}\t` : ''}${r.key}\t${r.value}\n`)
    .join('');
  const result = await cluster.runJava(
    mainClass,
    [
      '--bootstrap-server',
      cluster.bootstrap,
      '--topic',
      topic,
      '--property',
      'parse.key=true',
      '--property',
      `parse.headers=${withHeaders > 0}`,
      '--producer-property',
      'acks=all',
      '--producer-property',
      'linger.ms=0',
    ],
    { input, timeoutMs: 120_000 },
  );
  if (result.code !== 0)
    throw new Error(`ConsoleProducer failed (exit ${result.code}):\n${result.stderr.slice(-3000)}`);
}
