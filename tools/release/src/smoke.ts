import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type PackedTarball, packPackage } from './pack.js';
import type { CheckResult } from './report.js';
import { describeFailure, run } from './run.js';
import { type SmokeFormat, smokePackages, smokeProgram } from './smoke-program.js';
import { type Manifest, publishablePackages } from './workspace.js';

/**
 * The TypeScript set-ups a user may have: `smoke-<name>.ts` (or `.cts`) type-checked with `module` and
 * `moduleResolution` as given, then the emitted `.js` (or `.cjs`) run with node.
 */
const TYPESCRIPT_CASES: readonly {
  readonly name: string;
  readonly label: string;
  readonly format: SmokeFormat;
  readonly module: string;
  readonly moduleResolution: string;
}[] = [
  {
    name: 'nodenext',
    label: 'TypeScript module nodenext',
    format: 'ts',
    module: 'nodenext',
    moduleResolution: 'nodenext',
  },
  {
    name: 'node16',
    label: 'TypeScript module node16',
    format: 'ts',
    module: 'node16',
    moduleResolution: 'node16',
  },
  {
    name: 'bundler',
    label: 'TypeScript moduleResolution bundler',
    format: 'ts',
    module: 'preserve',
    moduleResolution: 'bundler',
  },
  {
    name: 'node16-cjs',
    label: 'TypeScript CommonJS (.cts) under module node16',
    format: 'cts',
    module: 'node16',
    moduleResolution: 'node16',
  },
];

/**
 * The tarball smoke: what a user gets from a release. On a scratch copy of the repository it runs
 * `changeset version` (so `workspace:` ranges become the versions a release would publish) and
 * `pnpm pack`s every publishable package; then it installs the tarballs with plain npm into an empty
 * project outside the workspace and runs a smoke program there as ESM, as CommonJS, and as TypeScript
 * type-checked (and run) under module nodenext, node16 and bundler, and as a CommonJS .cts under node16.
 * Needs built packages (`pnpm build`).
 *
 * @returns one result per step and program; a failed step ends the run with the steps so far.
 */
export async function smoke(root: string): Promise<CheckResult[]> {
  const keep = process.env.RUNNEL_SMOKE_KEEP === '1';
  const scratch = mkdtempSync(join(tmpdir(), 'runnel-smoke-repo-'));
  const project = mkdtempSync(join(tmpdir(), 'runnel-smoke-project-'));
  const results: CheckResult[] = [];
  try {
    const tarballs = await packRelease(root, scratch, results);
    if (!tarballs) return results;
    if (!(await install(project, tarballs, results))) return results;
    const packages = smokePackages(tarballs.map((t) => t.name));
    const programs: [string, SmokeFormat, string][] = [
      ['ESM import (.mjs)', 'esm', 'smoke.mjs'],
      ['CommonJS require (.cjs)', 'cjs', 'smoke.cjs'],
    ];
    for (const [label, format, file] of programs) {
      writeFileSync(join(project, file), smokeProgram(format, label, packages));
      results.push(await runProgram(label, project, file));
    }
    for (const c of TYPESCRIPT_CASES) {
      writeFileSync(join(project, `smoke-${c.name}.${c.format}`), smokeProgram(c.format, c.label, packages));
      results.push(await typeCheckAndRun(root, project, c));
    }
    return results;
  } finally {
    if (keep) process.stdout.write(`smoke: kept ${scratch} and ${project}\n`);
    else {
      rmSync(scratch, { recursive: true, force: true });
      rmSync(project, { recursive: true, force: true });
    }
  }
}

