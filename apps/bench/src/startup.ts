/**
 * `pnpm bench:startup`: traces the start-up path of each client, from creating its consumer to holding
 * its first record. A local broker's port is captured on loopback (dumpcap, then tshark) while one
 * client at a time starts on a filled topic in a fresh group; the Kafka request and response headers
 * in the capture are decoded with @runnel/protocol, and each step (connect, ApiVersions, Metadata,
 * FindCoordinator, JoinGroup x2, SyncGroup, OffsetFetch, ListOffsets, the first Fetch, the first
 * record) is printed with its time since the start and the gap since the step before. Writes
 * results/<date>-startup.{json,md}.
 *
 * usage: pnpm bench:startup [--clients a,b] [--scenario ID] [--node 22|24|26|X.Y.Z|system] [--out DIR]
 *        [--captures DIR]
 * Default clients: runnel, runnel-consumer, runnel-assign, franz-go, java. `--captures` keeps each
 * client's .pcapng there (for Wireshark); otherwise they are deleted.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startKafka } from '@runnel/kafka-local';
import { runCli } from './cli-main.js';
import { allAdapters, type ClientAdapter } from './e2e/adapters.js';
import { describeNode, ensureNode, resolveNodeChoice } from './e2e/node-runtime.js';
import { BENCH_DIR } from './e2e/paths.js';
import { scenarioMatrix } from './e2e/scenarios.js';
import { runClientOnce } from './e2e/suite.js';
import { fillTopic } from './e2e/topics.js';
import { captureUnavailable, parseCaptureFields, readCapture, startCapture } from './e2e/trace/capture.js';
import { kafkaTrace } from './e2e/trace/frames.js';
import { requestsBefore, startupSteps } from './e2e/trace/steps.js';
import { type ClientTrace, type StartupResults, startupMarkdown } from './report/startup.js';

const DEFAULT_CLIENTS = ['runnel', 'runnel-consumer', 'runnel-assign', 'franz-go', 'java'];
const log = (message: string) =>
  process.stderr.write(`[startup ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/**
 * Traces one client: an untimed start, then a start under capture. A capture that began late (a
 * request on a connection whose SYN it lacks) is taken again, up to three times.
 */
async function traceClient(
  adapter: ClientAdapter,
  run: (adapter: ClientAdapter, rep: number) => ReturnType<typeof runClientOnce>,
  port: number,
  scratch: string,
): Promise<ClientTrace> {
  const base = { client: adapter.id, label: adapter.label, steps: [], requests: [] };
  // An untimed start first, so the client's files are in the page cache like the others'.
  await run(adapter, -1);
  for (let attempt = 1; ; attempt++) {
    const file = join(scratch, `${adapter.id}.pcapng`);
    const capture = await startCapture(port, file);
    const result = await run(adapter, 0).finally(() => capture.stop());
    const report = result.report;
    if (!result.ok || report?.firstRecordMs == null || report.startedAtMs === undefined) {
      return { ...base, error: result.error ?? 'the client reported no first record or no start time' };
    }
    const trace = kafkaTrace(parseCaptureFields(await readCapture(file)), port);
    const opened = new Set(trace.connections.map((c) => c.stream));
    const late = trace.exchanges.some((e) => !opened.has(e.stream));
    if (late && attempt < 3) {
      log(`${adapter.id}: the capture missed the start of a connection; tracing again`);
      continue;
    }
    if (late || trace.broken.length > 0) log(`${adapter.id}: the capture is incomplete (late start or gaps)`);
    return {
      ...base,
      firstRecordMs: report.firstRecordMs,
      steps: startupSteps(trace, report.startedAtMs, report.firstRecordMs),
      requests: requestsBefore(trace, report.startedAtMs, report.startedAtMs + report.firstRecordMs),
    };
  }
}

async function main(): Promise<number> {
  const unavailable = captureUnavailable();
  if (unavailable !== undefined) {
    process.stderr.write(`cannot capture: ${unavailable}\n`);
    return 1;
  }
  const ids = option('--clients')?.split(',') ?? DEFAULT_CLIENTS;
  const adapters = allAdapters().filter((a) => ids.includes(a.id));
  const [scenario] = scenarioMatrix(false, [option('--scenario') ?? '100B-none-p1']);
  const node = await ensureNode(resolveNodeChoice(option('--node')), log);
  if ('reason' in node) {
    process.stderr.write(`no Node for the clients: ${node.reason}\n`);
    return 1;
  }
  const outDir = resolve(option('--out') ?? join(BENCH_DIR, 'results'));
  const startedAt = new Date();
  const loadAverage = loadavg();
  const cluster = await startKafka();
  const kept = option('--captures');
  if (kept !== undefined) await mkdir(kept, { recursive: true });
  const scratch = kept === undefined ? await mkdtemp(join(tmpdir(), 'runnel-startup-')) : resolve(kept);
  const traces: ClientTrace[] = [];
  try {
    const topic = `startup-${scenario!.id}`;
    log(`filling ${topic} with ${scenario!.records} records`);
    await fillTopic(cluster, scenario!, topic);
    const run = (adapter: ClientAdapter, rep: number) =>
      runClientOnce(
        cluster,
        adapter,
        { scenario: scenario!, topic, records: 1, phase: 'first-record', rep },
        120_000,
      );
    for (const adapter of adapters) {
      const context = {
        quick: false,
        named: true,
        kafkaLibDir: cluster.libDir,
        kafkaVersion: cluster.version,
        node,
        log,
      };
      const availability = await adapter.prepare(context);
      if (!availability.available) {
        traces.push({
          client: adapter.id,
          label: adapter.label,
          steps: [],
          requests: [],
          error: availability.reason,
        });
        continue;
      }
      log(`tracing ${adapter.label}`);
      traces.push(await traceClient(adapter, run, cluster.brokers[0]!.port, scratch));
    }
  } finally {
    await cluster.stop();
    if (kept === undefined) await rm(scratch, { recursive: true, force: true });
  }
  const results: StartupResults = {
    schema: 1,
    startedAt: startedAt.toISOString(),
    kafka: cluster.version,
    node: describeNode(node),
    scenario: scenario!.id,
    method:
      'Traffic recorded by dumpcap on the loopback interface with a capture filter on the broker port, read by tshark; ' +
      "Kafka headers decoded with @runnel/protocol's RequestHeader and responseCorrelationId; Fetch responses decoded to see which carried records.",
    loadAverage,
    clients: traces,
  };
  await mkdir(outDir, { recursive: true });
  const stem = join(outDir, `${results.startedAt.slice(0, 10)}-startup`);
  const markdown = startupMarkdown(results);
  await writeFile(`${stem}.json`, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(`${stem}.md`, markdown);
  process.stdout.write(markdown);
  log(`wrote ${stem}.{json,md}`);
  return traces.every((t) => t.error === undefined) ? 0 : 1;
}

runCli(main);
