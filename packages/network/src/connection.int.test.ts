import { testCluster } from '@runnel/kafka-local/vitest';
import {
  ApiVersions,
  CreateTopics,
  type CreateTopicsResponse,
  ErrorCode,
  ListOffsets,
  Metadata,
} from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { apiRequest } from './api.js';
import { ClusterClient, CoordinatorType } from './cluster-client.js';
import { Connection } from './connection.js';

const clients: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function firstBroker(): { host: string; port: number } {
  const [host, port] = testCluster().bootstrap.split(',')[0]!.split(':');
  return { host: host!, port: Number(port) };
}

describe('Connection against a real broker', () => {
  it('answers many concurrent pipelined requests in the order of their correlation ids', async () => {
    const connection = new Connection({ ...firstBroker(), maxInFlightRequests: 32 });
    clients.push(connection);
    await connection.connect();
    const order: number[] = [];
    const requests = Array.from({ length: 300 }, (_, i) => {
      // Alternate two APIs with answers of different sizes, so the frames do not all look alike.
      const sent: Promise<{ errorCode?: number; brokers?: unknown[] }> =
        i % 2 === 0
          ? connection.send(
              apiRequest(ApiVersions, { clientSoftwareName: 'runnel', clientSoftwareVersion: '0.0.0' }, 3),
            )
          : connection.send(apiRequest(Metadata, { topics: [] }, 12));
      return sent.then((response) => {
        order.push(i);
        return response;
      });
    });
    const responses = await Promise.all(requests);
    expect(order).toEqual(Array.from({ length: 300 }, (_, i) => i));
    responses.forEach((response, i) => {
      if (i % 2 === 0) expect(response.errorCode).toBe(0);
      else expect(response.brokers?.length).toBeGreaterThan(0);
    });
    expect(connection.inFlightCount).toBe(0);
  });
});

describe('ClusterClient against a real broker', () => {
  it('learns the cluster, creates a topic and routes requests to leaders and coordinators', async () => {
    const cluster = testCluster();
    const client = new ClusterClient({ bootstrapServers: cluster.bootstrap });
    clients.push(client);
    const topic = `network-int-${Date.now()}`;

    const snapshot = await client.refreshMetadata();
    expect([...snapshot.brokers.values()].map((b) => b.port).sort()).toEqual(
      cluster.brokers.map((b) => b.port).sort(),
    );

    const created = await client.send({
      target: { kind: 'any' },
      api: CreateTopics,
      message: {
        topics: [{ name: topic, numPartitions: 3, replicationFactor: -1, assignments: [], configs: [] }],
        timeoutMs: 30_000,
        validateOnly: false,
      },
      errorCode: (r: CreateTopicsResponse) => r.topics[0]?.errorCode ?? 0,
    });
    expect(created.topics[0]?.name).toBe(topic);

    // The broker that answers may not know a topic created a moment ago (its metadata image lags the
    // controller's); the answer names the topic either way, and the leader route waits for it.
    const withTopic = await client.topicMetadata([topic]);
    expect([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]).toContain(
      withTopic.topic(topic)?.errorCode,
    );
    const offsets = await Promise.all(
      [0, 1, 2].map((partition) =>
        client.send({
          target: { kind: 'leader', topic, partition },
          api: ListOffsets,
          message: {
            replicaId: -1,
            topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp: -1n }] }],
          },
          errorCode: (r) => r.topics[0]?.partitions[0]?.errorCode ?? 0,
        }),
      ),
    );
    expect(offsets.map((r) => r.topics[0]?.partitions[0]?.offset)).toEqual([0n, 0n, 0n]);
    expect(client.metadata.topic(topic)?.errorCode).toBe(ErrorCode.NONE);
    expect(client.metadata.topic(topic)?.partitions).toHaveLength(3);
    expect(client.metadata.topic(topic)?.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const coordinator = await client.findCoordinator(CoordinatorType.group, `group-${topic}`);
    expect(cluster.brokers.map((b) => b.port)).toContain(coordinator.port);
  });
});
