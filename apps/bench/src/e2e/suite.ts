import { randomBytes } from 'node:crypto';
import type { KafkaCluster, ProducePerfSummary } from '@runnel/kafka-local';
import type { ClientAdapter, Phase } from './client-adapter.js';
import { runMeasured } from './measure.js';
import type { Log } from './peers.js';
import type { ClientEntry, DatasetSizing, RunRecord } from './results.js';
import {
  MAX_TOPIC_BYTES,
  needsSettleRead,
  nextRecordCount,
  prefixRecordCount,
  readsLong,
  type Scenario,
} from './scenarios.js';
import { FETCH_SETTINGS } from './spec.js';
import { rotation, roundOrder } from './stats.js';
import { deleteTopic, fillTopic, produceRecords } from './topics.js';

export { PRODUCER_DESCRIPTION } from './topics.js';

export const MEASUREMENT_DESCRIPTION =
  'records/s and MB/s: records and key+value bytes over the time from creating the consumer to holding the last ' +
  "record, as each client timed it; the runtime's own start (Node, JVM) and the loading of the client's modules " +
  'are outside that time (the JSON also has steadyRecordsPerSec, from the first record to the last). Throughput ' +
  'topics are grown until the fastest peer reads for the steady-state time, so start-up is a small share. CPU: ' +
  'utime+stime of the whole client process (start-up, join and close included; the JVM start counts for Java) and ' +
  'peak RSS, from the rusage of the waited process (GNU time), else polled from /proc. First record: from creating ' +
  'the consumer to holding the first record (connect, metadata, join, first fetch), the median of separate runs ' +
  'that stop there.';

/** @returns the tail of a text, at most `lines` lines. */
function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** One client run: which topic, how many records, and for which phase. */
export interface RunTarget {
  readonly scenario: Scenario;
  readonly topic: string;
  readonly records: number;
  readonly phase: Phase;
  readonly rep: number;
}

/**
 * Runs one client once over a filled topic, in a fresh consumer group.
 *
 * @returns the run's record (failed runs included, with their reason).
 */
export async function runClientOnce(
  cluster: KafkaCluster,
  adapter: ClientAdapter,
  target: RunTarget,
  timeoutMs: number,
): Promise<RunRecord> {
  const spec = {
    brokers: cluster.bootstrap,
    topic: target.topic,
    partitions: target.scenario.partitions,
    groupId: `bench-${adapter.id}-${target.scenario.id}-${target.rep}-${randomBytes(4).toString('hex')}`,
    records: target.records,
    fetch: FETCH_SETTINGS,
    timeoutMs,
  };
  const base = { scenario: target.scenario.id, client: adapter.id, phase: target.phase, rep: target.rep };
  let command: Awaited<ReturnType<ClientAdapter['command']>>;
  try {
    command = await adapter.command(spec);
  } catch (error) {
    return { ...base, ok: false, error: (error as Error).message };
  }
  const run = await runMeasured(command.command, command.args, {
    timeoutMs: timeoutMs + 30_000,
    ...(command.env === undefined ? {} : { env: command.env }),
  });
  const report = adapter.parse(run.stdout);
  const usage = run.usage;
  if (run.code !== 0 || report === undefined) {
    const why = run.timedOut ? 'timed out' : `exit ${run.code ?? run.signal}`;
    return {
      ...base,
      ok: false,
      error: `${why}: ${tail(run.stderr + run.stdout, 8)}`,
      ...(usage ? { usage } : {}),
    };
  }
  if (report.records < target.records) {
    return { ...base, ok: false, error: `read ${report.records} of ${target.records} records`, report };
  }
  return { ...base, ok: true, report, ...(usage ? { usage } : {}) };
}

export interface SuiteOptions {
  readonly scenarios: readonly Scenario[];
  /** Clients of the time-to-first-record phase (every scenario). */
  readonly firstRecordAdapters: readonly ClientAdapter[];
  /** Clients that read whole topics (throughput scenarios). */
  readonly throughputAdapters: readonly ClientAdapter[];
  readonly repetitions: number;
  readonly timeoutMs: number;
  /** The shortest read of the fastest client a throughput topic is grown for. */
  readonly steadyStateMs: number;
  /** The longest timed read of one client; 0: every client reads the whole topic. */
  readonly maxReadMs: number;
  readonly log: Log;
}

/** The end-to-end part of the results. */
export interface SuiteOutcome {
  readonly runs: RunRecord[];
  /** ProducerPerformance's summaries, per scenario, in order (the first fill, then each growth). */
  readonly fills: Map<string, ProducePerfSummary[]>;
  readonly sizings: Map<string, DatasetSizing>;
}

