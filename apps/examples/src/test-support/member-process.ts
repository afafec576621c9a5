/**
 * A group member running in its own process (a Runnel app or a Java tool) that prints one JSON event
 * per line on stdout, as Kafka's verifiable consumers do: the mixed-group tests start them, wait for
 * their events and stop them.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** One JSON line of the verifiable tools' event protocol. */
export interface VerifiableEvent {
  name: string;
  partitions?: Array<{
    topic: string;
    partition: number;
    count?: number;
    minOffset?: number;
    maxOffset?: number;
    offsets?: number[];
  }>;
  success?: boolean;
  error?: string;
}

/** A running member that prints verifiable events on stdout. */
export class MemberProcess {
  readonly events: VerifiableEvent[] = [];
  private stdout = '';
  private stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      let newline = this.stdout.indexOf('\n');
      while (newline >= 0) {
        const line = this.stdout.slice(0, newline).trim();
        this.stdout = this.stdout.slice(newline + 1);
        if (line.startsWith('{')) this.events.push(JSON.parse(line) as VerifiableEvent);
        newline = this.stdout.indexOf('\n');
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.exited = new Promise((done) => child.once('close', (code) => done(code)));
  }

  /** @returns the events named `name`. */
  named(name: string): VerifiableEvent[] {
    return this.events.filter((e) => e.name === name);
  }

  /** Waits until `ready` holds. @throws Error naming the member and its stderr tail after `timeoutMs`. */
  async until(what: string, ready: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`${this.label}: no ${what} (exit ${this.child.exitCode}):\n${this.stderr}`);
      }
      await sleep(100);
    }
  }

  /** Sends SIGTERM (a clean stop) and waits for `shutdown_complete` and the exit. @returns the exit code. */
  async stop(timeoutMs: number): Promise<number | null> {
    this.child.kill('SIGTERM');
    await this.until('shutdown_complete', () => this.named('shutdown_complete').length > 0, timeoutMs);
    return this.exited;
  }

  /** Kills the process if it is still running, so a failed test leaves nothing behind. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
