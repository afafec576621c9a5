import { spawn } from 'node:child_process';

/** How a child process ended. */
export interface RunResult {
  /** The exit code; null when a signal (or the timeout) ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Options of {@link run}. */
export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) past this; default 120 s. */
  readonly timeoutMs?: number;
}

/**
 * Runs a program to its end, collecting its output; never throws for a failing program.
 * @returns the exit code and output.
 */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + String(error), timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** @returns a one-paragraph account of a failed run: its exit and the last lines of its output. */
export function describeFailure(what: string, result: RunResult): string {
  const exit = result.timedOut ? 'timed out' : `exit ${result.code}`;
  const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-25).join('\n');
  return `${what}: ${exit}\n${tail}`;
}
