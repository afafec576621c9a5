/**
 * `pnpm --filter @runnel/bench-app bench:share`: share-group consumption (KIP-932), Runnel's
 * ShareConsumer beside Kafka's own ShareConsumerPerformance (the Java KafkaShareConsumer), on one local
 * broker and one pre-filled topic. Each run is a fresh share group (set to start at the earliest
 * offset) that reads the whole topic with implicit acknowledgement, the default of both; the clients
 * run interleaved and rotated, each in its own process, measured from outside (CPU, peak RSS). The
 * report gives per client the median records/s over its whole run (join included, as the Java tool
 * counts it), Runnel's steady rate from first to last record, CPU per record, and the median of the
 * paired Runnel/Java ratios.
 *
 * usage: node apps/bench/dist/share/share-bench.js [--records N] [--partitions P] [--record-size B]
 *   [--reps N] [--heartbeat-ms MS] [--out DIR]
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  alterGroupConfig,
  createTopic,
  type KafkaCluster,
  producePerf,
  startKafka,
} from '@runnel/kafka-local';
import { JAVA_OPTIONS } from '../e2e/adapters-jvm-go.js';
import { runMeasured } from '../e2e/measure.js';
import { BENCH_DIR } from '../e2e/paths.js';
import { FETCH_SETTINGS, parseClientReport } from '../e2e/spec.js';
import { median, ratio, rotation } from '../e2e/stats.js';
import { parseShareConsumerPerformance } from './share-performance.js';

const RUNNEL_CLIENT = fileURLToPath(new URL('../e2e/clients/runnel-share.js', import.meta.url));
const TOPIC = 'share-bench';

/** One measured run of one client. */
interface ShareRun {
  readonly client: 'runnel' | 'java';
  readonly records: number;
  /** From its start (Runnel: creating the consumer; Java: before its join) to the last record. */
  readonly totalMs: number;
  /** From the first record to the last (Runnel only; the Java tool does not say). */
  readonly consumeMs: number | null;
  readonly cpuMs: number | null;
  readonly peakRssKiB: number | null;
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

async function runOnce(
  cluster: KafkaCluster,
  client: 'runnel' | 'java',
  records: number,
  heartbeatMs: number,
): Promise<ShareRun> {
  const groupId = `share-bench-${client}-${randomUUID().slice(0, 8)}`;
  await alterGroupConfig(cluster, groupId, {
    'share.auto.offset.reset': 'earliest',
    'share.heartbeat.interval.ms': heartbeatMs,
  });
  const timeoutMs = 600_000;
  if (client === 'runnel') {
    const spec = {
      brokers: cluster.bootstrap,
      topic: TOPIC,
      partitions: 1,
      groupId,
      records,
      fetch: FETCH_SETTINGS,
      timeoutMs,
    };
    const run = await runMeasured(process.execPath, [RUNNEL_CLIENT, JSON.stringify(spec)], {
      timeoutMs: timeoutMs + 10_000,
    });
    const report = parseClientReport(run.stdout);
    if (run.code !== 0 || report === undefined)
      throw new Error(`Runnel share client failed (${run.code}): ${run.stderr.slice(-2000)}`);
    return {
      client,
      records: report.records,
      totalMs: report.totalMs,
      consumeMs: report.consumeMs,
      ...usage(run.usage),
    };
  }
  const run = await runMeasured(
    'java',
    [
      ...JAVA_OPTIONS,
      '-cp',
      join(cluster.libDir, '*'),
      'org.apache.kafka.tools.ShareConsumerPerformance',
      ...['--bootstrap-server', cluster.bootstrap, '--topic', TOPIC, '--group', groupId],
      ...['--num-records', String(records), '--timeout', String(timeoutMs)],
    ],
    { timeoutMs: timeoutMs + 10_000 },
  );
  const report = parseShareConsumerPerformance(run.stdout);
  if (run.code !== 0 || report === undefined)
    throw new Error(`ShareConsumerPerformance failed (${run.code}): ${run.stderr.slice(-2000)}`);
  return { client, records: report.records, totalMs: report.totalMs, consumeMs: null, ...usage(run.usage) };
}

function usage(u: { cpuMs: number; peakRssKiB: number } | undefined): {
  cpuMs: number | null;
  peakRssKiB: number | null;
} {
  return { cpuMs: u?.cpuMs ?? null, peakRssKiB: u?.peakRssKiB ?? null };
}

const perSecond = (records: number, ms: number | null) =>
  ms === null || ms <= 0 ? null : (records * 1000) / ms;

async function main(): Promise<number> {
  const records = option('--records', 500_000);
  const partitions = option('--partitions', 4);
  const recordSize = option('--record-size', 100);
  const reps = option('--reps', 5);
  const heartbeatMs = option('--heartbeat-ms', 500);
  const outIndex = process.argv.indexOf('--out');
  const outDir = resolve(outIndex < 0 ? join(BENCH_DIR, 'results') : process.argv[outIndex + 1]!);
  const log = (message: string) => process.stderr.write(`[share-bench] ${message}\n`);
  const cluster = await startKafka();
  try {
    await createTopic(cluster, { topic: TOPIC, partitions });
    const produced = await producePerf(cluster, { topic: TOPIC, numRecords: records, recordSize });
    log(`filled ${TOPIC}: ${produced.records} x ${recordSize} B in ${partitions} partitions`);
    const runs: ShareRun[] = [];
    const ratios: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const pair = new Map<string, ShareRun>();
      for (const client of rotation(['runnel', 'java'] as const, rep)) {
        const run = await runOnce(cluster, client, records, heartbeatMs);
        runs.push(run);
        pair.set(client, run);
        log(
          `rep ${rep + 1}/${reps} ${client}: ${Math.round(perSecond(run.records, run.totalMs) ?? 0)} records/s over ${run.totalMs} ms`,
        );
      }
      const r = ratio(
        perSecond(records, pair.get('runnel')!.totalMs) ?? undefined,
        perSecond(records, pair.get('java')!.totalMs) ?? undefined,
      );
      if (r !== undefined) ratios.push(r);
    }
    const of = (client: 'runnel' | 'java') => runs.filter((r) => r.client === client);
    const med = (values: (number | null)[]) => median(values.filter((v): v is number => v !== null)) ?? null;
    const rows = (['runnel', 'java'] as const).map((client) => {
      const mine = of(client);
      return {
        client,
        label: client === 'runnel' ? 'Runnel ShareConsumer' : 'Java ShareConsumerPerformance',
        recordsPerSecond: med(mine.map((r) => perSecond(r.records, r.totalMs))),
        steadyRecordsPerSecond: med(mine.map((r) => perSecond(r.records, r.consumeMs))),
        totalMs: med(mine.map((r) => r.totalMs)),
        cpuUsPerRecord: med(mine.map((r) => (r.cpuMs === null ? null : (r.cpuMs * 1000) / r.records))),
        peakRssMiB: med(mine.map((r) => (r.peakRssKiB === null ? null : r.peakRssKiB / 1024))),
      };
    });
    const show = (v: number | null, digits = 0) => (v === null ? '-' : v.toFixed(digits));
    const table = [
      '| client | records/s (whole run, join included) | records/s first to last record | run ms | CPU µs/record | peak RSS MiB |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows.map(
        (r) =>
          `| ${r.label} | ${show(r.recordsPerSecond)} | ${show(r.steadyRecordsPerSecond)} | ${show(r.totalMs)} | ${show(r.cpuUsPerRecord, 2)} | ${show(r.peakRssMiB, 1)} |`,
      ),
    ].join('\n');
    const load = (await readFile('/proc/loadavg', 'utf8').catch(() => '')).split(' ').slice(0, 3).join(' ');
    const date = new Date().toISOString().slice(0, 10);
    const settings = `Kafka ${cluster.version}, ${records} x ${recordSize} B records in ${partitions} partitions, a fresh share group per run (earliest, heartbeat ${heartbeatMs} ms, implicit acknowledgement), ${reps} interleaved rounds (medians), Node ${process.version}, ${cpus().length} CPUs, load average at the end ${load || 'unknown'}`;
    const ratioText = `Runnel / Java records/s (whole run), median of ${ratios.length} paired rounds: ${show(median(ratios) ?? null, 2)}x (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})`;
    await mkdir(outDir, { recursive: true });
    await writeFile(
      join(outDir, `${date}-share.json`),
      `${JSON.stringify({ date, settings, rows, ratios, runs }, null, 2)}\n`,
    );
    await writeFile(
      join(outDir, `${date}-share.md`),
      `# Share groups: Runnel ShareConsumer vs Java ShareConsumerPerformance (${date})\n\n${settings}. CPU and RSS from GNU time (the JVM's start included); the Java tool reports no time to its first record, so only Runnel has a first-to-last rate.\n\n${table}\n\n${ratioText}\n`,
    );
    process.stdout.write(`${settings}\n\n${table}\n\n${ratioText}\n`);
    return 0;
  } finally {
    await cluster.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `share-bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
