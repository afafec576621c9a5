import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaClusterInfo } from './cluster.js';
import { KafkaToolError } from './errors.js';
import type { ProcessResult } from './exec.js';
import { lastLines } from './exec.js';
import { runJava } from './java.js';
import { type PropertyValue, renderProperties } from './properties.js';
import { kafkaVersionProfile } from './versions.js';

/*
 * Thin wrappers over Kafka's own command-line tools (the kafka-tools jar), so tests can check what
 * the broker thinks without trusting the client under test. The classes named here are the same in
 * 4.x and 3.9.x.
 */

const TOPIC_COMMAND = 'org.apache.kafka.tools.TopicCommand';
const PRODUCER_PERFORMANCE = 'org.apache.kafka.tools.ProducerPerformance';
const GET_OFFSET_SHELL = 'org.apache.kafka.tools.GetOffsetShell';
const CONSUMER_GROUP_COMMAND = 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand';
// Only 4.x can alter group configs, and there ConfigCommand lives in the tools jar.
const CONFIG_COMMAND = 'org.apache.kafka.tools.ConfigCommand';

/**
 * Runs one of Kafka's tools with the cluster's jars.
 *
 * @returns its output.
 * @throws KafkaToolError when it exits non-zero (with its last 30 output lines) or runs past `timeoutMs`.
 */
export async function runTool(
  cluster: Pick<KafkaClusterInfo, 'version'>,
  mainClass: string,
  args: readonly string[],
  timeoutMs = 120_000,
): Promise<ProcessResult> {
  const result = await runJava({ version: cluster.version, mainClass, args, timeoutMs });
  if (result.code !== 0) {
    const name = mainClass.slice(mainClass.lastIndexOf('.') + 1);
    throw new KafkaToolError(
      `${name} failed (exit ${result.code})\n${lastLines(result.stdout + result.stderr, 30)}`,
    );
  }
  return result;
}

