import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConsumerEvent, type MemberLife, parseConsumerEvent } from '@runnel/delivery-checker';
import { trackChild } from '@runnel/kafka-local';
import { until } from './wait.js';

/** The built Runnel verifiable consumer: members run it as plain `node`, as users would. */
export const VERIFIABLE_CONSUMER_APP = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../examples/dist/verifiable-consumer.js',
);

/** One run of a member's process. */
export interface Life extends MemberLife {
  readonly events: ConsumerEvent[];
  readonly startedAt: number;
  /** The last 8 KiB of stderr. */
  stderr: string;
  /** Lines that claimed to be events but did not parse (a defect of the app, reported by the harness). */
  readonly malformed: string[];
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** False once the process exited non-zero or was killed: it did not hand its partitions over cleanly. */
  cleanExit?: boolean;
  /** Set when the harness ended the life on purpose; a life that ends without it exited by itself. */
  endedBy: 'stop' | 'kill' | 'expected' | undefined;
}

/** Sees every event of every member as it arrives. */
export type EventListener = (member: MemberProcess, life: Life, event: ConsumerEvent) => void;

/**
 * A group member as a real child process running the built Runnel verifiable consumer. It can be
 * started again after it stopped or was killed; each start is a new `Life`.
 */
export class MemberProcess {
  readonly lives: Life[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly args: () => readonly string[],
    private readonly onEvent: EventListener = () => {},
  ) {}

  /** The current (or last) life. */
  get life(): Life | undefined {
    return this.lives.at(-1);
  }

  /** Whether its process runs now. */
  get running(): boolean {
    return this.child !== undefined && this.life?.exit === undefined;
  }

  /**
   * Starts a new life.
   *
   * @throws Error when the app is not built, or the member is running already.
   */
  start(): void {
    if (!existsSync(VERIFIABLE_CONSUMER_APP)) {
      throw new Error(
        `${VERIFIABLE_CONSUMER_APP} is missing: run \`pnpm build\` first (members run the built app)`,
      );
    }
    if (this.running) throw new Error(`${this.name} is running already`);
    const life: Life = {
      name: `${this.name}#${this.lives.length}`,
      events: [],
      startedAt: Date.now(),
      stderr: '',
      malformed: [],
      exit: undefined,
      endedBy: undefined,
    };
    this.lives.push(life);
    const child = spawn(process.execPath, [VERIFIABLE_CONSUMER_APP, ...this.args()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child);
    this.child = child;
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        this.read(life, line);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      life.stderr = (life.stderr + chunk).slice(-8192);
    });
    this.exited = new Promise((done) =>
      child.once('close', (code, signal) => {
        life.exit = { code, signal };
        life.cleanExit = code === 0;
        done();
      }),
    );
  }

  private read(life: Life, line: string): void {
    let event: ConsumerEvent | undefined;
    try {
      event = parseConsumerEvent(line);
    } catch {
      life.malformed.push(line.slice(0, 300));
      return;
    }
    if (event === undefined) return;
    life.events.push(event);
    this.onEvent(this, life, event);
  }

  /**
   * Stops it cleanly: SIGTERM, then waits for `shutdown_complete` and the exit.
   *
   * @returns the exit code.
   * @throws Error (after a SIGKILL) when it does not exit within `timeoutMs`.
   */
  async stop(timeoutMs = 60_000): Promise<number | null> {
    const life = this.life;
    if (!this.running || life === undefined) return life?.exit?.code ?? null;
    life.endedBy = 'stop';
    this.child!.kill('SIGTERM');
    try {
      await until(
        `${life.name} to exit after SIGTERM`,
        () => life.exit !== undefined,
        timeoutMs,
        () => life.stderr,
      );
    } catch (error) {
      this.child!.kill('SIGKILL');
      await this.exited;
      throw error;
    }
    return life.exit!.code;
  }

  /** Kills it with SIGKILL (no close, no commit, no LeaveGroup) and waits for the exit. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.life!.endedBy = 'kill';
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** Says that the current life is expected to end by itself (a fenced member, a fatal error). */
  expectEnd(): void {
    if (this.life !== undefined) this.life.endedBy = 'expected';
  }

  /** Waits until the current life has exited. @throws Error after `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<void> {
    const life = this.life;
    if (life === undefined) return;
    await until(
      `${life.name} to exit`,
      () => life.exit !== undefined,
      timeoutMs,
      () => life.stderr,
    );
  }

  /** Partitions (`topic-partition`) the current life owns, as its events say. */
  owned(): Set<string> {
    const owned = new Set<string>();
    for (const event of this.life?.events ?? []) {
      if (!('partitions' in event) || event.name === 'records_consumed') continue;
      for (const tp of event.partitions) {
        const key = `${tp.topic}-${tp.partition}`;
        if (event.name === 'partitions_assigned') owned.add(key);
        else owned.delete(key);
      }
    }
    return owned;
  }

  /** @returns the events of every life named `name`, as [life, event] pairs. */
  named<N extends ConsumerEvent['name']>(name: N): Array<[Life, Extract<ConsumerEvent, { name: N }>]> {
    return this.lives.flatMap((life) =>
      life.events
        .filter((e) => e.name === name)
        .map(
          (e) =>
            [life, e as Extract<ConsumerEvent, { name: N }>] as [Life, Extract<ConsumerEvent, { name: N }>],
        ),
    );
  }
}
