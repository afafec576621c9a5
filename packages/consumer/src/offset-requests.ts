/**
 * The offset requests of a consumer over the cluster client: ListOffsets (by time, earliest, latest),
 * OffsetFetch and OffsetCommit (group coordinator), OffsetForLeaderEpoch (truncation check). Each one
 * groups partitions by the broker that answers for them and retries retriable errors until a deadline
 * (see retry.ts).
 */

import { type ClusterClient, type ClusterMetadata, DeadlineExceededError } from '@runnel/network';
import {
  isRetriable,
  KafkaProtocolError,
  ListOffsets,
  type ListOffsetsResponse,
  OffsetCommit,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  OffsetFetch,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  OffsetForLeaderEpoch,
  type OffsetForLeaderEpochResponse,
} from '@runnel/protocol';
import { type OffsetAndEpoch, partitionKey, type TopicPartition } from './batch.js';
import type { ConsumerContext } from './context.js';
import { CommitFailedError } from './errors.js';
import { type Deadline, retryUntilDone } from './retry.js';

/** ListOffsets timestamps with a special meaning. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

const GROUP_COORDINATOR = 0;

/** Error codes handled by retrying after a metadata refresh or coordinator lookup. */
const NOT_COORDINATOR = 16;
const COORDINATOR_NOT_AVAILABLE = 15;
const COORDINATOR_LOAD_IN_PROGRESS = 14;
const UNSTABLE_OFFSET_COMMIT = 88;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const LEADER_NOT_AVAILABLE = 5;
const STALE_MEMBER_EPOCH = 113;

/** What to answer for a partition of ListOffsets. */
export interface ListedOffset {
  readonly offset: number;
  readonly timestamp: number;
  readonly leaderEpoch: number;
}

