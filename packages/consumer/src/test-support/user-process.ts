/**
 * Runs a program the way a user does: plain `node` on the BUILT packages (dist/), in its own process,
 * so that what keeps the process alive (or does not) is what a user gets. Inside the test runner the
 * runner's own event loop hides a process that would have exited. The program prints one JSON object
 * per line on stdout; the helper collects them and lets a test wait for one, send signals, and read the
 * exit code and stderr.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES_DIR = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
/** The packages a consumer program loads, in dependency order. */
const RUNTIME_PACKAGES = ['codec', 'protocol', 'network', 'assignors', 'group', 'consumer'];

/** One line the program printed: `{ event: ..., ... }`. */
export type UserEvent = { readonly event: string } & Record<string, unknown>;

/** How a program ended. */
export interface UserExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** When it ended (Date.now()). */
  readonly at: number;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'test-support') newest = Math.max(newest, newestSource(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

/**
 * @returns nothing when every package a consumer program loads is built and no source is newer than
 *   its build.
 * @throws Error saying which package to build: a user-process test of stale code would prove nothing.
 */
export function assertBuilt(): void {
  for (const name of RUNTIME_PACKAGES) {
    const dir = join(PACKAGES_DIR, name);
    const built = join(dir, 'dist', 'index.js');
    let builtAt: number;
    try {
      builtAt = statSync(built).mtimeMs;
    } catch {
      throw new Error(`@runnel/${name} is not built (${built} is missing): run \`pnpm build\` first`);
    }
    if (newestSource(join(dir, 'src')) > builtAt) {
      throw new Error(`@runnel/${name} has sources newer than its dist/: run \`pnpm build\` first`);
    }
  }
}

/** A running user program. */
export class UserProcess {
  readonly events: UserEvent[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<UserExit>;
  private exit: UserExit | null = null;
  private pending = '';
  private readonly listeners = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal, at: Date.now() };
        this.notify();
        resolveExit(this.exit);
      });
    });
  }

  /** @returns whether the process is still running. */
  get running(): boolean {
    return this.exit === null;
  }

  /** @returns the events named `event`. */
  eventsOf(event: string): UserEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /**
   * Waits until an event matching `match` was printed.
   * @returns that event.
   * @throws Error when the process exits first or `timeoutMs` passes, with its output for the report.
   */
  async waitFor(
    match: (event: UserEvent) => boolean,
    timeoutMs: number,
    what = 'an event',
  ): Promise<UserEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (!this.running)
        throw new Error(`the program exited (${JSON.stringify(this.exit)}) before ${what}\n${this.report()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms\n${this.report()}`);
      await new Promise<void>((resolveWait) => {
        const timer = setTimeout(done, Math.min(left, 1_000));
        function done() {
          clearTimeout(timer);
          resolveWait();
        }
        this.listeners.add(done);
      });
    }
  }

  /**
   * Asks the program to stop as a service manager does (SIGTERM), and waits for it to end.
   * @returns how it ended and how long after the signal.
   */
  async terminate(): Promise<UserExit & { readonly afterMs: number }> {
    const signalled = Date.now();
    this.child.kill('SIGTERM');
    const exit = await this.exited;
    return { ...exit, afterMs: exit.at - signalled };
  }

  /** Kills the process (SIGKILL) if it still runs, and waits for it. */
  async stop(): Promise<UserExit> {
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }

  /**
   * @returns the events printed at or after `since` (Date.now()), records left out, one per line with
   *   its time relative to `since`: what a failed timing assertion needs to be read.
   */
  timeline(since: number): string {
    return this.events
      .filter((e) => e.event !== 'records' && typeof e.at === 'number' && e.at >= since)
      .map((e) => `+${(e.at as number) - since} ms ${JSON.stringify({ ...e, at: undefined })}`)
      .join('\n');
  }

  /** @returns the tail of the program's output, for assertion messages. */
  report(): string {
    return `--- stdout ---\n${this.stdout.slice(-4_000)}\n--- stderr ---\n${this.stderr.slice(-4_000)}`;
  }

  private onStdout(text: string): void {
    this.stdout += text;
    this.pending += text;
    const lines = this.pending.split('\n');
    this.pending = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        this.events.push(JSON.parse(line) as UserEvent);
      } catch {
        // Not one of the program's lines (e.g. something the runtime printed): kept in `stdout` only.
      }
    }
    this.notify();
  }

  private notify(): void {
    for (const l of this.listeners) l();
    this.listeners.clear();
  }
}

/**
 * Starts `test-support/<script>` under the Node running the tests, with `args` as one JSON argument.
 * @returns the running program.
 * @throws Error when the packages are not built or are older than their sources.
 */
export function startUserProgram(script: string, args: unknown): UserProcess {
  assertBuilt();
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const child = spawn(process.execPath, [path, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return new UserProcess(child);
}
