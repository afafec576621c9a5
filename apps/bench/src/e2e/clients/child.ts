import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ClientReport, ClientRunSpec } from '../spec.js';

/*
 * The part every Node client program shares: read the run spec, count records against the clock, print
 * the one JSON line the parent reads, and give up with a non-zero exit when the run hangs.
 */

/**
 * Reads the run spec the parent passes as the program's single argument (JSON).
 *
 * @throws Error when the argument is missing or is not a spec.
 */
export function readSpec(argv: readonly string[] = process.argv): ClientRunSpec {
  const text = argv[2];
  if (text === undefined) throw new Error('usage: <client>.js <run spec as JSON>');
  const spec = JSON.parse(text) as ClientRunSpec;
  if (
    typeof spec.brokers !== 'string' ||
    typeof spec.topic !== 'string' ||
    !(spec.records > 0) ||
    !(spec.partitions > 0)
  ) {
    throw new Error(`not a run spec: ${text}`);
  }
  return spec;
}

/**
 * Milliseconds since the process started, from the same monotonic source as `performance.now()`. Not
 * `performance` itself: its first use loads node:perf_hooks (about 1.2 ms), which a user's program
 * loads inside its consumer's start if at all, so the harness must not load it for the client first.
 * Nor @runnel/network's `systemClock`, which reads the same: this harness runs every Node peer, and
 * loads nothing of Runnel into theirs.
 */
const now = (): number => process.uptime() * 1000;

/**
 * Counts records and bytes, noting when the first and the last arrived. Its clock starts when it is
 * made, so a client makes it right before creating its consumer: loading the client's modules is not
 * part of any time it reports.
 */
export class Tally {
  readonly startedAt = now();
  records = 0;
  bytes = 0;
  private firstAt = -1;
  private lastAt = -1;

  constructor(private readonly target: number) {}

  /**
   * Adds a batch of records.
   *
   * @returns whether the target count has been reached.
   */
  add(records: number, bytes: number): boolean {
    if (records === 0) return this.done();
    // The clock is read only at the first record and at the last, so per-record callers pay nothing.
    if (this.firstAt < 0) this.firstAt = now();
    this.records += records;
    this.bytes += bytes;
    if (!this.done()) return false;
    this.lastAt = now();
    return true;
  }

  /** @returns whether the target count has been reached. */
  done(): boolean {
    return this.records >= this.target;
  }

  /** @returns the report of a finished run for `client`. */
  report(client: string): ClientReport {
    // Wall-clock start for lining the run up with a capture: performance's origin is exact, and the run
    // is over, so loading it now costs no reported time.
    const uptimeToPerformance = performance.now() - now();
    return {
      client,
      records: this.records,
      bytes: this.bytes,
      firstRecordMs: this.firstAt < 0 ? null : round(this.firstAt - this.startedAt),
      consumeMs: this.firstAt < 0 || this.lastAt < 0 ? 0 : round(this.lastAt - this.firstAt),
      totalMs: round((this.lastAt < 0 ? now() : this.lastAt) - this.startedAt),
      startedAtMs: round(performance.timeOrigin + uptimeToPerformance + this.startedAt),
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** @returns the length of a key or value as a peer hands it out (null, string or bytes). */
export function sizeOf(field: unknown): number {
  if (field === null || field === undefined) return 0;
  if (typeof field === 'string') return Buffer.byteLength(field);
  return (field as { byteLength: number }).byteLength ?? 0;
}

/**
 * Exits with status 1 and a message on stderr once `ms` passed, unless the run finished before.
 *
 * @returns a function that cancels the watchdog.
 */
export function watchdog(ms: number, tally: Tally): () => void {
  const timer = setTimeout(() => {
    process.stderr.write(`timed out after ${ms} ms with ${tally.records} records\n`);
    process.exit(1);
  }, ms);
  return () => clearTimeout(timer);
}

/**
 * Prints the report line, closes the client (at most 5 s: its close counts in its CPU time, as the
 * Java and Go peers close too) and ends the process, which peers' leftover timers would hold open.
 */
export async function finish(report: ClientReport, close: () => Promise<unknown>): Promise<never> {
  process.stdout.write(`${JSON.stringify(report)}\n`);
  await Promise.race([close().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  process.exit(0);
}

/** Runs a client's main, turning a failure into a message on stderr and exit status 1. */
export function main(run: () => Promise<void>): void {
  run().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}

/**
 * Loads a package installed in a peer dir (not the workspace's copy).
 *
 * @returns the module namespace; a CommonJS package's `module.exports` is its `default`.
 * @throws Error when the spec has no peer dir or the package is not installed there.
 */
export async function loadPeer<T>(spec: ClientRunSpec, name: string): Promise<T> {
  if (spec.peerDir === undefined) throw new Error(`${name}: the run spec names no peer dir`);
  const require = createRequire(join(spec.peerDir, 'package.json'));
  return (await import(pathToFileURL(require.resolve(name)).href)) as T;
}
