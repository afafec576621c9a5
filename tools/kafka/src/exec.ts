import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { KafkaToolError } from './errors.js';
import { trackChild } from './processes.js';

/** What a finished process wrote and how it ended. */
export interface ProcessResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status; 128 + signal number when it was killed by a signal. */
  readonly code: number;
}

export interface ExecOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Kill the process (SIGKILL) and throw after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Written to the process's stdin, which is then closed. */
  readonly input?: string | Uint8Array;
  /** Names the process in error messages; defaults to the command. */
  readonly label?: string;
}

/** Keeps at most this many bytes of each stream: tool output is read by people, not parsed in bulk. */
const MAX_CAPTURE = 16 * 1024 * 1024;

function collector(): { push(chunk: Buffer): void; text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk) {
      if (size >= MAX_CAPTURE) return;
      chunks.push(chunk);
      size += chunk.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

/**
 * Runs a program to completion, capturing its output. The child is killed if this process exits.
 *
 * @returns stdout, stderr and the exit status (a non-zero status is returned, not thrown).
 * @throws KafkaToolError when the program cannot be started or runs past `timeoutMs`.
 */
export function execFile(
  command: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    trackChild(child);
    const stdout = collector();
    const stderr = collector();
    child.stdout.on('data', stdout.push);
    child.stderr.on('data', stderr.push);
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(
        new KafkaToolError(`cannot run ${options.label ?? command}: ${error.message}`, { cause: error }),
      );
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        const tail = lastLines(stderr.text() || stdout.text(), 20);
        reject(
          new KafkaToolError(
            `${options.label ?? command} did not finish within ${options.timeoutMs} ms` +
              (tail ? `\n${tail}` : ''),
            { code: 'ERR_KAFKA_TIMEOUT' },
          ),
        );
        return;
      }
      const status = code ?? 128 + (signal === null ? 0 : signalNumber(signal));
      resolve({ stdout: stdout.text(), stderr: stderr.text(), code: status });
    });
    // A child that exits without reading its input must not crash us with EPIPE.
    child.stdin.on('error', () => {});
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}

/** Returns the last `count` non-empty lines of `text`, joined by newlines. */
export function lastLines(text: string, count: number): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.slice(-count).join('\n');
}
