import type { TopicIdAndName } from '@runnel/group';
import type { ClusterClient } from '@runnel/network';
import { Metadata } from '@runnel/protocol';

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
