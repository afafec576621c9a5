/**
 * The bodies of ShareFetch and ShareAcknowledge, and the checked reading of what their answers say
 * about acquired records. The answers come from the network: acquired ranges are checked (sorted,
 * in range, bounded in count) before anything is sized by them. No I/O.
 */
import { DecodeError } from '@runnel/codec';
import {
  type AcquiredRecords,
  ErrorCode,
  KafkaProtocolError,
  type ShareAcknowledgeRequest,
  type ShareAcknowledgeResponse,
  type ShareFetchRequest,
  type ShareFetchResponse,
} from '@runnel/protocol';
import { partitionKey } from '../batch.js';
import type { AcknowledgementAnswer } from './acknowledgement-ledger.js';
import { acknowledgementBatches, type PendingAcknowledgement } from './acknowledgements.js';
import type { AcquiredRange, SharePartitionData } from './share-fetch-buffer.js';
import type { SessionPartition } from './share-session.js';

/** The acknowledgements of one partition that one request carries. */
export interface AcknowledgementsOf {
  readonly partition: SessionPartition;
  readonly acks: readonly PendingAcknowledgement[];
}

/** Who asks, in every share request. */
export interface ShareMemberRef {
  readonly groupId: string;
  readonly memberId: string;
}

/** The fetch settings of a ShareFetch. */
export interface ShareFetchSizes {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly maxRecords: number;
}

/**
 * The most acquired offsets one partition's answer may report. A share partition holds at most
 * `group.share.partition.max.record.locks` records in flight (a few thousand), and compacted batches
 * widen ranges past their records; past this, the answer is refused rather than walked.
 */
export const MAX_ACQUIRED_OFFSETS = 1_000_000;

type TopicEntry<P> = { topicId: string; partitions: P[] };

function byTopic<P>(items: readonly { topicId: string; entry: P }[]): TopicEntry<P>[] {
  const topics = new Map<string, TopicEntry<P>>();
  for (const { topicId, entry } of items) {
    let t = topics.get(topicId);
    if (t === undefined) {
      t = { topicId, partitions: [] };
      topics.set(topicId, t);
    }
    t.partitions.push(entry);
  }
  return [...topics.values()];
}

/** @returns the ShareFetch body: the listed partitions and those with acknowledgements, and the forgotten ones. */
export function shareFetchBody(
  member: ShareMemberRef,
  epoch: number,
  sizes: ShareFetchSizes,
  listed: readonly SessionPartition[],
  forgotten: readonly SessionPartition[],
  acks: readonly AcknowledgementsOf[],
): ShareFetchRequest {
  const ackOf = new Map(acks.map((a) => [a.partition.key, a.acks]));
  const partitions = new Map<string, SessionPartition>(listed.map((p) => [p.key, p]));
  for (const a of acks) partitions.set(a.partition.key, a.partition);
  return {
    groupId: member.groupId,
    memberId: member.memberId,
    shareSessionEpoch: epoch,
    maxWaitMs: sizes.maxWaitMs,
    minBytes: sizes.minBytes,
    maxBytes: sizes.maxBytes,
    maxRecords: sizes.maxRecords,
    batchSize: sizes.maxRecords,
    topics: byTopic(
      [...partitions.values()].map((p) => ({
        topicId: p.topicId,
        entry: {
          partitionIndex: p.partition,
          acknowledgementBatches: acknowledgementBatches(ackOf.get(p.key) ?? []),
        },
      })),
    ),
    forgottenTopicsData: byTopic(forgotten.map((p) => ({ topicId: p.topicId, entry: p.partition }))),
  };
}

/** @returns the ShareAcknowledge body carrying `acks` at `epoch` (-1 closes the session). */
export function shareAcknowledgeBody(
  member: ShareMemberRef,
  epoch: number,
  acks: readonly AcknowledgementsOf[],
): ShareAcknowledgeRequest {
  return {
    groupId: member.groupId,
    memberId: member.memberId,
    shareSessionEpoch: epoch,
    topics: byTopic(
      acks.map((a) => ({
        topicId: a.partition.topicId,
        entry: {
          partitionIndex: a.partition.partition,
          acknowledgementBatches: acknowledgementBatches(a.acks),
        },
      })),
    ),
  };
}

