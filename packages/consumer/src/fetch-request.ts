/** Builds the Fetch request of one fetch-session step, at the version the broker was asked in. */
import type { FetchRequest, FetchRequestFetchTopic, FetchResponse } from '@runnel/protocol';
import type { ResolvedConfig } from './config.js';
import type { FetchSessionRequest } from './fetch-session.js';

/** Fetch v13+ names topics by id; older versions by name. */
export const FIRST_TOPIC_ID_VERSION = 13;

/**
 * @param maxBytes the response's size limit: `fetchMaxBytes`, or less when the buffer has less room.
 * @returns the request for `version`; topics by id from v13 (`topicIds` must then hold every topic).
 */
export function buildFetchRequest(
  request: FetchSessionRequest,
  version: number,
  topicIds: ReadonlyMap<string, string>,
  config: ResolvedConfig,
  maxBytes: number,
): FetchRequest {
  const byId = version >= FIRST_TOPIC_ID_VERSION;
  const topics = new Map<string, FetchRequestFetchTopic>();
  for (const p of request.partitions) {
    let t = topics.get(p.topic);
    if (!t) {
      t = byId ? { topicId: topicIds.get(p.topic)!, partitions: [] } : { topic: p.topic, partitions: [] };
      topics.set(p.topic, t);
    }
    t.partitions.push({
      partition: p.partition,
      currentLeaderEpoch: p.currentLeaderEpoch,
      fetchOffset: BigInt(p.fetchOffset),
      lastFetchedEpoch: p.lastFetchedEpoch,
      logStartOffset: -1n,
      partitionMaxBytes: p.maxBytes,
    });
  }
  const forgotten = new Map<string, number[]>();
  for (const p of request.forgotten) forgotten.set(p.topic, [...(forgotten.get(p.topic) ?? []), p.partition]);
  return {
    replicaId: -1,
    maxWaitMs: config.fetchMaxWaitMs,
    minBytes: config.fetchMinBytes,
    maxBytes,
    isolationLevel: config.isolationLevel === 'read_committed' ? 1 : 0,
    sessionId: request.sessionId,
    sessionEpoch: request.sessionEpoch,
    topics: [...topics.values()],
    forgottenTopicsData: [...forgotten].map(([topic, partitions]) =>
      byId ? { topicId: topicIds.get(topic)!, partitions } : { topic, partitions },
    ),
    rackId: config.rack ?? '',
  };
}

/** @returns how many partitions of a Fetch answer carry record data (the `fetch` event's count). */
export function withRecords(response: FetchResponse): number {
  let count = 0;
  for (const topic of response.responses) {
    for (const p of topic.partitions) if (p.records !== null && p.records.length > 0) count++;
  }
  return count;
}
