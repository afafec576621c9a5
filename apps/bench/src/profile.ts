/**
 * `pnpm bench:profile`: runs one end-to-end case of a Node client (Runnel by default) under
 * `--cpu-prof` against a local Kafka and prints the functions with the most self time. The
 * .cpuprofile is kept under apps/bench/profiles (open it in Chrome DevTools for the full tree).
 *
 * usage: pnpm bench:profile [--client runnel|runnel-consumer|runnel-otel|runnel-assign|kafkajs|runnel-kafkajs|platformatic]
 *        [--scenario ID] [--records N] [--top N] [--node 22|24|26|X.Y.Z|system]
 * The client runs on the same Node as in `pnpm bench` (the latest LTS line unless `--node` says).
 */
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startKafka } from '@runnel/kafka-local';
import { runCli } from './cli-main.js';
import { allAdapters } from './e2e/adapters.js';
import { runMeasured } from './e2e/measure.js';
import { DEFAULT_NODE_LINE, ensureNode, resolveNodeChoice } from './e2e/node-runtime.js';
import { BENCH_DIR } from './e2e/paths.js';
import { scenarioMatrix } from './e2e/scenarios.js';
import { FETCH_SETTINGS } from './e2e/spec.js';
import { fillTopic } from './e2e/topics.js';
import { type CpuProfile, formatSelfTimes, selfTimes } from './report/cpuprofile.js';

const PROFILABLE = new Set([
  'runnel',
  'runnel-consumer',
  'runnel-otel',
  'runnel-assign',
  'kafkajs',
  'runnel-kafkajs',
  'platformatic',
]);

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : (process.argv[i + 1] ?? fallback);
}

async function main(): Promise<number> {
  const clientId = option('--client', 'runnel');
  const scenarioId = option('--scenario', '100B-none-p1');
  const top = Number(option('--top', '25'));
  const recordsText = option('--records', '');
  if (!PROFILABLE.has(clientId)) {
    process.stderr.write(`--client takes one of ${[...PROFILABLE].join(', ')}\n`);
    return 2;
  }
  const [scenario] = scenarioMatrix(false, [scenarioId], recordsText === '' ? 200_000 : Number(recordsText));
  const adapter = allAdapters().find((a) => a.id === clientId)!;
  const log = (message: string) => process.stderr.write(`[profile] ${message}\n`);
  const node = await ensureNode(resolveNodeChoice(option('--node', DEFAULT_NODE_LINE)), log);
  if ('reason' in node) {
    process.stderr.write(`no Node for the client: ${node.reason}\n`);
    return 1;
  }
  const cluster = await startKafka();
  try {
    const availability = await adapter.prepare({
      quick: true,
      named: true,
      kafkaLibDir: cluster.libDir,
      kafkaVersion: cluster.version,
      node,
      log,
    });
    if (!availability.available) {
      process.stderr.write(`${adapter.label} is not available: ${availability.reason}\n`);
      return 1;
    }
    const topic = `profile-${scenario!.id}`;
    log(`filling ${topic} with ${scenario!.records} records`);
    await fillTopic(cluster, scenario!, topic);
    const dir = resolve(BENCH_DIR, 'profiles');
    const scratch = join(dir, `tmp-${process.pid}`);
    await mkdir(scratch, { recursive: true });
    const command = await adapter.command({
      brokers: cluster.bootstrap,
      topic,
      partitions: scenario!.partitions,
      groupId: `profile-${process.pid}`,
      records: scenario!.records,
      fetch: FETCH_SETTINGS,
      timeoutMs: 5 * 60_000,
    });
    log(`running ${adapter.label} under --cpu-prof on Node ${node.version}`);
    const run = await runMeasured(
      command.command,
      ['--cpu-prof', `--cpu-prof-dir=${scratch}`, ...command.args],
      {
        timeoutMs: 6 * 60_000,
      },
    );
    process.stdout.write(run.stdout);
    if (run.code !== 0) {
      process.stderr.write(run.stderr);
      return 1;
    }
    const [file] = (await readdir(scratch)).filter((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error('node wrote no .cpuprofile');
    const kept = join(
      dir,
      `${clientId}-${scenario!.id}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`,
    );
    await rename(join(scratch, file), kept);
    await rm(scratch, { recursive: true, force: true });
    const profile = JSON.parse(await readFile(kept, 'utf8')) as CpuProfile;
    const repoRoot = `${pathToFileURL(resolve(BENCH_DIR, '..', '..')).href}/`;
    process.stdout.write(
      `\nTop ${top} functions by self time (${adapter.label}, ${scenario!.id}, ${scenario!.records} records):\n`,
    );
    process.stdout.write(`${formatSelfTimes(selfTimes(profile, repoRoot), top)}\n\nprofile: ${kept}\n`);
    return 0;
  } finally {
    await cluster.stop();
  }
}

runCli(main);