/**
 * @returns the acquired ranges of a ShareFetch answer as numbers, sorted.
 * @throws DecodeError when a range is negative, reversed, overlaps another, has a delivery count below
 *   1, or the ranges hold more than {@link MAX_ACQUIRED_OFFSETS} offsets together.
 */
export function acquiredRanges(list: readonly AcquiredRecords[]): AcquiredRange[] {
  const ranges = list
    .map((r) => ({ first: r.firstOffset, last: r.lastOffset, deliveryCount: r.deliveryCount }))
    .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  let total = 0n;
  let previousLast = -1n;
  const out: AcquiredRange[] = [];
  for (const r of ranges) {
    if (r.first < 0n || r.last < r.first || r.first <= previousLast || r.deliveryCount < 1) {
      throw new DecodeError(
        `ShareFetch answered an invalid acquired range ${r.first}-${r.last} (delivery count ${r.deliveryCount})`,
      );
    }
    total += r.last - r.first + 1n;
    if (total > BigInt(MAX_ACQUIRED_OFFSETS)) {
      throw new DecodeError(
        `ShareFetch answered more than ${MAX_ACQUIRED_OFFSETS} acquired offsets for one partition`,
      );
    }
    previousLast = r.last;
    out.push({ first: Number(r.first), last: Number(r.last), deliveryCount: r.deliveryCount });
  }
  return out;
}

/** What one ShareFetch answer says, partition by partition. */
export interface ShareFetchAnswer {
  /** The answers to the acknowledgements it carried, by partition key. */
  readonly acknowledgements: Map<string, AcknowledgementAnswer>;
  /** What each partition acquired, its ranges checked; partitions that acquired nothing are left out. */
  readonly acquired: SharePartitionData[];
  /** Partitions answered with an error code. */
  readonly partitionErrors: { readonly topic: string; readonly partition: number; readonly error: Error }[];
  /** Why a partition's acquired ranges were refused (nothing was sized by them; the broker releases the records after their lock). */
  readonly invalid: Error[];
}

/**
 * @param topicName the topic of an id, from metadata; partitions of unknown topics are left out.
 * @param lockExpiresAt when the acquired records' lock runs out.
 * @returns what `response` says, partition by partition. Never throws: invalid ranges are in `invalid`.
 */
export function readShareFetch(
  response: ShareFetchResponse,
  topicName: (topicId: string) => string | undefined,
  lockExpiresAt: number,
): ShareFetchAnswer {
  const answer: ShareFetchAnswer = {
    acknowledgements: new Map(),
    acquired: [],
    partitionErrors: [],
    invalid: [],
  };
  for (const t of response.responses) {
    const topic = topicName(t.topicId);
    if (!topic) continue;
    for (const p of t.partitions) {
      const partition = p.partitionIndex;
      const key = partitionKey(topic, partition);
      answer.acknowledgements.set(key, {
        errorCode: p.acknowledgeErrorCode,
        errorMessage: p.acknowledgeErrorMessage,
      });
      if (p.errorCode !== ErrorCode.NONE) {
        const error = new KafkaProtocolError(p.errorCode, `ShareFetch of ${key}`);
        answer.partitionErrors.push({ topic, partition, error });
        continue;
      }
      if (p.acquiredRecords.length === 0) continue;
      try {
        const acquired = acquiredRanges(p.acquiredRecords);
        answer.acquired.push({ key, topic, partition, records: p.records, acquired, lockExpiresAt });
      } catch (error) {
        answer.invalid.push(error as Error);
      }
    }
  }
  return answer;
}

/** @returns the answers of a ShareAcknowledge, by partition key (partitions of unknown topics left out). */
export function readShareAcknowledge(
  response: ShareAcknowledgeResponse,
  topicName: (topicId: string) => string | undefined,
): Map<string, AcknowledgementAnswer> {
  const answers = new Map<string, AcknowledgementAnswer>();
  for (const t of response.responses) {
    const topic = topicName(t.topicId);
    if (topic) for (const p of t.partitions) answers.set(partitionKey(topic, p.partitionIndex), p);
  }
  return answers;
}
