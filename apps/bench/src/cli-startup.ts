/**
 * `pnpm --filter @runnel/bench-app bench:cli`: how long `runnel consume` takes from the command line to
 * its first record on a local broker, side by side with kcat (when installed) and Kafka's own
 * ConsoleConsumer, and with a bare `node` that prints one line (the floor any Node command starts from).
 * Each command reads one record from offset 0 of a one-partition topic without a group, is timed from
 * spawn to the first byte on stdout and to its exit, interleaved and rotated round by round; the
 * report gives medians and Runnel's ratio to each.
 *
 * usage: node apps/bench/dist/cli-startup.js [--reps N] [--out DIR]
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  createTopic,
  DEFAULT_TOOL_JVM_OPTIONS,
  JVM_MARKER,
  producePerf,
  requireJdkProgram,
  startKafka,
} from '@runnel/kafka-local';
import { hasGnuTime, parseGnuTimeUsage } from './e2e/measure.js';
import { BENCH_DIR } from './e2e/paths.js';
import { median, ratio, rotation } from './e2e/stats.js';

const TOPIC = 'cli-startup';

/** One command under test. */
interface Contender {
  readonly id: string;
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
}

/** One timed run. */
interface Timing {
  readonly firstOutputMs: number;
  readonly exitMs: number;
  /** utime + stime of the whole run (GNU time): what the start costs a machine that is not busy. */
  readonly cpuMs: number | null;
  readonly peakRssKiB: number | null;
}

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : (process.argv[i + 1] ?? fallback);
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const require = createRequire(import.meta.url);

/**
 * Runs a command once, under GNU time when it is installed.
 * @returns the time to its first stdout byte and to its exit, and its CPU time and peak RSS.
 * @throws Error when it exits non-zero, prints nothing, or runs past 60 s.
 */
