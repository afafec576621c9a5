import type { MemberRequest } from '@runnel/group';
import { type ClusterClient, ClusterMetadata } from '@runnel/network';
import { ErrorCode, Metadata } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { cachedMetadataAnswer } from './cached-metadata.js';

const SNAPSHOT = ClusterMetadata.empty().update(
  {
    brokers: [
      { nodeId: 1, host: 'b1', port: 9092, rack: 'r1' },
      { nodeId: 2, host: 'b2', port: 9092, rack: null },
    ],
    clusterId: 'c',
    controllerId: 1,
    topics: [
      {
        errorCode: ErrorCode.NONE,
        name: 'orders',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
        isInternal: false,
        partitions: [0, 1].map((partitionIndex) => ({
          errorCode: ErrorCode.NONE,
          partitionIndex,
          leaderId: partitionIndex + 1,
          leaderEpoch: 4,
          replicaNodes: [partitionIndex + 1, 2 - partitionIndex],
          isrNodes: [partitionIndex + 1],
          offlineReplicas: [],
        })),
      },
    ],
  },
  0,
);

/** A client whose cache answers `freshTopicMetadata` with `snapshot`, recording what it was asked. */
function clientWith(snapshot: ClusterMetadata | null) {
  const asked: [string[], number][] = [];
  const client = {
    freshTopicMetadata(topics: Iterable<string>, maxAgeMs: number) {
      asked.push([[...topics], maxAgeMs]);
      return snapshot;
    },
  } as unknown as ClusterClient;
  return { client, asked };
}

/** The classic leader's Metadata request for `topics`, allowed from the cache when `maxAgeMs` is set. */
function metadataRequest(topics: string[] | null, maxAgeMs?: number): MemberRequest {
  const body = {
    topics: topics?.map((name) => ({ name })) ?? null,
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
  return {
    id: 1,
    api: 'Metadata',
    apiKey: Metadata.apiKey,
    minVersion: 4,
    maxVersion: 12,
    target: { kind: 'any' },
    timeoutMs: 30_000,
    ...(maxAgeMs === undefined ? {} : { metadataMaxAgeMs: maxAgeMs }),
    body,
    bodyAt: () => body,
  } as MemberRequest;
}

describe("the classic leader's Metadata answered from the cache", () => {
  it('builds the answer a broker would give: brokers with racks, partitions with their replicas', () => {
    const { client, asked } = clientWith(SNAPSHOT);
    const answer = cachedMetadataAnswer(client, metadataRequest(['orders'], 300_000));
    expect(asked).toEqual([[['orders'], 300_000]]);
    expect(answer?.brokers).toEqual([
      { nodeId: 1, host: 'b1', port: 9092, rack: 'r1' },
      { nodeId: 2, host: 'b2', port: 9092, rack: null },
    ]);
    expect(answer?.topics).toEqual([
      {
        errorCode: ErrorCode.NONE,
        name: 'orders',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
        isInternal: false,
        partitions: [
          {
            errorCode: 0,
            partitionIndex: 0,
            leaderId: 1,
            leaderEpoch: 4,
            replicaNodes: [1, 2],
            isrNodes: [1],
            offlineReplicas: [],
          },
          {
            errorCode: 0,
            partitionIndex: 1,
            leaderId: 2,
            leaderEpoch: 4,
            replicaNodes: [2, 1],
            isrNodes: [2],
            offlineReplicas: [],
          },
        ],
      },
    ]);
  });

  it('leaves to a broker a request that does not allow the cache, asks for every topic, or that the cache cannot answer', () => {
    const { client, asked } = clientWith(SNAPSHOT);
    expect(cachedMetadataAnswer(client, metadataRequest(['orders']))).toBeNull();
    expect(cachedMetadataAnswer(client, metadataRequest(null, 300_000))).toBeNull();
    expect(asked).toEqual([]);
    expect(cachedMetadataAnswer(clientWith(null).client, metadataRequest(['orders'], 300_000))).toBeNull();
  });
});
