import type { KafkaClusterInfo } from './cluster-types.js';
import { KafkaToolError } from './errors.js';
import { lastLines } from './exec.js';
import { runJava } from './java.js';
import { runTool } from './tools.js';

/*
 * Kafka's tools for the fault suite: who leads each partition, which node coordinates a group, more
 * partitions for a topic, and a leader election on demand.
 */

const TOPIC_COMMAND = 'org.apache.kafka.tools.TopicCommand';
const CONSUMER_GROUP_COMMAND = 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand';
const LEADER_ELECTION_COMMAND = 'org.apache.kafka.tools.LeaderElectionCommand';

/** One partition as `kafka-topics --describe` shows it. */
export interface TopicPartitionState {
  readonly partition: number;
  /** The leader's node id; -1 when the partition has none. */
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

function ids(text: string | undefined): number[] {
  return (text ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => /^\d+$/.test(id))
    .map(Number);
}

/**
 * Parses TopicCommand `--describe` lines such as
 * `Topic: t	Partition: 0	Leader: 3	Replicas: 3,1,2	Isr: 3,1,2	Elr: 	LastKnownElr: `.
 *
 * @returns the partitions, sorted by number.
 * @throws KafkaToolError on a partition line without a leader field.
 */
export function parseDescribeTopic(output: string): TopicPartitionState[] {
  const partitions: TopicPartitionState[] = [];
  for (const line of output.split('\n')) {
    const partition = /\tPartition: (\d+)\t/.exec(line);
    if (partition === null) continue;
    const leader = /\tLeader: (\S+)/.exec(line);
    if (leader === null) throw new KafkaToolError(`unexpected TopicCommand line: ${JSON.stringify(line)}`);
    partitions.push({
      partition: Number(partition[1]),
      leader: /^\d+$/.test(leader[1]!) ? Number(leader[1]) : -1,
      replicas: ids(/\tReplicas: ([\d,]*)/.exec(line)?.[1]),
      isr: ids(/\tIsr: ([\d,]*)/.exec(line)?.[1]),
    });
  }
  return partitions.sort((a, b) => a.partition - b.partition);
}

/**
 * Describes a topic's partitions (leader, replicas, in-sync replicas) with Kafka's TopicCommand.
 *
 * @throws KafkaToolError when the tool fails (an unknown topic, say).
 */
export async function describeTopic(
  cluster: KafkaClusterInfo,
  topic: string,
): Promise<TopicPartitionState[]> {
  const result = await runTool(cluster, TOPIC_COMMAND, [
    '--bootstrap-server',
    cluster.bootstrap,
    '--describe',
    '--topic',
    topic,
  ]);
  return parseDescribeTopic(result.stdout);
}

/**
 * Parses the node id of the coordinator from ConsumerGroupCommand `--describe --state`, whose row
 * reads `GROUP  COORDINATOR (ID)  ...` then `g1  127.0.0.1:45733  (2)  ...`.
 *
 * @returns the node id, or undefined when the output has no such row.
 */
export function parseGroupCoordinator(output: string): number | undefined {
  const lines = output.split('\n');
  const header = lines.findIndex((line) => /^GROUP\s+COORDINATOR \(ID\)/.test(line.trim()));
  if (header < 0) return undefined;
  const match = /\s\((\d+)\)\s/.exec(` ${lines[header + 1] ?? ''} `);
  return match === null ? undefined : Number(match[1]);
}

/**
 * Finds which node coordinates a consumer group, with ConsumerGroupCommand.
 *
 * @returns the coordinator's node id.
 * @throws KafkaToolError when the tool fails or names no coordinator.
 */
export async function groupCoordinator(cluster: KafkaClusterInfo, groupId: string): Promise<number> {
  const result = await runJava({
    version: cluster.version,
    mainClass: CONSUMER_GROUP_COMMAND,
    args: ['--bootstrap-server', cluster.bootstrap, '--describe', '--state', '--group', groupId],
    timeoutMs: 120_000,
  });
  const coordinator = parseGroupCoordinator(result.stdout);
  if (result.code !== 0 || coordinator === undefined) {
    throw new KafkaToolError(
      `no coordinator for group ${JSON.stringify(groupId)} (exit ${result.code})\n${lastLines(result.stdout + result.stderr, 20)}`,
    );
  }
  return coordinator;
}

/**
 * Raises a topic's partition count to `partitions` with TopicCommand `--alter`.
 *
 * @throws KafkaToolError when the tool fails (a count not above the current one, say).
 */
export async function addPartitions(
  cluster: KafkaClusterInfo,
  topic: string,
  partitions: number,
): Promise<void> {
  await runTool(cluster, TOPIC_COMMAND, [
    '--bootstrap-server',
    cluster.bootstrap,
    '--alter',
    '--topic',
    topic,
    '--partitions',
    String(partitions),
  ]);
}

/**
 * Asks the controller for a leader election of one partition with LeaderElectionCommand: `preferred`
 * moves leadership back to the first replica; `unclean` lets an out-of-sync replica lead when no
 * in-sync one is alive (records only the old leader had are lost).
 *
 * @throws KafkaToolError when the tool fails.
 */
export async function electLeader(
  cluster: KafkaClusterInfo,
  topic: string,
  partition: number,
  type: 'preferred' | 'unclean',
): Promise<void> {
  await runTool(cluster, LEADER_ELECTION_COMMAND, [
    '--bootstrap-server',
    cluster.bootstrap,
    '--election-type',
    type.toUpperCase(),
    '--topic',
    topic,
    '--partition',
    String(partition),
  ]);
}
