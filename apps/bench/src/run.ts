/**
 * `pnpm bench`: the whole benchmark suite in one command. It runs the micro-benchmarks (codec,
 * assignors), then starts a local Kafka and has every client read the same topics side by side, and
 * writes apps/bench/results/<date>.json, a Markdown summary and an SVG chart next to it.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { type KafkaCluster, startKafka } from '@runnel/kafka-local';
import { parseBenchArgs, USAGE, UsageError } from './cli-args.js';
import { runCli } from './cli-main.js';
import { adaptersFor, allAdapters, type ClientAdapter } from './e2e/adapters.js';
import { killRunningChildren } from './e2e/measure.js';
import { ensureNode, NodeChoiceError, type NodeRuntime, resolveNodeChoice } from './e2e/node-runtime.js';
import { BENCH_DIR } from './e2e/paths.js';
import type { BenchResults, ClientEntry, DatasetSizing, MicroResult, RunRecord } from './e2e/results.js';
import { computeCells, firstRecordCells } from './e2e/results.js';
import { scenarioMatrix } from './e2e/scenarios.js';
import { FETCH_SETTINGS } from './e2e/spec.js';
import { clientEntry, MEASUREMENT_DESCRIPTION, PRODUCER_DESCRIPTION, runSuite } from './e2e/suite.js';
import { writeReports } from './report/write.js';

const log = (message: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

function runProgram(
  node: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(node, args, {
      cwd: resolve(BENCH_DIR, '..', '..'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const append = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      process.stderr.write(chunk);
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    child.once('error', (error) => resolvePromise({ code: null, output: `${output}\n${error.message}` }));
    child.once('close', (code) => resolvePromise({ code, output }));
  });
}

/** Runs the micro-benchmarks on the run's Node, like every Node client. */
async function runMicro(node: string, quick: boolean, outDir: string, stem: string): Promise<MicroResult[]> {
  const results: MicroResult[] = [];
  log('codec micro-benchmarks (apps/bench/src/codec)');
  const codec = await runProgram(
    node,
    [join(BENCH_DIR, 'dist', 'codec', 'codec-bench.js'), ...(quick ? ['--quick'] : []), '--out', outDir],
    process.env,
  );
  const wrote = /wrote (.+)\.\{json,md\}/.exec(codec.output)?.[1];
  results.push({
    name: 'codec',
    ok: codec.code === 0,
    files: wrote === undefined ? [] : [`${basename(wrote)}.json`, `${basename(wrote)}.md`],
    output: codec.output.trimEnd().split('\n').slice(-20).join('\n'),
  });
  log('assignor micro-benchmark (apps/bench/src/assignors)');
  const assignors = await runProgram(node, [join(BENCH_DIR, 'dist', 'assignors', 'cooperative-sticky.js')], {
    ...process.env,
    ROUNDS: quick ? '3' : '5',
  });
  const file = `${stem}-assignors.txt`;
  await writeFile(join(outDir, file), assignors.output);
  results.push({
    name: 'assignors (cooperative-sticky vs Java)',
    ok: assignors.code === 0,
    files: [file],
    output: assignors.output.trimEnd().split('\n').slice(-20).join('\n'),
  });
  return results;
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseBenchArgs>;
  let nodeVersion: string;
  try {
    args = parseBenchArgs(process.argv.slice(2));
    nodeVersion = resolveNodeChoice(args.node);
  } catch (error) {
    if (error instanceof UsageError || error instanceof NodeChoiceError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  const known = allAdapters();
  for (const id of args.clients ?? []) {
    if (!known.some((a) => a.id === id)) {
      process.stderr.write(`unknown client ${id}; known: ${known.map((a) => a.id).join(', ')}\n`);
      return 2;
    }
  }
  const startedAt = new Date();
  const loadAverageAtStart = loadavg();
  const outDir = resolve(args.out ?? join(BENCH_DIR, 'results'));
  await mkdir(outDir, { recursive: true });
  const stem = `${startedAt.toISOString().slice(0, 10)}${args.quick ? '-quick' : ''}`;
  const node = await ensureNode(nodeVersion, log);
  if ('reason' in node) {
    process.stderr.write(`no Node ${nodeVersion} for the clients: ${node.reason}\n`);
    return 1;
  }
  log(`every Node client runs on Node ${node.version}${node.lts === undefined ? '' : ` (LTS ${node.lts})`}`);
  const micro = args.micro ? await runMicro(node.path, args.quick, outDir, stem) : [];

  const scenarios = args.e2e ? scenarioMatrix(args.quick, args.scenarios, args.records) : [];
  const firstRecordAdapters = adaptersFor(known, 'first-record', args.clients);
  const throughputAdapters = adaptersFor(known, 'throughput', args.clients);
  const chosen = known.filter((a) => firstRecordAdapters.includes(a) || throughputAdapters.includes(a));
  let cluster: KafkaCluster | undefined;
  const stop = async () => {
    await cluster?.stop();
  };
  const onSignal = () => {
    killRunningChildren();
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const entries: ClientEntry[] = [];
  const available = new Set<ClientAdapter>();
  let runs: RunRecord[] = [];
  let fills = new Map<string, unknown>();
  let sizings = new Map<string, DatasetSizing>();
  let kafkaVersion = '';
  try {
    if (scenarios.length > 0) {
      log('starting Kafka (tools/kafka)');
      cluster = await startKafka({
        ...(args.kafkaVersion === undefined ? {} : { version: args.kafkaVersion }),
      });
      kafkaVersion = cluster.version;
      log(`Kafka ${cluster.version} at ${cluster.bootstrap}`);
      for (const adapter of chosen) {
        const availability = await adapter.prepare({
          quick: args.quick,
          named: args.clients?.includes(adapter.id) === true,
          kafkaLibDir: cluster.libDir,
          kafkaVersion: cluster.version,
          node,
          log,
        });
        entries.push(clientEntry(adapter, availability));
        if (availability.available) available.add(adapter);
        else log(`${adapter.label} not available: ${availability.reason.split('\n')[0]}`);
      }
      const outcome = await runSuite(cluster, {
        scenarios,
        firstRecordAdapters: firstRecordAdapters.filter((a) => available.has(a)),
        throughputAdapters: throughputAdapters.filter((a) => available.has(a)),
        repetitions: args.repetitions,
        timeoutMs: 20 * 60_000,
        steadyStateMs: args.steadyStateMs,
        maxReadMs: args.maxReadMs,
        log,
      });
      runs = outcome.runs;
      fills = outcome.fills;
      sizings = outcome.sizings;
    }
  } finally {
    await stop();
  }

  const scenarioIds = scenarios.map((s) => s.id);
  const clientIds = chosen.filter((a) => available.has(a)).map((a) => a.id);
  const results: BenchResults = {
    schema: 2,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: args.quick,
    repetitions: args.repetitions,
    machine: {
      cpus: cpus().length,
      loadAverageAtStart,
      loadAverageAtEnd: loadavg(),
      harnessNode: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    node: nodeEntry(node, args.node),
    steadyStateMs: args.steadyStateMs,
    maxReadMs: args.maxReadMs,
    kafka: { version: kafkaVersion, brokers: 1 },
    fetch: FETCH_SETTINGS,
    producer: PRODUCER_DESCRIPTION,
    measurement: MEASUREMENT_DESCRIPTION,
    clients: entries,
    scenarios: scenarios.map((s) => {
      const sizing = sizings.get(s.id);
      return {
        ...s,
        ...(sizing === undefined ? {} : { records: sizing.records, sizing }),
        fill: fills.get(s.id),
      };
    }),
    runs,
    cells: computeCells(scenarioIds, clientIds, runs),
    firstRecord: firstRecordCells(scenarioIds, clientIds, runs),
    micro,
  };
  await writeFile(join(outDir, `${stem}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const summary = await writeReports(results, outDir, stem, args.updateReadme);
  log(`wrote ${relative(process.cwd(), join(outDir, stem))}.{json,md${scenarios.length > 0 ? ',svg' : ''}}`);
  process.stdout.write(summary);
  return runs.every((r) => r.ok) && micro.every((m) => m.ok) ? 0 : 1;
}

function nodeEntry(node: NodeRuntime, choice: string | undefined): BenchResults['node'] {
  return {
    version: node.version,
    lts: node.lts ?? null,
    choice: choice === undefined ? 'default (latest LTS line)' : `--node ${choice}`,
  };
}

runCli(main);
