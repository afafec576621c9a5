import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTopic,
  getEndOffsets,
  type KafkaCluster,
  KafkaToolError,
  type ProducePerfSummary,
  producePerf,
  runJava,
} from '@runnel/kafka-local';
import { compressiblePayload, type Scenario } from './scenarios.js';

/** What the producer side of every scenario is, for the results. */
export const PRODUCER_DESCRIPTION =
  "Topics filled by Kafka's ProducerPerformance (acks=1, producer defaults otherwise: batch.size 16384, linger.ms 5) " +
  'from a payload file of JSON-like lines of exactly the record size (compressible, as real events are); ' +
  'records have no key.';

/** @returns the sum of a topic's end offsets: the records it holds (nothing is ever deleted from it). */
export async function topicRecords(cluster: KafkaCluster, topic: string): Promise<bigint> {
  const ends = await getEndOffsets(cluster, topic);
  return [...ends.values()].reduce((sum, end) => sum + end, 0n);
}

/**
 * Appends `count` records of the scenario's size and compression to `topic` with ProducerPerformance,
 * then checks that the topic holds `expectedTotal`.
 *
 * @returns ProducerPerformance's summary.
 * @throws KafkaToolError when a tool fails; Error when the topic does not end up holding `expectedTotal`.
 */
export async function produceRecords(
  cluster: KafkaCluster,
  scenario: Scenario,
  topic: string,
  count: number,
  expectedTotal: number,
): Promise<ProducePerfSummary> {
  const dir = await mkdtemp(join(tmpdir(), 'runnel-bench-payload-'));
  try {
    const payloadFile = join(dir, 'payload.txt');
    await writeFile(payloadFile, compressiblePayload(scenario.recordSize));
    const summary = await producePerf(cluster, {
      topic,
      numRecords: count,
      payloadFile,
      ...(scenario.compression === 'none' ? {} : { compression: scenario.compression }),
      timeoutMs: 30 * 60_000,
    });
    const total = await topicRecords(cluster, topic);
    if (total !== BigInt(expectedTotal)) {
      throw new Error(`topic ${topic} holds ${total} records, not ${expectedTotal}`);
    }
    return summary;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Creates a scenario's topic and fills it with exactly `scenario.records` records.
 *
 * @returns ProducerPerformance's summary.
 * @throws as `produceRecords`, and KafkaToolError when the topic exists already.
 */
export async function fillTopic(
  cluster: KafkaCluster,
  scenario: Scenario,
  topic: string,
): Promise<ProducePerfSummary> {
  await createTopic(cluster, { topic, partitions: scenario.partitions });
  return produceRecords(cluster, scenario, topic, scenario.records, scenario.records);
}

/**
 * Deletes a topic with Kafka's TopicCommand, so that a long run keeps one scenario's data on disk at a time.
 *
 * @throws KafkaToolError when the tool fails.
 */
export async function deleteTopic(cluster: KafkaCluster, topic: string): Promise<void> {
  const result = await runJava({
    version: cluster.version,
    mainClass: 'org.apache.kafka.tools.TopicCommand',
    args: ['--bootstrap-server', cluster.bootstrap, '--delete', '--topic', topic],
  });
  if (result.code !== 0)
    throw new KafkaToolError(`TopicCommand --delete ${topic} failed: ${result.stderr.trim()}`);
}
