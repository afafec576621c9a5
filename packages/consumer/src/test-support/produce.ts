/**
 * Writes records in-process for integration tests that need exact headers (a W3C traceparent): a topic
 * made with CreateTopics, and records appended with Produce, both over a ClusterClient.
 */
import { encodeRecordBatch, type RecordHeader } from '@runnel/codec';
import type { ClusterClient } from '@runnel/network';
import { CreateTopics, Produce } from '@runnel/protocol';

/** One record to write. */
export interface RecordToWrite {
  readonly key?: string;
  readonly value: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const text = new TextEncoder();

/** Creates `topic` with `partitions` partitions, replication factor 1. @throws on a broker error. */
export async function createTopicNow(
  client: ClusterClient,
  topic: string,
  partitions: number,
): Promise<void> {
  await client.send({
    target: { kind: 'any' },
    api: CreateTopics,
    message: {
      topics: [
        { name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    },
    errorCode: (r) => r.topics[0]?.errorCode ?? 0,
  });
}

/**
 * Appends `records` to one partition in one batch (acks all).
 * @returns the offset of the first record.
 * @throws on a broker error.
 */
export async function produce(
  client: ClusterClient,
  topic: string,
  partition: number,
  records: readonly RecordToWrite[],
): Promise<number> {
  const batch = encodeRecordBatch({
    records: records.map((r) => ({
      key: r.key === undefined ? null : text.encode(r.key),
      value: text.encode(r.value),
      timestamp: Date.now(),
      headers: Object.entries(r.headers ?? {}).map(
        ([key, value]): RecordHeader => ({ key, value: text.encode(value) }),
      ),
    })),
  });
  const response = await client.send({
    target: { kind: 'leader', topic, partition },
    api: Produce,
    // v13+ names topics by id; a name is simpler here.
    maxVersion: 12,
    message: {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
    },
    errorCode: (r) => r.responses[0]?.partitionResponses[0]?.errorCode ?? 0,
  });
  return Number(response.responses[0]?.partitionResponses[0]?.baseOffset ?? -1);
}