async function timeOnce(c: Contender): Promise<Timing> {
  const dir = hasGnuTime() ? await mkdtemp(join(tmpdir(), 'runnel-cli-startup-')) : null;
  const usageFile = dir === null ? null : join(dir, 'usage');
  const [file, args] =
    usageFile === null
      ? [c.command, c.args]
      : ['/usr/bin/time', ['-f', 'runnel-usage %e %U %S %M', '-o', usageFile, c.command, ...c.args]];
  try {
    const { firstOutputMs, exitMs } = await new Promise<{ firstOutputMs: number; exitMs: number }>(
      (resolvePromise, reject) => {
        const started = performance.now();
        let first: number | undefined;
        let stderr = '';
        const child = spawn(file, [...args], {
          env: { ...process.env, ...c.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout.once('data', () => {
          first = performance.now() - started;
        });
        child.stdout.resume();
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          if (code !== 0 || first === undefined)
            reject(new Error(`${c.label} failed (exit ${code}): ${stderr.slice(-2000)}`));
          else resolvePromise({ firstOutputMs: first, exitMs: performance.now() - started });
        });
      },
    );
    const usage = usageFile === null ? undefined : parseGnuTimeUsage(await readFile(usageFile, 'utf8'));
    return { firstOutputMs, exitMs, cpuMs: usage?.cpuMs ?? null, peakRssKiB: usage?.peakRssKiB ?? null };
  } finally {
    if (dir !== null) await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const reps = Number(option('--reps', '9'));
  const outDir = resolve(option('--out', join(BENCH_DIR, 'results')));
  const log = (message: string) => process.stderr.write(`[cli-startup] ${message}\n`);
  const cluster = await startKafka();
  try {
    await createTopic(cluster, { topic: TOPIC, partitions: 1 });
    await producePerf(cluster, { topic: TOPIC, numRecords: 1000, recordSize: 100 });
    const runnel = join(dirname(require.resolve('@runnel/cli/package.json')), 'bin', 'runnel.mjs');
    const runnelArgs = [
      runnel,
      'consume',
      TOPIC,
      '-b',
      cluster.bootstrap,
      '--from',
      'earliest',
      '-n',
      '1',
      '-f',
      '%o\\n',
    ];
    const contenders: Contender[] = [
      { id: 'runnel', label: 'runnel consume', command: process.execPath, args: runnelArgs },
      {
        id: 'runnel-cold',
        label: 'runnel consume, no compile cache',
        command: process.execPath,
        args: runnelArgs,
        env: { NODE_DISABLE_COMPILE_CACHE: '1' },
      },
      {
        id: 'node',
        label: "node -e (Node's own start)",
        command: process.execPath,
        args: ['-e', "process.stdout.write('0\\n')"],
      },
      {
        id: 'java',
        label: 'Kafka ConsoleConsumer (JVM)',
        command: requireJdkProgram('java'),
        args: [
          ...DEFAULT_TOOL_JVM_OPTIONS,
          JVM_MARKER,
          '-cp',
          join(cluster.libDir, '*'),
          'org.apache.kafka.tools.consumer.ConsoleConsumer',
          '--bootstrap-server',
          cluster.bootstrap,
          '--topic',
          TOPIC,
          '--partition',
          '0',
          '--offset',
          'earliest',
          '--max-messages',
          '1',
        ],
      },
    ];
    if (onPath('kcat')) {
      contenders.push({
        id: 'kcat',
        label: 'kcat (librdkafka)',
        command: 'kcat',
        args: [
          '-C',
          '-b',
          cluster.bootstrap,
          '-t',
          TOPIC,
          '-p',
          '0',
          '-o',
          'beginning',
          '-c',
          '1',
          '-e',
          '-q',
          '-f',
          '%o\\n',
        ],
      });
    } else {
      log('kcat is not on PATH: left out');
    }
    // One untimed run each: page cache, the compile cache of the warm case, the JVM's class data.
    for (const c of contenders) await timeOnce(c);
    const timings = new Map<string, Timing[]>(contenders.map((c) => [c.id, []]));
    for (let rep = 0; rep < reps; rep++) {
      for (const c of rotation(contenders, rep)) timings.get(c.id)!.push(await timeOnce(c));
      log(`round ${rep + 1}/${reps} done`);
    }
    const medianOf = (t: readonly Timing[], pick: (x: Timing) => number | null) => {
      const values = t.map(pick).filter((v): v is number => v !== null);
      return values.length === 0 ? null : median(values)!;
    };
    const rows = contenders.map((c) => {
      const t = timings.get(c.id)!;
      return {
        id: c.id,
        label: c.label,
        firstOutputMs: medianOf(t, (x) => x.firstOutputMs)!,
        exitMs: medianOf(t, (x) => x.exitMs)!,
        cpuMs: medianOf(t, (x) => x.cpuMs),
        peakRssKiB: medianOf(t, (x) => x.peakRssKiB),
        runs: t,
      };
    });
    const runnelRow = rows.find((r) => r.id === 'runnel')!;
    const show = (v: number | null | undefined, digits = 0) =>
      v === null || v === undefined ? '-' : v.toFixed(digits);
    const table = [
      '| command | first record ms | exit ms | CPU ms (user+sys) | peak RSS MiB | runnel / this, first record | runnel / this, CPU |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...rows.map(
        (r) =>
          `| ${r.label} | ${show(r.firstOutputMs)} | ${show(r.exitMs)} | ${show(r.cpuMs)} | ${show(r.peakRssKiB === null ? null : r.peakRssKiB / 1024, 1)} | ${show(ratio(runnelRow.firstOutputMs, r.firstOutputMs), 2)} | ${show(ratio(runnelRow.cpuMs ?? undefined, r.cpuMs ?? undefined), 2)} |`,
      ),
    ].join('\n');
    const load = (await readFile('/proc/loadavg', 'utf8').catch(() => '')).split(' ').slice(0, 3).join(' ');
    const date = new Date().toISOString().slice(0, 10);
    const settings = `Kafka ${cluster.version}, 1 partition of 1000 x 100 B records, ${reps} interleaved rounds (medians), Node ${process.version}, ${cpus().length} CPUs, load average at the end ${load || 'unknown'}`;
    await mkdir(outDir, { recursive: true });
    await writeFile(
      join(outDir, `${date}-cli-startup.json`),
      `${JSON.stringify({ date, settings, rows }, null, 2)}\n`,
    );
    await writeFile(
      join(outDir, `${date}-cli-startup.md`),
      `# runnel consume: time to the first record (${date})\n\n${settings}. Each command reads one record from offset 0 without a group; timed from spawn; CPU and RSS from GNU time.\n\n${table}\n`,
    );
    process.stdout.write(`${settings}\n\n${table}\n`);
    return 0;
  } finally {
    await cluster.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `cli-startup failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
