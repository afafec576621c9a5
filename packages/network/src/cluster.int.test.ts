import { type KafkaCluster, startKafka } from '@runnel/kafka-local';
import {
  CreateTopics,
  Fetch,
  type FetchRequest,
  ListOffsets,
  type ListOffsetsResponse,
} from '@runnel/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from './cluster-client.js';
import { ConnectionError } from './errors.js';

// Broker restarts and leader changes need a cluster of this file's own, so the shared one is untouched.
describe('ClusterClient on a 3-node cluster of its own', () => {
  let kafka: KafkaCluster;
  let client: ClusterClient;
  const topic = 'network-failover';

  beforeAll(async () => {
    kafka = await startKafka({ nodes: 3 });
    client = new ClusterClient({
      bootstrapServers: kafka.bootstrap,
      connection: { requestTimeoutMs: 30_000 },
      retryBackoffMaxMs: 500,
    });
    await client.send({
      target: { kind: 'any' },
      api: CreateTopics,
      message: {
        topics: [{ name: topic, numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }],
        timeoutMs: 30_000,
        validateOnly: false,
      },
      errorCode: (r) => r.topics[0]?.errorCode ?? 0,
    });
  });

  afterAll(async () => {
    await client?.close();
    await kafka?.stop();
  });

  function listOffsets(): Promise<ListOffsetsResponse> {
    return client.send({
      target: { kind: 'leader', topic, partition: 0 },
      api: ListOffsets,
      message: {
        replicaId: -1,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
      },
      errorCode: (r) => r.topics[0]?.partitions[0]?.errorCode ?? 0,
      deadlineMs: 90_000,
    });
  }

  /** A Fetch long poll on the empty partition: the broker holds it for `maxWaitMs`. */
  function longPoll(nodeId: number, maxWaitMs: number): Promise<unknown> {
    const topicId = client.metadata.topic(topic)?.topicId ?? '';
    return client.send({
      target: { kind: 'broker', nodeId },
      api: Fetch,
      purpose: 'fetch',
      retry: false,
      timeoutMs: maxWaitMs + 30_000,
      message: (version): FetchRequest => ({
        maxWaitMs,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [
          {
            ...(version >= 13 ? { topicId } : { topic }),
            partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }],
          },
        ],
      }),
    });
  }

  it('fails in-flight requests with a ConnectionError when the broker stops, then reconnects to it', async () => {
    await listOffsets();
    const leader = client.metadata.partition(topic, 0)!.leaderId;
    const inFlight = longPoll(leader, 20_000).then(
      () => undefined,
      (error: unknown) => error,
    );
    // Let the Fetch reach the broker before stopping it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await kafka.stopNode(leader);
    const error = await inFlight;
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).broker).toMatch(/^127\.0\.0\.1:\d+$/);

    await kafka.startNode(leader);
    const answered = await client.send({
      target: { kind: 'broker', nodeId: leader },
      api: ListOffsets,
      message: {
        replicaId: -1,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
      },
      deadlineMs: 60_000,
    });
    expect(answered.topics[0]?.name).toBe(topic);
  });

  it('follows a leader change: with the leader stopped, requests go to the new leader', async () => {
    await listOffsets();
    const before = client.metadata.partition(topic, 0)!;
    await kafka.stopNode(before.leaderId);
    try {
      const response = await listOffsets();
      expect(response.topics[0]?.partitions[0]?.errorCode).toBe(0);
      const after = client.metadata.partition(topic, 0)!;
      expect(after.leaderId).not.toBe(before.leaderId);
      expect(after.leaderId).toBeGreaterThanOrEqual(0);
      expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
    } finally {
      await kafka.startNode(before.leaderId);
    }
  });
});
