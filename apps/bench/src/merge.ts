/**
 * `node apps/bench/dist/merge.js <out .json> <results .json>... [--readme] [--replace]`: joins the
 * results files of runs that each covered part of the scenario matrix (`pnpm bench --scenarios ...`)
 * into one, and writes its Markdown summary and chart beside it (with `--readme`, into
 * apps/bench/README.md too). With `--replace` a scenario measured in several files is taken from the
 * run that started last. See report/merge.ts for what the files must agree on.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runCli } from './cli-main.js';
import type { BenchResults } from './e2e/results.js';
import { mergeResults, ResultsMergeError } from './report/merge.js';
import { writeReports } from './report/write.js';

const USAGE = 'usage: merge.js <out .json> <results .json> <results .json>... [--readme] [--replace]\n';

/** @returns the parsed arguments, or null (after saying why) when they do not parse. */
function parse() {
  try {
    return parseArgs({
      options: { readme: { type: 'boolean' }, replace: { type: 'boolean' } },
      allowPositionals: true,
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return null;
  }
}

async function main(): Promise<number> {
  const parsed = parse();
  if (parsed === null) return 2;
  const [out, ...inputs] = parsed.positionals;
  if (out === undefined || inputs.length < 2 || ![out, ...inputs].every((f) => f.endsWith('.json'))) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (inputs.some((f) => resolve(f) === resolve(out))) {
    process.stderr.write(`${out} is also an input: write the joined file elsewhere\n`);
    return 2;
  }
  const parts: BenchResults[] = [];
  for (const file of inputs) {
    try {
      parts.push(JSON.parse(await readFile(file, 'utf8')) as BenchResults);
    } catch (error) {
      process.stderr.write(`cannot read ${file}: ${(error as Error).message}\n`);
      return 1;
    }
  }
  let merged: BenchResults;
  try {
    merged = mergeResults(parts, { replace: parsed.values.replace === true });
  } catch (error) {
    if (!(error instanceof ResultsMergeError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  const path = resolve(out);
  await writeFile(path, `${JSON.stringify(merged, null, 2)}\n`);
  const stem = basename(path, '.json');
  await writeReports(merged, dirname(path), stem, parsed.values.readme === true);
  process.stderr.write(
    `joined ${parts.length} files, ${merged.scenarios.length} scenarios: wrote ${stem}.{json,md,svg}\n`,
  );
  return 0;
}

runCli(main);
