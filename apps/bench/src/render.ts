/**
 * `node apps/bench/dist/render.js results/<stem>.json [--readme]`: writes the Markdown summary and the
 * SVG chart of a results file again (after a change to the report format), and with `--readme` puts
 * the summary into apps/bench/README.md.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { runCli } from './cli-main.js';
import type { BenchResults } from './e2e/results.js';
import { writeReports } from './report/write.js';

async function main(): Promise<number> {
  const file = process.argv[2];
  if (file === undefined || !file.endsWith('.json')) {
    process.stderr.write('usage: render.js <results .json> [--readme]\n');
    return 2;
  }
  const results = JSON.parse(await readFile(file, 'utf8')) as BenchResults;
  if (results.schema !== 2) {
    process.stderr.write(
      `${file} is not a results file of schema 2 (earlier files cannot be rendered again)\n`,
    );
    return 1;
  }
  const path = resolve(file);
  await writeReports(results, dirname(path), basename(path, '.json'), process.argv.includes('--readme'));
  process.stderr.write(`wrote ${basename(path, '.json')}.{md,svg}\n`);
  return 0;
}

runCli(main);
