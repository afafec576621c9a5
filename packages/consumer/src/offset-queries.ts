/**
 * The offsets a user can look up without moving anything: the group's committed offsets, offsets by
 * time, and the log start and end. Each answers per partition the user asked about, within
 * `defaultApiTimeoutMs`.
 */
import { partitionKey, type TopicPartition } from './batch.js';
import type { ConsumerContext } from './context.js';
import {
  type CommittedOffset,
  EARLIEST_TIMESTAMP,
  fetchCommittedOffsets,
  LATEST_TIMESTAMP,
  type ListedOffset,
  listOffsets,
} from './offset-requests.js';
import { TopicPartitionMap } from './partition-map.js';
import { deadlineIn } from './retry.js';

/**
 * @returns per partition of `partitions` the group's committed offset, leader epoch and metadata, or null.
 * @throws KafkaProtocolError; ConsumerTimeoutError.
 */
export async function committedOffsets(
  context: ConsumerContext,
  groupId: string,
  partitions: readonly TopicPartition[],
): Promise<TopicPartitionMap<CommittedOffset | null>> {
  const deadline = deadlineIn(context.clock, context.config.defaultApiTimeoutMs);
  const found = await fetchCommittedOffsets(context, groupId, partitions, deadline);
  return new TopicPartitionMap(
    partitions.map((tp) => [tp, found.get(partitionKey(tp.topic, tp.partition)) ?? null]),
  );
}

/**
 * @returns per entry of `query` the earliest offset whose timestamp is at or after its time, or null.
 * @throws KafkaProtocolError; ConsumerTimeoutError.
 */
export async function offsetsForTimes(
  context: ConsumerContext,
  query: ReadonlyArray<TopicPartition & { timestamp: number }>,
): Promise<TopicPartitionMap<ListedOffset | null>> {
  const found = await listed(context, query);
  return new TopicPartitionMap(query.map((q) => [q, found.get(partitionKey(q.topic, q.partition)) ?? null]));
}

/**
 * @returns per partition its log start (`earliest`) or end (`latest`: the last stable offset under
 *   read_committed) offset; -1 where the broker had none.
 * @throws KafkaProtocolError; ConsumerTimeoutError.
 */
export async function watermarks(
  context: ConsumerContext,
  partitions: readonly TopicPartition[],
  which: 'earliest' | 'latest',
): Promise<TopicPartitionMap<number>> {
  const timestamp = which === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
  const found = await listed(
    context,
    partitions.map((p) => ({ ...p, timestamp })),
  );
  return new TopicPartitionMap(
    partitions.map((p) => [p, found.get(partitionKey(p.topic, p.partition))?.offset ?? -1]),
  );
}

function listed(
  context: ConsumerContext,
  query: ReadonlyArray<TopicPartition & { timestamp: number }>,
): Promise<Map<string, ListedOffset | null>> {
  const { config, clock } = context;
  const isolation = config.isolationLevel === 'read_committed' ? 1 : 0;
  return listOffsets(context, query, isolation, deadlineIn(clock, config.defaultApiTimeoutMs));
}
