import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * Measures a client process from the outside, the same way for Node, Go and Java: CPU time
 * (utime + stime) and peak RSS of the process, and its wall time. GNU time reports them from the
 * rusage of its waited child, which is exact; without it, /proc is polled, which misses what the
 * process does in its last poll interval.
 */

/** What a finished process used. */
export interface ProcessUsage {
  /** User plus system CPU time, every thread included. */
  readonly cpuMs: number;
  /** Peak resident set size (VmHWM / ru_maxrss). */
  readonly peakRssKiB: number;
  readonly wallMs: number;
  /** `rusage` (exact, via GNU time) or `proc` (polled). */
  readonly source: 'rusage' | 'proc';
}

/** A finished process: exit status, output and usage. */
export interface MeasuredRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly usage: ProcessUsage | undefined;
}

export interface MeasureOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** SIGKILL after this long. */
  readonly timeoutMs: number;
  /** Poll /proc even when GNU time is installed (for tests and comparisons). */
  readonly forceProc?: boolean;
}

const GNU_TIME = '/usr/bin/time';
const TIME_FORMAT = 'runnel-usage %e %U %S %M';
const POLL_MS = 20;
/** Linux's USER_HZ, the unit of utime and stime in /proc/<pid>/stat, is 100 on every common platform. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Parses the line GNU time writes with the format `runnel-usage %e %U %S %M`.
 *
 * @returns the usage, or undefined when the text holds no such line.
 */
export function parseGnuTimeUsage(text: string): ProcessUsage | undefined {
  const match = /^runnel-usage ([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/m.exec(text);
  if (match === null) return undefined;
  return {
    wallMs: Math.round(Number(match[1]) * 1000),
    cpuMs: Math.round((Number(match[2]) + Number(match[3])) * 1000),
    peakRssKiB: Number(match[4]),
    source: 'rusage',
  };
}

/**
 * Parses `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may hold spaces and
 * parentheses itself, so fields are counted from the last `)`.
 *
 * @returns utime plus stime in milliseconds, or undefined when the text is not a stat line.
 */
export function parseProcStatCpuMs(text: string): number | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ")": field 3 (state) is index 0, so utime (field 14) is index 11 and stime index 12.
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) return undefined;
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Parses the `VmHWM:` line of `/proc/<pid>/status`.
 *
 * @returns the peak RSS in KiB, or undefined when there is no such line (e.g. a zombie).
 */
export function parseVmHwmKiB(text: string): number | undefined {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(text);
  return match === null ? undefined : Number(match[1]);
}

/** Process groups of the runs in progress, so an interrupted bench can end them. */
const running = new Set<number>();

/** Kills every measured run still in progress (for SIGINT/SIGTERM handlers). */
export function killRunningChildren(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  running.clear();
}

/** @returns whether exact usage via GNU time is available here. */
export function hasGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

/**
 * Runs a program to its end and measures it.
 *
 * @returns exit status, output and usage (undefined only when the program could not be measured).
 * @throws Error when the program cannot be started.
 */
export async function runMeasured(
  command: string,
  args: readonly string[],
  options: MeasureOptions,
): Promise<MeasuredRun> {
  const exact = hasGnuTime() && options.forceProc !== true;
  const dir = exact ? await mkdtemp(join(tmpdir(), 'runnel-bench-')) : undefined;
  const usageFile = dir === undefined ? undefined : join(dir, 'usage');
  const [file, argv] =
    usageFile === undefined
      ? [command, [...args]]
      : [GNU_TIME, ['-f', TIME_FORMAT, '-o', usageFile, command, ...args]];
  const started = performance.now();
  // Its own process group, so a timeout kills the client and not only GNU time in front of it.
  const child = spawn(file, argv, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid !== undefined) running.add(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    // Keep the tail only: a failing client may log without end.
    stderr = (stderr + chunk).slice(-64 * 1024);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, options.timeoutMs);
  let polledCpuMs = 0;
  let polledRssKiB = 0;
  const poller =
    usageFile === undefined && child.pid !== undefined
      ? setInterval(() => {
          void pollProc(child.pid!).then((sample) => {
            if (sample.cpuMs !== undefined) polledCpuMs = Math.max(polledCpuMs, sample.cpuMs);
            if (sample.rssKiB !== undefined) polledRssKiB = Math.max(polledRssKiB, sample.rssKiB);
          });
        }, POLL_MS)
      : undefined;
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  }).finally(() => {
    if (child.pid !== undefined) running.delete(child.pid);
    clearTimeout(timer);
    if (poller !== undefined) clearInterval(poller);
  });
  const wallMs = Math.round(performance.now() - started);
  let usage: ProcessUsage | undefined;
  if (usageFile !== undefined) {
    usage = parseGnuTimeUsage(await readFile(usageFile, 'utf8').catch(() => ''));
    await rm(dir!, { recursive: true, force: true });
  } else if (polledCpuMs > 0 || polledRssKiB > 0) {
    usage = { cpuMs: polledCpuMs, peakRssKiB: polledRssKiB, wallMs, source: 'proc' };
  }
  return { code, signal, stdout, stderr, timedOut, usage };
}

async function pollProc(pid: number): Promise<{ cpuMs: number | undefined; rssKiB: number | undefined }> {
  const [stat, status] = await Promise.all([
    readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''),
    readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''),
  ]);
  return { cpuMs: parseProcStatCpuMs(stat), rssKiB: parseVmHwmKiB(status) };
}
