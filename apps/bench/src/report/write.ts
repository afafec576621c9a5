import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BENCH_DIR } from '../e2e/paths.js';
import type { BenchResults } from '../e2e/results.js';
import { sizeLabel } from '../e2e/scenarios.js';
import { markdownSummary, runsPerCell } from './markdown.js';
import { replaceReadmeResults } from './readme.js';
import { barChartSvg } from './svg.js';

/**
 * @returns the chart of a run: median throughput in MB/s (records/s would put 100 B and 10 KiB
 *   scenarios a hundredfold apart on one axis) of every client that ran, per scenario.
 */
export function resultsChart(results: BenchResults): string {
  const ran = results.clients.filter((c) => results.cells.some((cell) => cell.client === c.id));
  const scenarios = results.scenarios.filter((s) => results.cells.some((cell) => cell.scenario === s.id));
  return barChartSvg({
    title: `Consumer throughput, MB/s of keys and values (median of ${runsPerCell(results)}; higher is better)`,
    unit: 'MB/s',
    groups: scenarios.map((s) => `${sizeLabel(s.recordSize)} ${s.compression} p${s.partitions}`),
    series: ran.map((client) => ({
      name: client.label,
      values: scenarios.map(
        (s) => results.cells.find((c) => c.scenario === s.id && c.client === client.id)?.mbPerSec,
      ),
    })),
  });
}

/**
 * Writes `<stem>.md` and, when clients read whole topics, `<stem>.svg` next to the results, and puts the summary
 * into apps/bench/README.md when asked.
 *
 * @returns the Markdown summary.
 * @throws Error (from the file system) when a file cannot be written.
 */
export async function writeReports(
  results: BenchResults,
  outDir: string,
  stem: string,
  updateReadme: boolean,
): Promise<string> {
  const hasScenarios = results.cells.length > 0;
  const svgFile = `${stem}.svg`;
  if (hasScenarios) await writeFile(join(outDir, svgFile), resultsChart(results));
  const summary = markdownSummary(results, hasScenarios ? svgFile : undefined);
  await writeFile(join(outDir, `${stem}.md`), summary);
  if (updateReadme && hasScenarios) {
    const readme = join(BENCH_DIR, 'README.md');
    const text = await readFile(readme, 'utf8').catch(() => undefined);
    const updated =
      text === undefined
        ? undefined
        : replaceReadmeResults(text, summary, relative(BENCH_DIR, join(outDir, svgFile)));
    if (updated !== undefined) await writeFile(readme, updated);
  }
  return summary;
}
