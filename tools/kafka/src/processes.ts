import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { constants } from 'node:os';

/*
 * Every JVM and temp dir this package starts is tracked here, so that a test run that crashes or is
 * interrupted does not leave a broker behind: on 'exit' and on SIGINT/SIGTERM/SIGHUP the children are
 * killed and the temp dirs removed. Brokers started for the CLI's background mode are not tracked.
 */

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let installed = false;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killAllNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  // Installing a listener replaces Node's default of exiting; keep that default when no one else
  // (a test runner, the CLI) has a listener of its own that decides when to exit.
  if (process.listenerCount(signal) <= 1) process.exit(128 + (constants.signals[signal] ?? 0));
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

/** Kills `child` with SIGKILL if this process exits or is interrupted while it still runs. */
export function trackChild(child: ChildProcess): void {
  install();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Removes `dir` if this process exits or is interrupted before `untrackTempDir` is called. */
export function trackTempDir(dir: string): void {
  install();
  tempDirs.add(dir);
}

/** Stops removing `dir` on exit (it was removed already, or it must outlive this process). */
export function untrackTempDir(dir: string): void {
  tempDirs.delete(dir);
}
