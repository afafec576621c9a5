import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { manifestProblems, type RootFacts } from './manifest-rules.js';
import { packPackage } from './pack.js';
import type { CheckResult } from './report.js';
import { describeFailure, run } from './run.js';
import { tarballProblems } from './tarball-rules.js';
import { type PublishablePackage, publishablePackages, readManifest } from './workspace.js';

const require = createRequire(import.meta.url);

/**
 * The packaging checks of every publishable package: its manifest and README, the contents of the
 * tarball `pnpm pack` makes, publint and Are The Types Wrong (attw) on that same tarball. Needs built
 * packages (`pnpm build`).
 *
 * @returns one result per package and check.
 */
export async function checkPackages(root: string): Promise<CheckResult[]> {
  const facts: RootFacts = {
    manifest: readManifest(root),
    license: readFileSync(join(root, 'LICENSE'), 'utf8'),
  };
  const out = mkdtempSync(join(tmpdir(), 'runnel-pack-check-'));
  const results: CheckResult[] = [];
  try {
    const packages = publishablePackages(root);
    if (packages.length === 0)
      return [{ name: 'publishable packages', ok: false, detail: 'none under packages/' }];
    for (const pkg of packages) results.push(...(await checkPackage(pkg, facts, out)));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return results;
}

async function checkPackage(pkg: PublishablePackage, facts: RootFacts, out: string): Promise<CheckResult[]> {
  const read = (file: string) =>
    existsSync(join(pkg.dir, file)) ? readFileSync(join(pkg.dir, file), 'utf8') : undefined;
  const results: CheckResult[] = [
    problemsResult(
      `${pkg.name} manifest`,
      manifestProblems(pkg.rel, pkg.manifest, { license: read('LICENSE'), readme: read('README.md') }, facts),
    ),
  ];
  let tarball: string;
  try {
    const packed = await packPackage(pkg.dir, out);
    tarball = packed.file;
    results.push(problemsResult(`${pkg.name} tarball contents`, tarballProblems(packed.paths, pkg.manifest)));
  } catch (error) {
    results.push({ name: `${pkg.name} pack`, ok: false, detail: (error as Error).message });
    return results;
  }
  const bytes = readFileSync(tarball);
  const linted = await publint({
    pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
    strict: true,
    level: 'suggestion',
  });
  results.push(
    problemsResult(
      `${pkg.name} publint`,
      linted.messages.map((m) => `${m.type}: ${formatMessage(m, linted.pkg, { color: false }) ?? m.code}`),
    ),
  );
  const attw = await run(
    process.execPath,
    [attwBin(), tarball, '--format', 'ascii', '--no-definitely-typed', '--no-color', '--no-emoji'],
    { cwd: pkg.dir },
  );
  results.push({
    name: `${pkg.name} attw (node10, node16 from CJS and ESM, bundler)`,
    ok: attw.code === 0,
    detail: describeFailure('attw', attw),
  });
  return results;
}

function problemsResult(name: string, problems: readonly string[]): CheckResult {
  return { name, ok: problems.length === 0, detail: problems.join('\n') };
}

function attwBin(): string {
  const manifest = require.resolve('@arethetypeswrong/cli/package.json');
  const bin = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> }).bin.attw;
  return join(manifest, '..', bin ?? 'dist/index.js');
}
