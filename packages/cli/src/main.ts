/**
 * The `runnel` command: parses the command line (commander), runs one command, and turns its outcome
 * into an exit status: 0 done, 1 failed (one line on stderr), 2 usage error, 130 / 143 stopped by
 * SIGINT / SIGTERM after a clean close.
 */
import { RunnelError } from '@runnel/codec';
import { CommanderError } from 'commander';
import type { CommandContext } from './context.js';
import { UsageError } from './errors.js';
import { colorsFor, type Io } from './io.js';
import { cliLogger } from './logger.js';
import { buildProgram } from './program.js';
import type { CommonOptions } from './settings.js';

/** The process as `main` uses it: streams, environment, files, clock, and the interrupt signals. */
export interface ProcessIo extends Io {
  /**
   * Calls `listener` on SIGINT and SIGTERM until the returned function is called. While a listener is
   * installed, the signals no longer end the process by themselves.
   */
  onInterrupt(listener: (signal: 'SIGINT' | 'SIGTERM') => void): () => void;
  /** Ends the process at once (a second interrupt while closing). */
  exitNow(code: number): never;
}

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** Runs one command with its context, and remembers how it was stopped. */
export class CommandRunner {
  /** The exit status a signal asks for; null while none arrived. */
  interruptedExit: number | null = null;
  debug = false;

  constructor(private readonly io: ProcessIo) {}

  /**
   * Resolves the shared options, then runs `body`. SIGINT or SIGTERM aborts its context's signal when
   * `graceful` (a command that streams, and closes its consumer cleanly when stopped); otherwise, and
   * on a second signal, it ends the process at once.
   * @returns once `body` finished.
   * @throws UsageError or ConfigError for the shared options; what `body` throws.
   */
  async run(
    options: CommonOptions,
    body: (ctx: CommandContext) => Promise<void>,
    graceful = false,
  ): Promise<void> {
    this.debug = options.debug === true;
    // Loaded here, not at the top: it pulls in the consumer, which `--help` has no use for.
    const { resolveSettings } = await import('./settings.js');
    const settings = resolveSettings(options, this.io);
    const logger = cliLogger(settings.debug, this.io.stderr, () => this.io.now());
    const controller = new AbortController();
    const off = this.io.onInterrupt((signal) => {
      if (this.interruptedExit !== null || !graceful) this.io.exitNow(SIGNAL_EXIT[signal]);
      this.interruptedExit = SIGNAL_EXIT[signal];
      controller.abort();
    });
    try {
      await body({ io: this.io, settings, logger, signal: controller.signal });
    } finally {
      off();
    }
  }
}

/**
 * Runs `runnel` with these arguments (without the node and script paths).
 * @returns the exit status; it never throws: every failure is printed as one line on stderr (with the
 *   stack and causes under `--debug`).
 */
export async function main(argv: readonly string[], io: ProcessIo): Promise<number> {
  const runner = new CommandRunner(io);
  const program = buildProgram(io, runner);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return runner.interruptedExit ?? 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      // `runnel help ...` exits 0; `runnel` or `runnel groups` alone printed the help on stderr: usage.
      if (error.code === 'commander.help') return error.exitCode === 0 ? 0 : 2;
      return report(new UsageError(commanderMessage(error)), io, false, helpHint(argv, program));
    }
    return report(error, io, runner.debug, helpHint(argv, program));
  }
}

/** @returns commander's message on one line, without its `error:` prefix. */
function commanderMessage(error: CommanderError): string {
  return error.message
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .replace('(Did you mean', '(did you mean');
}

/** @returns the help command of the (sub)command the arguments name, e.g. `runnel groups describe --help`. */
function helpHint(argv: readonly string[], program: ReturnType<typeof buildProgram>): string {
  const path = ['runnel'];
  let command = program;
  for (const word of argv) {
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!sub) break;
    path.push(sub.name());
    command = sub;
  }
  return `${path.join(' ')} --help`;
}

/**
 * Prints a failure as one line on stderr (`runnel: ...`), plus the stack and causes under `--debug`.
 * @returns 2 for a usage or configuration error, 1 for anything else.
 */
function report(error: unknown, io: Io, debug: boolean, hint: string): number {
  const colors = colorsFor(io.stderr, io.env);
  const usage =
    error instanceof UsageError || (error instanceof RunnelError && error.code === 'ERR_CONSUMER_CONFIG');
  const line = `${oneLine(error)}${usage ? ` (see ${hint})` : ''}`;
  io.stderr.write(`${colors.red('runnel:')} ${line}\n`);
  if (debug) io.stderr.write(`${stackOf(error)}\n`);
  return usage ? 2 : 1;
}

/** @returns the error's message followed by those of its causes that it does not already contain. */
export function oneLine(error: unknown): string {
  let text = error instanceof Error ? error.message : String(error);
  let cause = error instanceof Error ? error.cause : undefined;
  for (let depth = 0; cause instanceof Error && depth < 4; depth++) {
    if (!text.includes(cause.message)) text += `: ${cause.message}`;
    cause = cause.cause;
  }
  return text.replace(/\s*\n\s*/g, ' ');
}

function stackOf(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e !== undefined && depth < 5; depth++) {
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
    e = e instanceof Error ? e.cause : undefined;
    if (e !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}
