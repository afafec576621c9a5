import { spawn } from 'node:child_process';

/** Logs one line of progress. */
export type Log = (message: string) => void;

/** A finished helper command (an install, a build, a probe). */
export interface ExecResult {
  readonly code: number | null;
  /** stdout and stderr interleaved, the last 16 KiB. */
  readonly output: string;
}

/**
 * Runs a helper command to its end (never a measured client: see measure.ts), killing it after
 * `timeoutMs`.
 *
 * @returns its exit status and the tail of its output; a command that cannot start has code null.
 */
export function exec(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const append = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-16 * 1024));
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const timer = setTimeout(() => {
      output += `\n(killed after ${options.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}\n${error.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** @returns the last `count` lines of a text. */
export function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}
