/**
 * Interleaved rounds as in harness.ts, but each contender in a process of its own. A decoder that
 * allocates an object per record leaves garbage that V8 collects later, partly on helper threads and
 * partly when the next allocation needs room; in one shared process that work lands on whichever
 * contender's sample runs then. Measured (16 KiB batches of 100 B records, Node 24): Runnel's decoder
 * read 118-120 ns per record alone and 151-155 ns when KafkaJS's ran in the same process, while
 * KafkaJS's own figure barely moved. A client's process runs its own decoder only, so that is how
 * each contender runs here: its own heap, its own collector, its own CPU clock.
 *
 * The parent only orders the work: one contender runs at a time (warm-up, then round after round),
 * so they never compete for the cores.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type HarnessOptions, median } from './harness.js';

/** Where a child finds its contender: `module`'s export `factory`, called with `args`, returns it. */
export interface ContenderRef {
  /** A file URL or package specifier the child imports. */
  readonly module: string;
  /** The export that builds the contender: `(...args) => () => unknown`. */
  readonly factory: string;
  /** Plain JSON values (the child rebuilds its own input from them). */
  readonly args: readonly unknown[];
}

/** What the parent asks a contender's process; each is answered with one {@link Reply}. */
export type Command =
  | { cmd: 'ready' }
  | { cmd: 'warm'; minMs: number; maxMs: number }
  | { cmd: 'sample'; ms: number };
type Reply = { ok: true; value: number } | { ok: false; error: string };

// Run from sources (the unit tests, Node's type stripping) the child and the harness are .ts files.
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const CHILD = fileURLToPath(new URL(`./isolated-child${EXT}`, import.meta.url));
const HARNESS = new URL(`./harness${EXT}`, import.meta.url).href;

/** One contender's process; `ask` sends a command and waits for its reply. */
class ContenderProcess {
  private readonly child: ChildProcess;
  private pending: { resolve: (r: Reply) => void } | undefined;
  private exited: string | undefined;

  constructor(
    readonly name: string,
    ref: ContenderRef,
  ) {
    this.child = fork(CHILD, [JSON.stringify(ref), HARNESS], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: Reply) => {
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(reply);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = `exited (${signal ?? code})`;
      const p = this.pending;
      this.pending = undefined;
      p?.resolve({ ok: false, error: this.exited });
    });
  }

  async ask(command: Command): Promise<number> {
    if (this.exited !== undefined) throw new Error(`contender "${this.name}" ${this.exited}`);
    const reply = await new Promise<Reply>((resolve) => {
      this.pending = { resolve };
      this.child.send(command);
    });
    if (!reply.ok) throw new Error(`contender "${this.name}": ${reply.error}`);
    return reply.value;
  }

  stop(): void {
    if (this.exited === undefined) this.child.kill();
  }
}

/**
 * Measures every contender, each in its own process: all warmed up until they settle (one after the
 * other), then round after round A, B, C, ... as {@link interleaved} does.
 * @returns CPU nanoseconds per call of each contender (its own process's CPU), the median of the rounds.
 * @throws Error naming the contender whose module, factory or call failed.
 */
export async function isolatedInterleaved(
  contenders: Record<string, ContenderRef>,
  options: HarnessOptions,
): Promise<Record<string, number>> {
  const processes = Object.entries(contenders).map(([name, ref]) => new ContenderProcess(name, ref));
  try {
    for (const p of processes) await p.ask({ cmd: 'ready' });
    for (const p of processes) {
      await p.ask({ cmd: 'warm', minMs: options.minWarmupMs, maxMs: options.maxWarmupMs });
    }
    const samples = new Map<string, number[]>(processes.map((p) => [p.name, []]));
    for (let round = 0; round < options.rounds; round++) {
      for (const p of processes)
        samples.get(p.name)!.push(await p.ask({ cmd: 'sample', ms: options.sampleMs }));
    }
    return Object.fromEntries([...samples].map(([name, xs]) => [name, median(xs)]));
  } finally {
    for (const p of processes) p.stop();
  }
}
