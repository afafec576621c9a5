import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One scenario run, as the suite's closing table shows it. */
export interface ScenarioResult {
  readonly scenario: string;
  readonly protocol: string;
  readonly durationMs: number;
  readonly passed: boolean;
  /** Why it is expected to fail, when it is listed in KNOWN_FAILING. */
  readonly knownFailing?: string;
  /** The scenario's one-line verdict. */
  readonly line: string;
}

/** Where the runs of this suite run are collected (`FAULTS_RESULTS`, else a file in the temp dir). */
export function resultsFile(): string {
  return process.env.FAULTS_RESULTS ?? join(tmpdir(), 'runnel-faults-results.jsonl');
}

/** Empties the results file at the start of a suite run. */
export function resetResults(): void {
  writeFileSync(resultsFile(), '');
}

/** Adds one run to the results file. */
export function recordResult(result: ScenarioResult): void {
  appendFileSync(resultsFile(), `${JSON.stringify(result)}\n`);
}

/** @returns the runs recorded so far. */
export function readResults(): ScenarioResult[] {
  const file = resultsFile();
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ScenarioResult);
}

/** @returns the closing table: one row per run with its duration and verdict, then the total time. */
export function formatResultsTable(results: readonly ScenarioResult[]): string {
  const rows = results.map((r) => [
    r.scenario,
    r.protocol,
    `${(r.durationMs / 1000).toFixed(0)} s`,
    r.passed ? 'PASS' : r.knownFailing ? 'FAIL (known)' : 'FAIL',
  ]);
  const header = ['scenario', 'protocol', 'duration', 'verdict'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const render = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const total = results.reduce((sum, r) => sum + r.durationMs, 0);
  return [
    render(header),
    render(widths.map((w) => '-'.repeat(w))),
    ...rows.map(render),
    `total: ${(total / 60_000).toFixed(1)} min over ${results.length} runs`,
  ].join('\n');
}