async function packRelease(
  root: string,
  scratch: string,
  results: CheckResult[],
): Promise<PackedTarball[] | undefined> {
  const packages = publishablePackages(root);
  const unbuilt = packages.filter((p) => !existsSync(join(p.dir, 'dist')));
  if (unbuilt.length > 0 || packages.length === 0) {
    results.push({
      name: 'packages built',
      ok: false,
      detail: `run \`pnpm build\` first (${unbuilt.map((p) => p.name).join(', ')})`,
    });
    return undefined;
  }
  const listed = await run('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root });
  if (listed.code !== 0) {
    results.push({ name: 'copy the repository', ok: false, detail: describeFailure('git ls-files', listed) });
    return undefined;
  }
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(root, file))) continue; // deleted but not yet committed
    mkdirSync(dirname(join(scratch, file)), { recursive: true });
    cpSync(join(root, file), join(scratch, file));
  }
  for (const p of packages) cpSync(join(p.dir, 'dist'), join(scratch, p.rel, 'dist'), { recursive: true });

  const steps: [string, string, string[]][] = [
    ['changeset version', process.execPath, [join(root, 'node_modules/@changesets/cli/bin.js'), 'version']],
    // pnpm pack resolves workspace: ranges through the installed workspace; offline, from pnpm's store.
    ['pnpm install (offline)', 'pnpm', ['install', '--offline', '--frozen-lockfile', '--ignore-scripts']],
  ];
  for (const [name, command, args] of steps) {
    const result = await run(command, args, { cwd: scratch, timeoutMs: 300_000 });
    if (result.code !== 0) {
      results.push({ name, ok: false, detail: describeFailure(name, result) });
      return undefined;
    }
  }
  const tarballs: PackedTarball[] = [];
  const problems: string[] = [];
  for (const p of packages) {
    try {
      const packed = await packPackage(join(scratch, p.rel), join(scratch, '.tarballs'));
      tarballs.push(packed);
      problems.push(...versionProblems(packed));
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  const versions = tarballs.map((t) => `${t.name}@${t.version}`).join(', ');
  results.push({
    name: `changeset version + pnpm pack (${versions})`,
    ok: problems.length === 0 && tarballs.length === packages.length,
    detail: problems.join('\n'),
  });
  return problems.length === 0 ? tarballs : undefined;
}

function versionProblems(packed: PackedTarball): string[] {
  const manifest = readPackedManifest(packed.file);
  const problems: string[] = [];
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    const deps = (manifest[field] ?? {}) as Record<string, string>;
    for (const [dep, range] of Object.entries(deps)) {
      if (range.startsWith('workspace:')) problems.push(`${packed.name}: ${field}.${dep} is still ${range}`);
    }
  }
  return problems;
}

/** @returns the package.json inside a tarball, as packed. @throws Error when tar cannot read it. */
function readPackedManifest(tarball: string): Manifest {
  const out = spawnSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`tar could not read ${tarball}: ${out.stderr}`);
  return JSON.parse(out.stdout) as Manifest;
}

/** Registry packages the tarballs depend on (not one of the tarballs themselves). */
function registryDependencies(tarballs: readonly PackedTarball[]): string[] {
  const ours = new Set(tarballs.map((t) => t.name));
  const deps = new Set<string>();
  for (const t of tarballs) {
    const manifest = readPackedManifest(t.file);
    for (const dep of Object.keys((manifest.dependencies ?? {}) as Record<string, string>)) {
      if (!ours.has(dep)) deps.add(dep);
    }
  }
  return [...deps].sort();
}

async function install(
  project: string,
  tarballs: readonly PackedTarball[],
  results: CheckResult[],
): Promise<boolean> {
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'runnel-smoke', version: '0.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  // Offline proves the tarballs carry everything; a registry dependency needs the registry (or npm's cache).
  const registry = registryDependencies(tarballs);
  const mode = registry.length === 0 ? '--offline' : '--prefer-offline';
  const args = [
    'install',
    mode,
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    ...tarballs.map((t) => t.file),
  ];
  const result = await run('npm', args, { cwd: project, timeoutMs: 300_000 });
  const name =
    registry.length === 0
      ? `npm install of ${tarballs.length} tarballs, offline, in ${project}`
      : `npm install of ${tarballs.length} tarballs in ${project} (registry dependencies: ${registry.join(', ')})`;
  results.push({ name, ok: result.code === 0, detail: describeFailure('npm install', result) });
  return result.code === 0;
}

async function runProgram(label: string, project: string, file: string): Promise<CheckResult> {
  const result = await run(process.execPath, [file], { cwd: project, timeoutMs: 60_000 });
  const line = result.stdout.split('\n').find((l) => l.startsWith(`smoke ${label}: ok`));
  return {
    name: line ?? label,
    ok: result.code === 0 && line !== undefined,
    detail: describeFailure(`node ${file}`, result),
  };
}

async function typeCheckAndRun(
  root: string,
  project: string,
  c: (typeof TYPESCRIPT_CASES)[number],
): Promise<CheckResult> {
  const file = `smoke-${c.name}.${c.format}`;
  const emitted = `smoke-${c.name}.${c.format === 'cts' ? 'cjs' : 'js'}`;
  const outDir = `out-${c.name}`;
  const tsconfig = `tsconfig.${c.name}.json`;
  const compilerOptions = {
    module: c.module,
    moduleResolution: c.moduleResolution,
    target: 'es2022',
    strict: true,
    // Our declarations are checked too, as a user without skipLibCheck would.
    skipLibCheck: false,
    outDir,
    // The user's @types/node; the workspace's, so the smoke stays offline.
    typeRoots: [join(root, 'node_modules/@types')],
    types: ['node'],
  };
  writeFileSync(join(project, tsconfig), `${JSON.stringify({ compilerOptions, files: [file] }, null, 2)}\n`);
  const tsc = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], {
    cwd: project,
  });
  if (tsc.code !== 0) return { name: c.label, ok: false, detail: describeFailure(`tsc -p ${tsconfig}`, tsc) };
  return runProgram(c.label, project, join(outDir, emitted));
}
