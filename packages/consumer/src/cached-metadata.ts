/**
 * The classic leader's Metadata question answered from the metadata the consumer already holds. The
 * leader needs its group's topics and partitions to assign them; a fresh consumer fetched exactly that
 * a few milliseconds before it joined, so asking a broker again costs a round trip on the way to the
 * first record for nothing. Java's leader assigns from its cached metadata unless that is older than
 * `metadata.max.age.ms` or lacks a topic: the same rule, decided by the client's `freshTopicMetadata`.
 */
import type { MemberRequest } from '@runnel/group';
import type { ClusterClient, ClusterMetadata } from '@runnel/network';
import type { MetadataResponse } from '@runnel/protocol';

/**
 * @returns the answer to `request` built from the client's metadata, or null when it must go to a
 *   broker: not a Metadata request that allows it (`metadataMaxAgeMs`), or a cache that is stale,
 *   older than that, or missing one of its topics.
 */
export function cachedMetadataAnswer(client: ClusterClient, request: MemberRequest): MetadataResponse | null {
  if (request.api !== 'Metadata' || request.metadataMaxAgeMs === undefined) return null;
  // No topic list (null) asks for every topic of the cluster, which the cache does not hold.
  if (request.body.topics === null) return null;
  const names: string[] = [];
  for (const t of request.body.topics) {
    if (t.name === null || t.name === undefined) return null;
    names.push(t.name);
  }
  const snapshot = client.freshTopicMetadata(names, request.metadataMaxAgeMs);
  return snapshot === null ? null : metadataResponseOf(snapshot, names);
}

/** @returns the Metadata answer that `snapshot` holds for `topics` (each present, checked by the caller). */
function metadataResponseOf(snapshot: ClusterMetadata, topics: readonly string[]): MetadataResponse {
  return {
    brokers: [...snapshot.brokers.values()].map((b) => ({
      nodeId: b.nodeId,
      host: b.host,
      port: b.port,
      rack: b.rack,
    })),
    clusterId: snapshot.clusterId,
    controllerId: snapshot.controllerId,
    topics: topics.map((name) => {
      const topic = snapshot.topic(name)!;
      return {
        errorCode: topic.errorCode,
        name,
        ...(topic.topicId === null ? {} : { topicId: topic.topicId }),
        isInternal: topic.isInternal,
        partitions: topic.partitions.map((p) => ({
          errorCode: p!.errorCode,
          partitionIndex: p!.partition,
          leaderId: p!.leaderId,
          leaderEpoch: p!.leaderEpoch,
          replicaNodes: [...p!.replicaNodes],
          isrNodes: [...p!.isrNodes],
          offlineReplicas: [...p!.offlineReplicas],
        })),
      };
    }),
  };
}