/** A committed offset as OffsetFetch returns it. */
export interface CommittedOffset {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

/** An offset to commit. */
export interface OffsetToCommit extends TopicPartition {
  readonly offset: number;
  readonly leaderEpoch?: number;
  readonly metadata?: string | null;
}

/** The membership an OffsetCommit is sent under; generation -1 and member '' outside a group. */
export interface CommitGeneration {
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

function toNumber(value: bigint): number {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/**
 * @returns why a partition has no leader in `metadata`: the topic's error (e.g. UNKNOWN_TOPIC_OR_PARTITION,
 *   INVALID_TOPIC_EXCEPTION), UNKNOWN_TOPIC_OR_PARTITION for a partition past the topic's count, or
 *   LEADER_NOT_AVAILABLE.
 */
export function noLeaderError(
  metadata: ClusterMetadata,
  topic: string,
  partition: number,
): KafkaProtocolError {
  const t = metadata.topic(topic);
  if (t && t.errorCode !== 0) return new KafkaProtocolError(t.errorCode, `topic ${topic}`);
  if (t && partition >= t.partitions.length) {
    return new KafkaProtocolError(
      UNKNOWN_TOPIC_OR_PARTITION,
      `${topic}-${partition} (the topic has ${t.partitions.length})`,
    );
  }
  return new KafkaProtocolError(LEADER_NOT_AVAILABLE, `${topic}-${partition}`);
}

/**
 * Looks up offsets by timestamp (or EARLIEST_TIMESTAMP / LATEST_TIMESTAMP) from each partition's leader.
 * @returns the offsets by partition key; a partition with no record at or after the timestamp maps to null.
 * @throws KafkaProtocolError for a non-retriable error; AuthenticationError at once when TLS or SASL is
 *   refused; ConsumerTimeoutError when retries ran past the deadline.
 */
export async function listOffsets(
  context: ConsumerContext,
  requests: ReadonlyArray<TopicPartition & { timestamp: number }>,
  isolationLevel: 0 | 1,
  deadline: Deadline,
): Promise<Map<string, ListedOffset | null>> {
  const { client } = context;
  const result = new Map<string, ListedOffset | null>();
  let pending = [...requests];
  await retryUntilDone(context, 'ListOffsets', deadline, async (note) => {
    const metadata = await client.topicMetadata(new Set(pending.map((p) => p.topic)));
    const byLeader = new Map<number, typeof pending>();
    const retry: typeof pending = [];
    for (const p of pending) {
      const leader = metadata.leaderFor(p.topic, p.partition);
      if (!leader) {
        const error = noLeaderError(metadata, p.topic, p.partition);
        // An invalid name or a refused topic does not heal by waiting.
        if (!error.retriable) throw error;
        note(error);
        retry.push(p);
        continue;
      }
      const list = byLeader.get(leader.nodeId) ?? [];
      list.push(p);
      byLeader.set(leader.nodeId, list);
    }
    await Promise.all(
      [...byLeader].map(async ([nodeId, partitions]) => {
        const topics = new Map<string, typeof partitions>();
        for (const p of partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p]);
        let response: ListOffsetsResponse;
        try {
          response = await client.send({
            target: { kind: 'broker', nodeId },
            api: ListOffsets,
            retry: false,
            message: {
              replicaId: -1,
              isolationLevel,
              topics: [...topics].map(([name, ps]) => ({
                name,
                partitions: ps.map((p) => ({
                  partitionIndex: p.partition,
                  currentLeaderEpoch: metadata.partition(p.topic, p.partition)?.leaderEpoch ?? -1,
                  timestamp: BigInt(p.timestamp),
                })),
              })),
            },
          });
        } catch (error) {
          client.requestMetadataUpdate();
          if (!isRetriable(error)) throw error;
          note(error);
          retry.push(...partitions);
          return;
        }
        const asked = new Map(partitions.map((p) => [partitionKey(p.topic, p.partition), p]));
        for (const t of response.topics) {
          for (const p of t.partitions) {
            const k = partitionKey(t.name, p.partitionIndex);
            const req = asked.get(k);
            if (!req) continue;
            asked.delete(k);
            if (p.errorCode !== 0) {
              const error = new KafkaProtocolError(
                p.errorCode,
                `ListOffsets of ${t.name}-${p.partitionIndex}`,
              );
              if (!error.retriable) throw error;
              note(error);
              client.requestMetadataUpdate();
              retry.push(req);
              continue;
            }
            result.set(
              k,
              p.offset < 0n
                ? null
                : {
                    offset: toNumber(p.offset),
                    timestamp: toNumber(p.timestamp),
                    leaderEpoch: p.leaderEpoch ?? -1,
                  },
            );
          }
        }
        retry.push(...asked.values());
      }),
    );
    if (retry.length > 0) client.requestMetadataUpdate();
    pending = retry;
    return pending.length === 0;
  });
  return result;
}

/**
 * Reads the group's committed offsets (waiting for pending transactional commits: requireStable).
 * @returns the committed offset by partition key, or null where the group has none.
 * @throws KafkaProtocolError for a non-retriable error; AuthenticationError at once when TLS or SASL is
 *   refused; ConsumerTimeoutError past the deadline.
 */
export async function fetchCommittedOffsets(
  context: ConsumerContext,
  groupId: string,
  partitions: readonly TopicPartition[],
  deadline: Deadline,
): Promise<Map<string, CommittedOffset | null>> {
  const { client, clock } = context;
  const result = new Map<string, CommittedOffset | null>();
  const topics = new Map<string, number[]>();
  for (const p of partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
  await retryUntilDone(context, 'OffsetFetch', deadline, async () => {
    const response: OffsetFetchResponse = await client.send({
      target: { kind: 'coordinator', keyType: GROUP_COORDINATOR, key: groupId },
      api: OffsetFetch,
      deadlineMs: Math.max(1, deadline.at - clock.now()),
      message: (version: number): OffsetFetchRequest =>
        version >= 8
          ? {
              groups: [
                {
                  groupId,
                  topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
                },
              ],
              requireStable: true,
            }
          : {
              groupId,
              topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
              requireStable: true,
            },
      maxVersion: 9,
    });
    const group = response.groups?.[0];
    const groupError = group ? group.errorCode : (response.errorCode ?? 0);
    if (groupError !== 0) {
      if (groupError === NOT_COORDINATOR || groupError === COORDINATOR_NOT_AVAILABLE) {
        client.invalidateCoordinator(GROUP_COORDINATOR, groupId);
      }
      throw new KafkaProtocolError(groupError, `OffsetFetch of group ${groupId}`);
    }
    const rows = group
      ? group.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name ?? '', ...p })))
      : (response.topics ?? []).flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p })));
    for (const row of rows) {
      if (row.errorCode === UNSTABLE_OFFSET_COMMIT || row.errorCode === COORDINATOR_LOAD_IN_PROGRESS) {
        throw new KafkaProtocolError(row.errorCode, `OffsetFetch of ${row.topic}-${row.partitionIndex}`);
      }
      if (row.errorCode !== 0) {
        throw new KafkaProtocolError(row.errorCode, `OffsetFetch of ${row.topic}-${row.partitionIndex}`);
      }
      result.set(
        partitionKey(row.topic, row.partitionIndex),
        row.committedOffset < 0n
          ? null
          : {
              offset: toNumber(row.committedOffset),
              leaderEpoch: row.committedLeaderEpoch ?? -1,
              metadata: row.metadata,
            },
      );
    }
    return true;
  });
  return result;
}

/**
 * Commits offsets to the group coordinator, retrying coordinator moves and other retriable errors.
 * @returns nothing once every partition's offset is stored.
 * `generation` is read before each attempt; given as a function (a consumer-protocol member, KIP-848),
 * a STALE_MEMBER_EPOCH answer is retried with the member's newer epoch, as Java does.
 * @throws CommitFailedError naming the partitions whose commit failed for good (e.g. the member was
 *   fenced: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS); ConsumerTimeoutError past the deadline.
 */
