import type { TopicIdAndName } from '@runnel/group';
import type { ClusterClient } from '@runnel/network';
import { KafkaProtocolError, Metadata } from '@runnel/protocol';
import type { ConsumerContext } from './context.js';
import { deadlineIn, retryUntilDone } from './retry.js';

/**
 * Lists every topic of the cluster (a Metadata request for all topics), for regular-expression
 * subscriptions: the consumer's own RegExp matching and a consumer-protocol member that matches a
 * broker-side pattern itself. Topics the broker reports with an error are left out.
 * @returns each topic's id (the zero UUID before Metadata v10), name and whether it is internal.
 * @throws what {@link ClusterClient.send} throws (e.g. KafkaProtocolError, AuthenticationError).
 */
export async function listTopics(client: ClusterClient): Promise<TopicIdAndName[]> {
  const response = await client.send({
    target: { kind: 'any' },
    api: Metadata,
    message: { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false },
    errorCode: (r) => r.errorCode ?? 0,
  });
  const listed: TopicIdAndName[] = [];
  for (const t of response.topics) {
    if (t.errorCode !== 0 || t.name === null || t.topicId === undefined) continue;
    listed.push({ topicId: t.topicId, name: t.name, isInternal: t.isInternal });
  }
  return listed;
}

/** One partition of a topic as the cluster's metadata describes it (Java's `PartitionInfo`). */
export interface PartitionInfo {
  readonly topic: string;
  readonly partition: number;
  /** The leader's node id; -1 while the partition has none. */
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly inSyncReplicas: readonly number[];
  readonly offlineReplicas: readonly number[];
}

/** Kafka's UNKNOWN_TOPIC_OR_PARTITION: a topic that does not exist is an empty answer, as in Java. */
const UNKNOWN_TOPIC_OR_PARTITION = 3;

/**
 * Describes the partitions of some topics, or of every topic (`topics` null; internal topics left out),
 * with one Metadata request that creates no topic.
 * @returns per topic found its partitions in partition order; a topic the cluster does not know is missing.
 * @throws KafkaProtocolError for another topic error (e.g. TOPIC_AUTHORIZATION_FAILED); what
 *   {@link ClusterClient.send} throws (DeadlineExceededError after `deadlineMs`...).
 */
export async function describeTopics(
  client: ClusterClient,
  topics: readonly string[] | null,
  deadlineMs: number,
): Promise<Map<string, PartitionInfo[]>> {
  const response = await client.send({
    target: { kind: 'any' },
    api: Metadata,
    deadlineMs,
    message: {
      topics: topics === null ? null : topics.map((name) => ({ name })),
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    },
    errorCode: (r) => r.errorCode ?? 0,
  });
  const described = new Map<string, PartitionInfo[]>();
  for (const t of response.topics) {
    if (t.name === null || t.errorCode === UNKNOWN_TOPIC_OR_PARTITION) continue;
    if (t.errorCode !== 0) throw new KafkaProtocolError(t.errorCode, `metadata of topic ${t.name}`);
    if (topics === null && t.isInternal) continue;
    const partitions = t.partitions.map((p) => ({
      topic: t.name!,
      partition: p.partitionIndex,
      leader: p.leaderId,
      replicas: p.replicaNodes,
      inSyncReplicas: p.isrNodes,
      offlineReplicas: p.offlineReplicas ?? [],
    }));
    described.set(
      t.name,
      partitions.sort((a, b) => a.partition - b.partition),
    );
  }
  return described;
}

/**
 * {@link describeTopics}, retried until `defaultApiTimeoutMs`.
 * @returns per topic found its partitions.
 * @throws KafkaProtocolError for a topic error that is not retriable; ConsumerTimeoutError.
 */
export async function topicsOf(
  context: ConsumerContext,
  topics: readonly string[] | null,
): Promise<Map<string, PartitionInfo[]>> {
  const deadline = deadlineIn(context.clock, context.config.defaultApiTimeoutMs);
  let described = new Map<string, PartitionInfo[]>();
  await retryUntilDone(context, topics === null ? 'listTopics' : 'partitionsFor', deadline, async () => {
    described = await describeTopics(context.client, topics, Math.max(1, deadline.at - context.clock.now()));
    return true;
  });
  return described;
}
