import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaBroker } from './cluster.js';
import { CLUSTER_MARKER } from './cluster-setup.js';
import { writeFileAtomic } from './logging.js';

/** What `kafka start` leaves behind so that later commands can find and stop the cluster. */
export interface DetachedClusterState {
  readonly clusterId: string;
  readonly version: string;
  readonly libDir: string;
  readonly bootstrap: string;
  readonly brokers: readonly KafkaBroker[];
  readonly dir: string;
  readonly nodes: readonly { readonly nodeId: number; readonly pid: number }[];
  readonly startedAt: string;
}

/** Returns the repository root: the nearest folder above `from` with a pnpm-workspace.yaml, else `from`. */
export function findRepoRoot(from: string = process.cwd()): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) return resolve(from);
  }
}

/** Returns the path of the CLI's state file, `<repo>/.runnel/kafka/cluster.json` (gitignored). */
export function stateFile(root: string = findRepoRoot()): string {
  return join(root, '.runnel', 'kafka', 'cluster.json');
}

function isState(value: unknown): value is DetachedClusterState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.clusterId === 'string' &&
    typeof v.version === 'string' &&
    typeof v.bootstrap === 'string' &&
    typeof v.dir === 'string' &&
    Array.isArray(v.nodes) &&
    v.nodes.every(
      (n) => typeof n === 'object' && n !== null && Number.isSafeInteger((n as { pid: unknown }).pid),
    )
  );
}

/** Returns the state of the cluster `kafka start` left running, or undefined when there is none. */
export function readState(file: string = stateFile()): DetachedClusterState | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return isState(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the state file (atomically). */
export async function writeState(state: DetachedClusterState, file: string = stateFile()): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
}

/** Removes the state file. */
export async function removeState(file: string = stateFile()): Promise<void> {
  await rm(file, { force: true });
}

/**
 * Whether `pid` is a JVM of the cluster `clusterId`: it runs and its command line carries the
 * cluster's marker. Checking the command line keeps a recycled pid from being killed.
 */
export function isClusterJvm(pid: number, clusterId: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0').includes(`-D${CLUSTER_MARKER}=${clusterId}`);
  } catch {
    return false;
  }
}

/** Returns the pids of the state's JVMs that still run. */
export function runningPids(state: DetachedClusterState): number[] {
  return state.nodes.map((node) => node.pid).filter((pid) => isClusterJvm(pid, state.clusterId));
}

/**
 * Stops a cluster started with `detached: true` from its state: SIGTERM to every JVM, SIGKILL to
 * those still running after `timeoutMs`, then removes its temp dir.
 *
 * @returns how many JVMs were running.
 */
export async function stopDetachedCluster(state: DetachedClusterState, timeoutMs = 15_000): Promise<number> {
  const pids = runningPids(state);
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (runningPids(state).length > 0 && Date.now() < deadline) await sleep(100);
  for (const pid of runningPids(state)) signal(pid, 'SIGKILL');
  while (runningPids(state).length > 0) await sleep(50);
  // Only a dir this tool created is removed: its name is the one mkdtemp gave it.
  if (/runnel-kafka-[^/]+$/.test(state.dir)) await rm(state.dir, { recursive: true, force: true });
  return pids.length;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // It exited between the check and the signal: that is what was wanted.
  }
}