export async function commitOffsets(
  context: ConsumerContext,
  groupId: string,
  generationOf: CommitGeneration | (() => CommitGeneration),
  offsets: readonly OffsetToCommit[],
  deadline: Deadline,
  onPartitionError?: (errorCode: number, generation: CommitGeneration) => void,
): Promise<void> {
  const { client, clock } = context;
  const followsEpoch = typeof generationOf === 'function';
  let pending = [...offsets];
  if (pending.length === 0) return;
  await retryUntilDone(context, 'OffsetCommit', deadline, async (note) => {
    const topics = new Map<string, OffsetToCommit[]>();
    for (const o of pending) topics.set(o.topic, [...(topics.get(o.topic) ?? []), o]);
    const generation = typeof generationOf === 'function' ? generationOf() : generationOf;
    let response: OffsetCommitResponse;
    try {
      response = await client.send({
        target: { kind: 'coordinator', keyType: GROUP_COORDINATOR, key: groupId },
        api: OffsetCommit,
        deadlineMs: Math.max(1, deadline.at - clock.now()),
        maxVersion: 9,
        message: (): OffsetCommitRequest => ({
          groupId,
          generationIdOrMemberEpoch: generation.generationId,
          memberId: generation.memberId,
          groupInstanceId: generation.groupInstanceId,
          topics: [...topics].map(([name, list]) => ({
            name,
            partitions: list.map((o) => ({
              partitionIndex: o.partition,
              committedOffset: BigInt(o.offset),
              committedLeaderEpoch: o.leaderEpoch ?? -1,
              committedMetadata: o.metadata ?? '',
            })),
          })),
        }),
      });
    } catch (error) {
      if (error instanceof DeadlineExceededError) throw error;
      if (!isRetriable(error)) throw error;
      note(error);
      return false;
    }
    const byKey = new Map(pending.map((o) => [partitionKey(o.topic, o.partition), o]));
    const retry: OffsetToCommit[] = [];
    const failures: { topic: string; partition: number; error: Error }[] = [];
    for (const t of response.topics) {
      for (const p of t.partitions) {
        const k = partitionKey(t.name ?? '', p.partitionIndex);
        const o = byKey.get(k);
        if (!o) continue;
        byKey.delete(k);
        if (p.errorCode === 0) continue;
        onPartitionError?.(p.errorCode, generation);
        const error = new KafkaProtocolError(p.errorCode, `OffsetCommit of ${o.topic}-${o.partition}`);
        if (p.errorCode === NOT_COORDINATOR || p.errorCode === COORDINATOR_NOT_AVAILABLE) {
          client.invalidateCoordinator(GROUP_COORDINATOR, groupId);
        }
        if (error.retriable || (followsEpoch && p.errorCode === STALE_MEMBER_EPOCH)) {
          note(error);
          retry.push(o);
        } else failures.push({ topic: o.topic, partition: o.partition, error });
      }
    }
    if (failures.length > 0) throw new CommitFailedError(failures);
    pending = [...retry, ...byKey.values()];
    return pending.length === 0;
  });
}

/**
 * Asks a partition's leader where the leader epoch of our last consumed record ends, to detect log
 * truncation after a leader change (KIP-320).
 * @returns per partition key the end offset and epoch the leader reports (-1 / -1 when it does not know the epoch).
 * @throws KafkaProtocolError on a non-retriable error; the connection errors of the cluster client.
 */
export async function offsetsForLeaderEpochs(
  client: ClusterClient,
  nodeId: number,
  partitions: ReadonlyArray<TopicPartition & { currentLeaderEpoch: number; leaderEpoch: number }>,
): Promise<Map<string, OffsetAndEpoch | KafkaProtocolError>> {
  const topics = new Map<string, typeof partitions>();
  for (const p of partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p]);
  const response: OffsetForLeaderEpochResponse = await client.send({
    target: { kind: 'broker', nodeId },
    api: OffsetForLeaderEpoch,
    retry: false,
    message: {
      replicaId: -1,
      topics: [...topics].map(([topic, ps]) => ({
        topic,
        partitions: ps.map((p) => ({
          partition: p.partition,
          currentLeaderEpoch: p.currentLeaderEpoch,
          leaderEpoch: p.leaderEpoch,
        })),
      })),
    },
  });
  const out = new Map<string, OffsetAndEpoch | KafkaProtocolError>();
  for (const t of response.topics) {
    for (const p of t.partitions) {
      out.set(
        partitionKey(t.topic, p.partition),
        p.errorCode !== 0
          ? new KafkaProtocolError(p.errorCode, `OffsetForLeaderEpoch of ${t.topic}-${p.partition}`)
          : { offset: toNumber(p.endOffset), leaderEpoch: p.leaderEpoch },
      );
    }
  }
  return out;
}
