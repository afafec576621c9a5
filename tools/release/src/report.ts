import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One named check and its outcome. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** Problems, one per line; shown under a failed check. */
  readonly detail?: string;
}

/**
 * Prints one line per check (and the detail of failures) and, when RUNNEL_REPORT_DIR is set, writes
 * `<name>.json` there with vitest's counters, so CI's closing `N passed, N failed` counts these checks.
 *
 * @returns true when every check passed.
 */
export function report(tool: string, results: readonly CheckResult[]): boolean {
  for (const r of results) {
    process.stdout.write(`${tool}: ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}\n`);
    if (!r.ok && r.detail) process.stdout.write(`${indent(r.detail)}\n`);
  }
  const failed = results.filter((r) => !r.ok).length;
  process.stdout.write(`${tool}: ${results.length - failed} passed, ${failed} failed\n`);
  const dir = process.env.RUNNEL_REPORT_DIR;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    const json = {
      tool,
      numPassedTests: results.length - failed,
      numFailedTests: failed,
      numPendingTests: 0,
      numTodoTests: 0,
      numFailedTestSuites: 0,
      results,
    };
    writeFileSync(join(dir, `${tool}.json`), `${JSON.stringify(json, null, 2)}\n`);
  }
  return failed === 0 && results.length > 0;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n');
}