function rate(record: RunRecord): string {
  if (!record.ok || record.report === undefined) return `FAILED ${record.error?.split('\n')[0]}`;
  if (record.phase === 'first-record') return `first record after ${record.report.firstRecordMs} ms`;
  return `${Math.round(record.report.records / (Math.max(record.report.totalMs, 1) / 1000))} records/s`;
}

/**
 * Grows a throughput topic until the calibration client (franz-go, the fastest peer, when it runs)
 * reads it for `steadyStateMs`; its reads also fill the broker's page cache. A `fixedSize` scenario
 * gets one such read and keeps its size.
 *
 * @returns how the topic was sized; `records` is what every client then reads.
 */
async function sizeDataset(
  cluster: KafkaCluster,
  scenario: Scenario,
  topic: string,
  options: SuiteOptions,
  fills: ProducePerfSummary[],
): Promise<DatasetSizing> {
  const adapters = options.throughputAdapters;
  const calibrator =
    adapters.find((a) => a.id === 'franz-go') ?? adapters.find((a) => a.id === 'runnel') ?? adapters[0]!;
  const maxRecords = Math.max(scenario.records, Math.floor(MAX_TOPIC_BYTES / scenario.recordSize));
  const steps: DatasetSizing['steps'][number][] = [];
  let records = scenario.records;
  for (let step = 0; step < 6; step++) {
    const target = { scenario, topic, records, phase: 'throughput' as const, rep: -1 - step };
    const read = await runClientOnce(cluster, calibrator, target, options.timeoutMs);
    const readMs = read.report?.consumeMs;
    steps.push({
      records,
      ...(readMs === undefined ? {} : { readMs }),
      ...(read.ok ? {} : { error: read.error }),
    });
    // The last step only reads, so the final size is always read once (and so in the page cache).
    if (!read.ok || readMs === undefined || scenario.fixedSize || step === 5) break;
    const next = nextRecordCount(records, readMs, options.steadyStateMs, maxRecords);
    options.log(
      `${scenario.id}: ${calibrator.id} read ${records} records in ${Math.round(readMs)} ms` +
        (next === undefined ? '' : `; growing the topic to ${next} records`),
    );
    if (next === undefined) break;
    fills.push(await produceRecords(cluster, scenario, topic, next - records, next));
    records = next;
  }
  const last = steps.at(-1)!;
  return {
    client: calibrator.id,
    steps,
    records,
    capped: records >= maxRecords && (last.readMs ?? 0) < options.steadyStateMs,
  };
}

/** What the probe reads found: the clients that read a prefix (and how many records), and the slow ones. */
interface ProbeOutcome {
  readonly prefixes: Record<string, number>;
  /** Prefix readers, and clients whose timed reads will last 30 s or more (`readsLong`): last in a round. */
  readonly slow: Set<string>;
}

/**
 * Reads an eighth of the topic once, untimed, with every client but the one that sized it, and sizes
 * each one's timed reads from it (`prefixRecordCount`): node-rdkafka reads 100 B records at ~130k/s,
 * six minutes a run where the others take ten seconds.
 */
async function probeSlowClients(
  cluster: KafkaCluster,
  scenario: Scenario,
  topic: string,
  sizing: DatasetSizing,
  options: SuiteOptions,
): Promise<ProbeOutcome> {
  const prefixes: Record<string, number> = {};
  const slow = new Set<string>();
  if (options.maxReadMs <= 0) return { prefixes, slow };
  const records = Math.ceil(sizing.records / 8);
  for (const adapter of options.throughputAdapters) {
    if (adapter.id === sizing.client) continue;
    const target = { scenario, topic, records, phase: 'throughput' as const, rep: -100 };
    const probe = await runClientOnce(cluster, adapter, target, options.timeoutMs);
    // A failed probe says nothing about the rate: that client reads the whole topic.
    if (!probe.ok || probe.report === undefined) continue;
    const count = prefixRecordCount(sizing.records, probe.report, options.maxReadMs);
    const readsPrefix = count < sizing.records;
    if (readsPrefix || readsLong(count, probe.report)) slow.add(adapter.id);
    if (readsPrefix) {
      prefixes[adapter.id] = count;
      options.log(
        `${scenario.id}: ${adapter.id} read ${records} records in ${Math.round(probe.report.totalMs)} ms; ` +
          `its timed runs read the first ${count} of ${sizing.records}`,
      );
    }
  }
  return { prefixes, slow };
}

/**
 * The sizing client (the fastest) reads the whole topic once, untimed, after a run that left part of it
 * out of the page cache (`needsSettleRead`). On the bench machines the client timed next after the
 * librdkafka clients' minute-long prefix reads found 300-500 MB of the 8 GiB 1KiB-none-p16 topic on
 * disk (vmstat: 10-55 MB/s read during that run). The rotation keeps the clients' cyclic order, so the
 * same client (a Runnel one, listed first) followed them in every round: there Runnel read 216-692k
 * records/s (Fetch answers of 100-700 ms instead of ~10), elsewhere 0.9-1.0M. The settle read takes
 * that hit instead, whoever comes next.
 */
