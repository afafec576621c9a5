import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTopic,
  getEndOffsets,
  type KafkaCluster,
  type ProducePerfSummary,
  producePerf,
} from '@runnel/kafka-local';
import type { ClientAdapter } from './adapters.js';
import { runMeasured } from './measure.js';
import type { Log } from './peers.js';
import type { ClientEntry, RunRecord } from './results.js';
import { compressiblePayload, type Scenario } from './scenarios.js';
import { FETCH_SETTINGS } from './spec.js';
import { rotation } from './stats.js';

/** What the producer side of every scenario is, for the results. */
export const PRODUCER_DESCRIPTION =
  "Topics filled by Kafka's ProducerPerformance (acks=1, producer defaults otherwise: batch.size 16384, linger.ms 5) " +
  'from a payload file of JSON-like lines of exactly the record size (compressible, as real events are); ' +
  'records have no key.';

export const MEASUREMENT_DESCRIPTION =
  'records/s and MB/s: records and key+value bytes over the time from creating the consumer to holding the last ' +
  "record, as each client timed it (Java: ConsumerPerformance's rebalance.time.ms + fetch.time.ms); the runtime's " +
  'own start (Node, JVM) is outside that time (the JSON also has steadyRecordsPerSec, from the first record to ' +
  'the last, which overstates when a topic takes only a few fetches). CPU: utime+stime of ' +
  'the whole client process (start-up, join and close included; the JVM start counts for Java) and peak RSS, ' +
  'from the rusage of the waited process (GNU time), else polled from /proc. First record: from creating the ' +
  'consumer to holding the first record (connect, metadata, join, first fetch).';

/**
 * Creates a scenario's topic and fills it with exactly `scenario.records` records.
 *
 * @returns ProducerPerformance's summary.
 * @throws KafkaToolError when a tool fails; Error when the topic does not end up holding the records.
 */
export async function fillTopic(
  cluster: KafkaCluster,
  scenario: Scenario,
  topic: string,
): Promise<ProducePerfSummary> {
  await createTopic(cluster, { topic, partitions: scenario.partitions });
  const dir = await mkdtemp(join(tmpdir(), 'runnel-bench-payload-'));
  try {
    const payloadFile = join(dir, 'payload.txt');
    await writeFile(payloadFile, compressiblePayload(scenario.recordSize));
    const summary = await producePerf(cluster, {
      topic,
      numRecords: scenario.records,
      payloadFile,
      ...(scenario.compression === 'none' ? {} : { compression: scenario.compression }),
      timeoutMs: 15 * 60_000,
    });
    const ends = await getEndOffsets(cluster, topic);
    const total = [...ends.values()].reduce((sum, end) => sum + end, 0n);
    if (total !== BigInt(scenario.records)) {
      throw new Error(`topic ${topic} holds ${total} records, not ${scenario.records}`);
    }
    return summary;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** @returns the tail of a text, at most `lines` lines. */
function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Runs one client once over a filled topic, in a fresh consumer group.
 *
 * @returns the run's record (failed runs included, with their reason).
 */
export async function runClientOnce(
  cluster: KafkaCluster,
  adapter: ClientAdapter,
  scenario: Scenario,
  topic: string,
  rep: number,
  timeoutMs: number,
): Promise<RunRecord> {
  const spec = {
    brokers: cluster.bootstrap,
    topic,
    groupId: `bench-${adapter.id}-${scenario.id}-${rep}-${randomBytes(4).toString('hex')}`,
    records: scenario.records,
    fetch: FETCH_SETTINGS,
    timeoutMs,
  };
  const base = { scenario: scenario.id, client: adapter.id, rep };
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
  if (report.records < scenario.records) {
    return { ...base, ok: false, error: `read ${report.records} of ${scenario.records} records`, report };
  }
  return { ...base, ok: true, report, ...(usage ? { usage } : {}) };
}

export interface SuiteOptions {
  readonly scenarios: readonly Scenario[];
  readonly adapters: readonly ClientAdapter[];
  readonly repetitions: number;
  readonly timeoutMs: number;
  readonly log: Log;
}

/** The end-to-end part of the results. */
export interface SuiteOutcome {
  readonly runs: RunRecord[];
  readonly fills: Map<string, ProducePerfSummary>;
}

/**
 * Runs every scenario: fills its topic, warms the broker's page cache with one untimed read, then
 * `repetitions` rounds in which every available client reads the topic once, the order rotating
 * from round to round.
 *
 * @returns every run's record and each topic's fill summary.
 */
export async function runSuite(cluster: KafkaCluster, options: SuiteOptions): Promise<SuiteOutcome> {
  const runs: RunRecord[] = [];
  const fills = new Map<string, ProducePerfSummary>();
  for (const scenario of options.scenarios) {
    const topic = `bench-${scenario.id}`;
    options.log(`${scenario.id}: filling ${topic} with ${scenario.records} records`);
    fills.set(scenario.id, await fillTopic(cluster, scenario, topic));
    const warmer = options.adapters.find((a) => a.id === 'franz-go') ?? options.adapters[0];
    if (warmer !== undefined) await runClientOnce(cluster, warmer, scenario, topic, -1, options.timeoutMs);
    for (let rep = 0; rep < options.repetitions; rep++) {
      for (const adapter of rotation(options.adapters, rep)) {
        const record = await runClientOnce(cluster, adapter, scenario, topic, rep, options.timeoutMs);
        runs.push(record);
        const rate =
          record.report === undefined
            ? ''
            : `${Math.round(record.report.records / (Math.max(record.report.totalMs, 1) / 1000))} records/s`;
        options.log(
          `${scenario.id} rep ${rep + 1}/${options.repetitions} ${adapter.id}: ${record.ok ? rate : `FAILED ${record.error?.split('\n')[0]}`}`,
        );
      }
    }
  }
  return { runs, fills };
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
    notes: adapter.notes,
    available: availability.available,
    ...(availability.reason === undefined ? {} : { reason: availability.reason }),
  };
}
