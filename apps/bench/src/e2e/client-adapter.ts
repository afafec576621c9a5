import { join } from 'node:path';
import type { NodeRuntime } from './node-runtime.js';
import { CLIENTS_DIR } from './paths.js';
import type { Availability, Log } from './peers.js';
import { type ClientReport, type ClientRunSpec, parseClientReport } from './spec.js';

/** A program to start: what the measured child process runs. */
export interface ClientCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The parts of a run: `first-record` starts a client on a filled topic until it holds its first
 * record (cheap, so every protocol variant takes part); `throughput` reads the whole topic.
 */
export type Phase = 'first-record' | 'throughput';

/** What `prepare` may need to know about the run. */
export interface PrepareContext {
  readonly quick: boolean;
  /** Whether the user named this client with `--clients` (a named client runs even in quick mode). */
  readonly named: boolean;
  /** The lib dir of the Kafka version under test (kafka-clients and the tools). */
  readonly kafkaLibDir: string;
  readonly kafkaVersion: string;
  /** The Node release every Node client of the run runs on. */
  readonly node: NodeRuntime;
  readonly log: Log;
}

/**
 * One client of the end-to-end benchmark. Runnel is one adapter among the peers: each prepares itself
 * (installs or builds what it needs), builds the command of one run, and reads the run's report.
 */
export interface ClientAdapter {
  /** Short stable id, used in results and on the command line (`--clients`). */
  readonly id: string;
  /** Name and version as shown in tables. */
  readonly label: string;
  /** Whether the client checks record-batch CRCs by default (and so in this benchmark). */
  readonly checksCrc: boolean;
  /** Runtime and notable settings, for the results' notes (complete once `prepare` has run). */
  notes(): string;
  /** The phases it runs in unless `--clients` names it; none: opt-in. */
  readonly defaultPhases: readonly Phase[];
  /** The phases it runs in when `--clients` names it; default both. */
  readonly namedPhases?: readonly Phase[];
  /**
   * Gets the client ready (first run: installs or builds it).
   *
   * @returns whether it can run here, and why not.
   */
  prepare(context: PrepareContext): Promise<Availability>;
  /** @returns the command that performs one run; only called after `prepare` said available. */
  command(spec: ClientRunSpec): Promise<ClientCommand>;
  /** @returns the run's report read from the child's stdout, or undefined when there is none. */
  parse(stdout: string): ClientReport | undefined;
}

export const BOTH_PHASES: readonly Phase[] = ['first-record', 'throughput'];

/**
 * @returns the command and parser of a Node client program (`dist/e2e/clients/<script>`), run on the
 *   runtime `node()` returns once prepared, with `extra` merged into its run spec and `nodeArgs`
 *   (Node's own options) before the program.
 */
export function nodeClient(
  script: string,
  node: () => NodeRuntime | undefined,
  extra: () => Partial<ClientRunSpec> = () => ({}),
  nodeArgs: readonly string[] = [],
): Pick<ClientAdapter, 'command' | 'parse'> {
  return {
    async command(spec) {
      const runtime = node();
      if (runtime === undefined) throw new Error(`${script}: command() before prepare()`);
      return {
        command: runtime.path,
        args: [...nodeArgs, join(CLIENTS_DIR, script), JSON.stringify({ ...spec, ...extra() })],
      };
    },
    parse: parseClientReport,
  };
}

/**
 * @returns the clients of one phase: those named with `--clients` (in their `namedPhases`), else those
 *   whose default phases include it.
 */
export function adaptersFor<T extends Pick<ClientAdapter, 'id' | 'defaultPhases' | 'namedPhases'>>(
  adapters: readonly T[],
  phase: Phase,
  named: readonly string[] | undefined,
): T[] {
  return named === undefined
    ? adapters.filter((a) => a.defaultPhases.includes(phase))
    : adapters.filter((a) => named.includes(a.id) && (a.namedPhases ?? BOTH_PHASES).includes(phase));
}