async function settleRead(
  cluster: KafkaCluster,
  scenario: Scenario,
  topic: string,
  sizing: DatasetSizing,
  options: SuiteOptions,
): Promise<void> {
  const adapter = options.throughputAdapters.find((a) => a.id === sizing.client);
  if (adapter === undefined) return;
  const target = { scenario, topic, records: sizing.records, phase: 'throughput' as const, rep: -200 };
  const run = await runClientOnce(cluster, adapter, target, options.timeoutMs);
  options.log(`${scenario.id}: settle read by ${adapter.id} (untimed): ${rate(run)}`);
}

/**
 * Runs every scenario: fills its topic; measures each first-record client's time to its first record
 * `repetitions` times (after one untimed start of each at the first scenario); for a throughput scenario grows the topic to steady-state size, then runs
 * `repetitions` rounds in which every throughput client reads the whole topic once (a slow client the
 * prefix `probeSlowClients` sized for it; a `settleRead` after a prefix or a long run), the others'
 * order rotating from round to round and the slow ones (prefix readers, long reads) last
 * (`roundOrder`); finally deletes the topic.
 *
 * @returns every run's record, each topic's fill summaries and each throughput topic's sizing.
 */
export async function runSuite(cluster: KafkaCluster, options: SuiteOptions): Promise<SuiteOutcome> {
  const runs: RunRecord[] = [];
  const fills = new Map<string, ProducePerfSummary[]>();
  const sizings = new Map<string, DatasetSizing>();
  const record = (result: RunRecord, of: number) => {
    runs.push(result);
    options.log(
      `${result.scenario} ${result.phase} ${result.rep + 1}/${of} ${result.client}: ${rate(result)}`,
    );
  };
  for (const scenario of options.scenarios) {
    const topic = `bench-${scenario.id}`;
    options.log(`${scenario.id}: filling ${topic} with ${scenario.records} records`);
    const scenarioFills = [await fillTopic(cluster, scenario, topic)];
    fills.set(scenario.id, scenarioFills);
    if (scenario === options.scenarios[0]) {
      // Untimed: the first group on a fresh broker waits for __consumer_offsets to be created, and
      // each client's first start reads its files from disk; neither belongs to one client's figure.
      options.log('warm-up: one untimed start of every client');
      for (const adapter of options.firstRecordAdapters) {
        await runClientOnce(
          cluster,
          adapter,
          { scenario, topic, records: 1, phase: 'first-record', rep: -1 },
          120_000,
        );
      }
    }
    for (let rep = 0; rep < options.repetitions; rep++) {
      for (const adapter of rotation(options.firstRecordAdapters, rep)) {
        const target = { scenario, topic, records: 1, phase: 'first-record' as const, rep };
        record(await runClientOnce(cluster, adapter, target, 120_000), options.repetitions);
      }
    }
    if (scenario.throughput && options.throughputAdapters.length > 0) {
      const sized = await sizeDataset(cluster, scenario, topic, options, scenarioFills);
      const { prefixes, slow } = await probeSlowClients(cluster, scenario, topic, sized, options);
      const sizing =
        Object.keys(prefixes).length === 0 ? sized : { ...sized, prefixes, readLimitMs: options.maxReadMs };
      let settleReads = 0;
      for (let rep = 0; rep < options.repetitions; rep++) {
        for (const adapter of roundOrder(options.throughputAdapters, rep, slow)) {
          const prefix = prefixes[adapter.id];
          const target = {
            scenario,
            topic,
            records: prefix ?? sizing.records,
            phase: 'throughput' as const,
            rep,
          };
          const run = await runClientOnce(cluster, adapter, target, options.timeoutMs);
          record(run, options.repetitions);
          if (needsSettleRead(run, prefix !== undefined)) {
            await settleRead(cluster, scenario, topic, sizing, options);
            settleReads++;
          }
        }
      }
      sizings.set(scenario.id, { ...sizing, settleReads });
    }
    await deleteTopic(cluster, topic).catch((error: Error) =>
      options.log(`could not delete ${topic}: ${error.message}`),
    );
  }
  return { runs, fills, sizings };
}

/** @returns the results' entry of a client after `prepare`. */
export function clientEntry(
  adapter: ClientAdapter,
  availability: { available: boolean; reason?: string },
): ClientEntry {
  return {
    id: adapter.id,
    label: adapter.label,
    checksCrc: adapter.checksCrc,
    notes: adapter.notes(),
    available: availability.available,
    ...(availability.reason === undefined ? {} : { reason: availability.reason }),
  };
}
