import { existsSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { compileJava } from '@runnel/kafka-local';
import { exec, type Log, lastLines } from './exec.js';
import { type NodeRuntime, nativeBuildEnv } from './node-runtime.js';
import { benchCacheDir, PEERS_DIR } from './paths.js';

/*
 * Installs the peer clients on first use, outside the pnpm workspace, so the workspace lockfile and a
 * CI install never carry them: pure-JS Node peers with npm into apps/bench/peers/node/node_modules,
 * native bindings (built for one Node ABI), the franz-go binary and the compiled Java peer into the
 * bench cache.
 */

export type { Log } from './exec.js';

/** Whether a client can run here, and why not when it cannot. */
export type Availability =
  | { readonly available: true; readonly note?: string }
  | { readonly available: false; readonly reason: string };

export const KAFKAJS_VERSION = '2.2.4';
export const PLATFORMATIC_VERSION = '2.12.1';
export const NODE_RDKAFKA_VERSION = '3.6.1';
export const CONFLUENT_VERSION = '1.10.1';
export const FRANZ_GO_VERSION = '1.22.3';

/**
 * @returns the `version` of an installed package without a leading `v` (node-rdkafka writes one), or
 *   undefined when it is not installed there.
 */
export function installedVersion(dir: string, name: string): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof manifest.version === 'string' ? manifest.version.replace(/^v/, '') : undefined;
  } catch {
    return undefined;
  }
}

async function npmInstall(
  dir: string,
  log: Log,
  timeoutMs: number,
  what: string,
  env?: NodeJS.ProcessEnv,
): Promise<Availability> {
  log(`installing ${what} with npm into ${dir} (first run only)`);
  const result = await exec(
    'npm',
    ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'],
    { cwd: dir, timeoutMs, ...(env === undefined ? {} : { env }) },
  );
  if (result.code === 0) return { available: true };
  return { available: false, reason: `npm install failed (${what}):\n${lastLines(result.output, 15)}` };
}

/** The dir of the Node peers (KafkaJS and @platformatic/kafka). */
export const NODE_PEERS_DIR = join(PEERS_DIR, 'node');

/**
 * Installs KafkaJS, @platformatic/kafka and KafkaJS's codecs into apps/bench/peers/node unless the
 * versions pinned in its package.json are there already. The codecs' addons use Node-API, so one
 * install serves every Node release; `runtime` builds the one that compiles (zstd-napi).
 *
 * @returns whether they are installed.
 */
export async function ensureNodePeers(runtime: NodeRuntime, log: Log): Promise<Availability> {
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
    nativeBuildEnv(runtime),
  );
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
  // go build leaves an up-to-date binary untouched; its time must still say it is newer than the sources.
  const now = new Date();
  await utimes(binary, now, now);
  return { path: binary };
}

/**
 * Compiles the Java peer (apps/bench/peers/java) against the kafka-clients of `kafkaVersion` into the
 * bench cache, unless the classes are newer than the source.
 *
 * @returns the dir of its classes, or why there is none.
 */
export async function ensureJavaPeer(
  kafkaVersion: string,
  log: Log,
): Promise<{ dir: string } | { reason: string }> {
  const source = join(PEERS_DIR, 'java', 'BenchConsumer.java');
  const dir = join(benchCacheDir(), `java-peer-${kafkaVersion}`);
  const compiled = join(dir, 'BenchConsumer.class');
  if (existsSync(compiled) && statSync(compiled).mtimeMs >= statSync(source).mtimeMs) return { dir };
  log(`compiling the Java peer against kafka-clients ${kafkaVersion} (${source})`);
  try {
    await compileJava({ version: kafkaVersion, sources: [source], outDir: dir });
  } catch (error) {
    return { reason: (error as Error).message };
  }
  return { dir };
}

/** A peer that is a native Node addon, so built for one Node ABI. */
export interface NativePeer {
  /** npm package name. */
  readonly name: string;
  readonly version: string;
  /** The dir under apps/bench/peers whose package.json pins it. */
  readonly manifest: string;
  /** The addon the build leaves, relative to the package's dir: its presence proves the build. */
  readonly addon: string;
  /** Extra environment of the build. */
  readonly env?: NodeJS.ProcessEnv;
  /** For the log. */
  readonly what: string;
}

export const NODE_RDKAFKA_PEER: NativePeer = {
  name: 'node-rdkafka',
  version: NODE_RDKAFKA_VERSION,
  manifest: 'rdkafka',
  addon: join('build', 'Release', 'node-librdkafka.node'),
  what: `node-rdkafka ${NODE_RDKAFKA_VERSION} (builds its bundled librdkafka 2.12.0, minutes)`,
};

/**
 * With CKJS_LINKING=dynamic its build configures the bundled librdkafka without `--install-deps`
 * (which downloads zlib, OpenSSL and zstd sources) and links the system's libraries instead.
 */
export const CONFLUENT_PEER: NativePeer = {
  name: '@confluentinc/kafka-javascript',
  version: CONFLUENT_VERSION,
  manifest: 'confluent',
  addon: join('build', 'Release', 'confluent-kafka-javascript.node'),
  env: { CKJS_LINKING: 'dynamic' },
  what: `@confluentinc/kafka-javascript ${CONFLUENT_VERSION} (builds its bundled librdkafka 2.15.1, minutes)`,
};

/**
 * Builds a native peer for `runtime` into the bench cache (one dir per Node release, as the addon is
 * tied to its ABI) unless it is built there already. librdkafka's zstd needs libzstd's headers
 * (Debian: `apt-get install -y libzstd-dev`); without them the build is not attempted.
 *
 * @returns the dir holding its node_modules, or why there is none.
 */
export async function ensureNativePeer(
  peer: NativePeer,
  runtime: NodeRuntime,
  log: Log,
): Promise<{ dir: string } | { reason: string }> {
  const dir = join(benchCacheDir(), `${peer.manifest}-${peer.version}-node-${runtime.version}`);
  const addon = join(dir, 'node_modules', peer.name, peer.addon);
  if (installedVersion(dir, peer.name) === peer.version && existsSync(addon)) return { dir };
  if (!existsSync('/usr/include/zstd.h')) {
    return {
      reason: 'libzstd headers are missing (apt-get install -y libzstd-dev), so librdkafka would lack zstd',
    };
  }
  if (runtime.nodeDir === undefined) {
    return {
      reason: `no headers for Node ${runtime.version} here (node-gyp would download them); use --node 24`,
    };
  }
  await mkdir(dir, { recursive: true });
  await copyFile(join(PEERS_DIR, peer.manifest, 'package.json'), join(dir, 'package.json'));
  const installed = await npmInstall(dir, log, 20 * 60_000, peer.what, nativeBuildEnv(runtime, peer.env));
  if (!installed.available) return { reason: installed.reason };
  return existsSync(addon) ? { dir } : { reason: `npm install succeeded but ${addon} is missing` };
}