export interface CreateTopicOptions {
  readonly topic: string;
  readonly partitions: number;
  /** Default 1; at most the number of brokers. */
  readonly replicationFactor?: number;
  /**
   * The replicas of each partition (node ids, preferred leader first), in place of
   * `replicationFactor`; its length must equal `partitions`.
   */
  readonly replicaAssignment?: readonly (readonly number[])[];
  /** Topic configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  readonly configs?: Readonly<Record<string, PropertyValue>>;
}

/**
 * Creates a topic with Kafka's TopicCommand. It returns once the controller has created it; brokers
 * learn of it through the metadata log a moment later.
 *
 * @throws KafkaToolError when the topic exists already, `replicaAssignment` does not list every
 *   partition, or the tool fails.
 */
export async function createTopic(cluster: KafkaClusterInfo, options: CreateTopicOptions): Promise<void> {
  const args = ['--bootstrap-server', cluster.bootstrap, '--create', '--topic', options.topic];
  if (options.replicaAssignment === undefined) {
    args.push(
      '--partitions',
      String(options.partitions),
      '--replication-factor',
      String(options.replicationFactor ?? 1),
    );
  } else {
    if (options.replicaAssignment.length !== options.partitions) {
      throw new KafkaToolError(
        `replicaAssignment lists ${options.replicaAssignment.length} partitions, not ${options.partitions}`,
      );
    }
    args.push(
      '--replica-assignment',
      options.replicaAssignment.map((replicas) => replicas.join(':')).join(','),
    );
  }
  for (const [key, value] of Object.entries(options.configs ?? {}))
    args.push('--config', `${key}=${String(value)}`);
  await runTool(cluster, TOPIC_COMMAND, args);
}

export interface ProducePerfOptions {
  readonly topic: string;
  readonly numRecords: number;
  /** Bytes per record value; ignored when `payloadFile` is given. Default 100. */
  readonly recordSize?: number;
  /** e.g. `lz4`, `zstd`, `gzip`, `snappy`; default none. */
  readonly compression?: string;
  /** A text file whose lines (split on newlines) become the record values, e.g. for compressible data. */
  readonly payloadFile?: string;
  /** Producer configs, added after the defaults (`acks=1`). */
  readonly props?: Readonly<Record<string, PropertyValue>>;
  /** Default 300 000 ms. */
  readonly timeoutMs?: number;
}

/** ProducerPerformance's closing summary line. */
export interface ProducePerfSummary {
  readonly records: number;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly avgLatencyMs: number;
  readonly maxLatencyMs: number;
}

/**
 * Parses ProducerPerformance's summary, e.g. `1000 records sent, 4.9 records/sec (0.00 MB/sec),
 * 3.1 ms avg latency, 200.0 ms max latency, ...` (the last such line wins).
 *
 * @returns the summary, or undefined when the output has none.
 */
export function parseProducePerfSummary(output: string): ProducePerfSummary | undefined {
  const pattern =
    /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency/gm;
  let summary: ProducePerfSummary | undefined;
  for (const m of output.matchAll(pattern)) {
    summary = {
      records: Number(m[1]),
      recordsPerSec: Number(m[2]),
      mbPerSec: Number(m[3]),
      avgLatencyMs: Number(m[4]),
      maxLatencyMs: Number(m[5]),
    };
  }
  return summary;
}

/**
 * Fills a topic as fast as the broker takes it with Kafka's ProducerPerformance (unthrottled).
 *
 * @returns the tool's summary (records sent, throughput, latency).
 * @throws KafkaToolError when the tool fails or prints no summary.
 */
export async function producePerf(
  cluster: KafkaClusterInfo,
  options: ProducePerfOptions,
): Promise<ProducePerfSummary> {
  const args = ['--topic', options.topic, '--num-records', String(options.numRecords), '--throughput', '-1'];
  if (options.payloadFile !== undefined) args.push('--payload-file', options.payloadFile);
  else args.push('--record-size', String(options.recordSize ?? 100));
  const props: Record<string, PropertyValue> = {
    'bootstrap.servers': cluster.bootstrap,
    acks: 1,
    ...(options.compression === undefined ? {} : { 'compression.type': options.compression }),
    ...options.props,
  };
  // --producer-props takes every argument after it, so it goes last.
  args.push('--producer-props', ...Object.entries(props).map(([key, value]) => `${key}=${String(value)}`));
  const result = await runTool(cluster, PRODUCER_PERFORMANCE, args, options.timeoutMs ?? 300_000);
  const summary = parseProducePerfSummary(result.stdout);
  if (summary === undefined) {
    throw new KafkaToolError(
      `ProducerPerformance printed no summary\n${lastLines(result.stdout + result.stderr, 30)}`,
    );
  }
  return summary;
}

/**
 * Parses GetOffsetShell lines of the form `topic:partition:offset` for one topic.
 *
 * @returns offsets by partition.
 * @throws KafkaToolError on a line of that topic that does not parse.
 */
export function parseOffsets(output: string, topic: string): Map<number, bigint> {
  const offsets = new Map<number, bigint>();
  for (const line of output.split('\n')) {
    const text = line.trim();
    if (!text.startsWith(`${topic}:`)) continue;
    const match = /^(\d+):(-?\d*)$/.exec(text.slice(topic.length + 1));
    if (match === null) throw new KafkaToolError(`unexpected GetOffsetShell line: ${JSON.stringify(text)}`);
    // An empty offset means the partition has no leader right now; report it as -1 as Kafka does.
    offsets.set(Number(match[1]), match[2] === '' ? -1n : BigInt(match[2]!));
  }
  return offsets;
}

/**
 * Asks the partition leaders for a topic's end offsets (log end, i.e. the next offset to be written,
 * ListOffsets time -1) with Kafka's GetOffsetShell.
 *
 * @returns end offset by partition number.
 * @throws KafkaToolError when the tool fails.
 */
export async function getEndOffsets(cluster: KafkaClusterInfo, topic: string): Promise<Map<number, bigint>> {
  const result = await runTool(cluster, GET_OFFSET_SHELL, [
    '--bootstrap-server',
    cluster.bootstrap,
    '--topic',
    topic,
    '--time',
    '-1',
  ]);
  return parseOffsets(result.stdout, topic);
}

/** One row of `kafka-consumer-groups --describe`: a partition the group has an offset or an owner for. */
export interface GroupPartitionRow {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** Committed offset; null when the group has none for the partition. */
  readonly currentOffset: bigint | null;
  readonly logEndOffset: bigint | null;
  readonly lag: bigint | null;
  /** The owning member; null when no member owns the partition. */
  readonly consumerId: string | null;
  readonly host: string | null;
  readonly clientId: string | null;
}

const COLUMNS = [
  'GROUP',
  'TOPIC',
  'PARTITION',
  'CURRENT-OFFSET',
  'LOG-END-OFFSET',
  'LAG',
  'CONSUMER-ID',
  'HOST',
  'CLIENT-ID',
] as const;

function optional(text: string | undefined): string | null {
  return text === undefined || text === '-' ? null : text;
}

function optionalBigint(text: string | undefined): bigint | null {
  const value = optional(text);
  return value === null || !/^-?\d+$/.test(value) ? null : BigInt(value);
}

/**
 * Parses the table ConsumerGroupCommand `--describe` prints. Columns are split on whitespace, which
 * holds because Kafka ids and hosts contain none.
 *
 * @returns one row per table line (none when the group has no offsets and no members).
 * @throws KafkaToolError when a table row does not have the expected columns.
 */
export function parseDescribeGroup(output: string): GroupPartitionRow[] {
  const rows: GroupPartitionRow[] = [];
  let inTable = false;
  for (const line of output.split('\n')) {
    const cells = line.trim().split(/\s+/);
    if (cells[0] === 'GROUP' && cells[1] === 'TOPIC') {
      const header = cells.join(' ');
      if (!header.startsWith(COLUMNS.join(' '))) {
        throw new KafkaToolError(`unexpected ConsumerGroupCommand header: ${JSON.stringify(line.trim())}`);
      }
      inTable = true;
      continue;
    }
    if (!inTable || line.trim() === '') {
      inTable = inTable && line.trim() !== '';
      continue;
    }
    if (cells.length < COLUMNS.length) {
      throw new KafkaToolError(`unexpected ConsumerGroupCommand row: ${JSON.stringify(line.trim())}`);
    }
    const partition = Number(cells[2]);
    if (!Number.isInteger(partition)) {
      throw new KafkaToolError(
        `unexpected ConsumerGroupCommand partition in row: ${JSON.stringify(line.trim())}`,
      );
    }
    rows.push({
      group: cells[0]!,
      topic: cells[1]!,
      partition,
      currentOffset: optionalBigint(cells[3]),
      logEndOffset: optionalBigint(cells[4]),
      lag: optionalBigint(cells[5]),
      consumerId: optional(cells[6]),
      host: optional(cells[7]),
      // A client id may hold spaces; it is the last column, so it is the rest of the line.
      clientId: optional(cells.slice(8).join(' ')),
    });
  }
  return rows;
}

/**
 * Describes a consumer group's partitions as the broker sees them (committed offsets, lag, owners)
 * with Kafka's ConsumerGroupCommand.
 *
 * @returns one row per partition, sorted by topic then partition; empty when the group exists but
 *   has neither offsets nor assigned partitions.
 * @throws KafkaToolError (code `ERR_KAFKA_GROUP_NOT_FOUND`) when the group does not exist, or when
 *   the tool fails.
 */
export async function describeGroup(
  cluster: KafkaClusterInfo,
  groupId: string,
): Promise<GroupPartitionRow[]> {
  const result = await runJava({
    version: cluster.version,
    mainClass: CONSUMER_GROUP_COMMAND,
    args: ['--bootstrap-server', cluster.bootstrap, '--describe', '--group', groupId],
    timeoutMs: 120_000,
  });
  const text = result.stdout + result.stderr;
  if (/does not exist|GroupIdNotFoundException/.test(text)) {
    throw new KafkaToolError(`consumer group ${JSON.stringify(groupId)} does not exist`, {
      code: 'ERR_KAFKA_GROUP_NOT_FOUND',
    });
  }
  if (result.code !== 0) {
    throw new KafkaToolError(`ConsumerGroupCommand failed (exit ${result.code})\n${lastLines(text, 30)}`);
  }
  return parseDescribeGroup(result.stdout).sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
}

/**
 * Parses what ConfigCommand `--describe` prints for one entity: lines such as
 * `  consumer.session.timeout.ms=6000 sensitive=false synonyms={...}`.
 *
 * @returns the described value by config name (a sensitive value reads as `null`).
 */
export function parseDescribedConfigs(output: string): Map<string, string> {
  const configs = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^\s+([^=\s]+)=(.*?) sensitive=(?:true|false) synonyms=\{/.exec(line);
    if (match !== null) configs.set(match[1]!, match[2]!);
  }
  return configs;
}

/**
 * Sets dynamic configs of one consumer group, e.g. KIP-848's `consumer.session.timeout.ms` and
 * `consumer.heartbeat.interval.ms`, with Kafka's ConfigCommand, then waits until the broker describes
 * them, so a member that joins next runs under them. The group need not exist yet; other groups keep
 * the broker's defaults.
 *
 * @throws KafkaToolError (code `ERR_KAFKA_UNSUPPORTED`) on Kafka 3.x, which has no group configs (set
 *   the broker's `group.consumer.*` properties of a cluster of its own instead); KafkaToolError when
 *   the broker refuses a value (outside the broker's `group.consumer.min/max.*` bounds, say) or the
 *   configs do not show within `timeoutMs` (default 30 000).
 */
export async function alterGroupConfig(
  cluster: KafkaClusterInfo,
  groupId: string,
  configs: Readonly<Record<string, PropertyValue>>,
  timeoutMs = 30_000,
): Promise<void> {
  if (kafkaVersionProfile(cluster.version).major < 4) {
    throw new KafkaToolError(`Kafka ${cluster.version} has no group configs (they came with Kafka 4.0)`, {
      code: 'ERR_KAFKA_UNSUPPORTED',
    });
  }
  const entity = [
    '--bootstrap-server',
    cluster.bootstrap,
    '--entity-type',
    'groups',
    '--entity-name',
    groupId,
  ];
  // A file, not --add-config, so that values with commas or brackets need no ConfigCommand quoting.
  const dir = await mkdtemp(join(tmpdir(), 'runnel-group-config-'));
  try {
    const file = join(dir, 'group.properties');
    await writeFile(file, renderProperties(configs));
    await runTool(cluster, CONFIG_COMMAND, [...entity, '--alter', '--add-config-file', file], timeoutMs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const wanted = Object.entries(configs).map(([key, value]) => [key, String(value)] as const);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await runTool(cluster, CONFIG_COMMAND, [...entity, '--describe'], timeoutMs);
    const described = parseDescribedConfigs(result.stdout);
    const missing = wanted.filter(([key, value]) => described.get(key) !== value);
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new KafkaToolError(
        `group ${JSON.stringify(groupId)} does not show ${missing.map(([k, v]) => `${k}=${v}`).join(', ')}\n${lastLines(result.stdout, 30)}`,
      );
    }
    await sleep(200);
  }
}
