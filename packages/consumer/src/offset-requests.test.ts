import type { ReceivedRequest } from '@runnel/network/testing';
import {
  FindCoordinator,
  KafkaProtocolError,
  ListOffsets,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  Metadata,
  OffsetCommit,
  OffsetFetch,
  OffsetForLeaderEpoch,
  type OffsetForLeaderEpochRequest,
} from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { partitionKey } from './batch.js';
import { CommitFailedError, ConsumerTimeoutError } from './errors.js';
import {
  commitOffsets,
  fetchCommittedOffsets,
  listOffsets,
  offsetsForLeaderEpochs,
} from './offset-requests.js';
import { deadlineIn } from './retry.js';
import {
  BROKER,
  commitAnswer,
  committedAnswer,
  FakeKafka,
  sentCommits,
  settle,
} from './test-support/fake-kafka.js';

const kafkas: FakeKafka[] = [];
afterEach(async () => {
  await Promise.all(kafkas.splice(0).map((k) => k.close()));
});

function kafka(): FakeKafka {
  const k = new FakeKafka({ groupId: 'g', retryBackoffMs: 100 });
  kafkas.push(k);
  return k;
}

/** @returns ListOffsets' answer: per partition asked about, `answer` says its error code or offset. */
function listed(
  request: ReceivedRequest,
  answer: (partition: number) => { errorCode?: number; offset?: bigint },
): { response: ListOffsetsResponse } {
  const m = request.message as ListOffsetsRequest;
  return {
    response: {
      topics: m.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const a = answer(p.partitionIndex);
          return {
            partitionIndex: p.partitionIndex,
            errorCode: a.errorCode ?? 0,
            timestamp: 1_700_000_000_000n,
            offset: a.offset ?? -1n,
            leaderEpoch: 7,
          };
        }),
      })),
    },
  };
}

/** Runs `call` while the clock moves on in steps of 50 ms. @returns what it resolved or rejected with. */
async function outcome<T>(k: FakeKafka, call: Promise<T>, ms = 10_000): Promise<T | Error> {
  let result: T | Error | undefined;
  let settled = false;
  call.then(
    (value) => {
      result = value;
      settled = true;
    },
    (error: Error) => {
      result = error;
      settled = true;
    },
  );
  await settle();
  for (let passed = 0; !settled && passed < ms; passed += 50) await k.pass(50);
  if (!settled) throw new Error(`still pending after ${ms} ms`);
  return result as T | Error;
}

const t = (partition: number, timestamp = -1) => ({ topic: 't', partition, timestamp });

describe('listOffsets', () => {
  it('answers each partition’s offset, timestamp and leader epoch, and null where no record qualifies', async () => {
    const k = kafka();
    k.on(ListOffsets, (r) => listed(r, (p) => ({ offset: p === 0 ? 42n : -1n })));
    const found = await outcome(k, listOffsets(k.context, [t(0), t(1)], 1, deadlineIn(k.clock, 5_000)));
    expect(found).toEqual(
      new Map([
        [partitionKey('t', 0), { offset: 42, timestamp: 1_700_000_000_000, leaderEpoch: 7 }],
        [partitionKey('t', 1), null],
      ]),
    );
    expect(k.requests(ListOffsets)[0]!.message).toMatchObject({ isolationLevel: 1 });
  });

  it('asks again, after refreshing metadata, for a partition its leader no longer leads', async () => {
    const k = kafka();
    let calls = 0;
    k.on(ListOffsets, (r) =>
      listed(r, (p) => (p === 1 && calls++ === 0 ? { errorCode: 6 } : { offset: 5n })),
    );
    const metadataBefore = () => k.requests(Metadata).length;
    const found = await outcome(k, listOffsets(k.context, [t(0), t(1)], 0, deadlineIn(k.clock, 5_000)));
    expect((found as Map<string, unknown>).get(partitionKey('t', 1))).toMatchObject({ offset: 5 });
    const asked = k
      .requests(ListOffsets)
      .map((r) => (r.message as ListOffsetsRequest).topics[0]!.partitions.map((p) => p.partitionIndex));
    expect(asked).toEqual([[0, 1], [1]]);
    expect(metadataBefore()).toBeGreaterThanOrEqual(2);
  });

  it('fails at once on an error waiting cannot heal (TOPIC_AUTHORIZATION_FAILED)', async () => {
    const k = kafka();
    k.on(ListOffsets, (r) => listed(r, () => ({ errorCode: 29 })));
    const error = await outcome(k, listOffsets(k.context, [t(0)], 0, deadlineIn(k.clock, 5_000)));
    expect(error).toBeInstanceOf(KafkaProtocolError);
    expect(error).toMatchObject({ errorName: 'TOPIC_AUTHORIZATION_FAILED' });
    expect(k.requests(ListOffsets)).toHaveLength(1);
  });

  it('gives up on a topic the cluster does not know at the deadline, naming UNKNOWN_TOPIC_OR_PARTITION as the cause', async () => {
    const k = kafka();
    const error = await outcome(
      k,
      listOffsets(
        k.context,
        [{ topic: 'missing', partition: 0, timestamp: -1 }],
        0,
        deadlineIn(k.clock, 2_000),
      ),
    );
    expect(error).toBeInstanceOf(ConsumerTimeoutError);
    expect(error).toMatchObject({ operation: 'ListOffsets', timeoutMs: 2_000 });
    expect((error as Error).cause).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(k.clock.now()).toBeLessThanOrEqual(2_000);
    expect(k.requests(ListOffsets)).toHaveLength(0);
  });
});

describe('fetchCommittedOffsets', () => {
  it('reads the committed offsets, null where the group has none, waiting out pending transactional commits', async () => {
    const k = kafka();
    let calls = 0;
    k.on(OffsetFetch, (r) =>
      calls++ === 0 ? committedAnswer(r, () => 0, 88) : committedAnswer(r, (_t, p) => (p === 0 ? 12 : -1)),
    );
    const found = await outcome(
      k,
      fetchCommittedOffsets(k.context, 'g', [t(0), t(1)], deadlineIn(k.clock, 5_000)),
    );
    expect(found).toEqual(
      new Map([
        [partitionKey('t', 0), { offset: 12, leaderEpoch: -1, metadata: '' }],
        [partitionKey('t', 1), null],
      ]),
    );
    expect(k.requests(OffsetFetch).map((r) => r.message.requireStable)).toEqual([true, true]);
  });

  it('looks the coordinator up again after NOT_COORDINATOR', async () => {
    const k = kafka();
    let calls = 0;
    k.on(OffsetFetch, (r) => {
      if (calls++ > 0) return committedAnswer(r, () => 3);
      return { response: { groups: [{ groupId: 'g', errorCode: 16, topics: [] }] } };
    });
    const found = await outcome(k, fetchCommittedOffsets(k.context, 'g', [t(0)], deadlineIn(k.clock, 5_000)));
    expect((found as Map<string, unknown>).get(partitionKey('t', 0))).toMatchObject({ offset: 3 });
    expect(k.requests(FindCoordinator)).toHaveLength(2);
  });
});

describe('commitOffsets', () => {
  const generation = { generationId: 3, memberId: 'm', groupInstanceId: null };

  it('fails with CommitFailedError naming only the partitions refused for good', async () => {
    const k = kafka();
    k.on(OffsetCommit, (r) => {
      const answer = commitAnswer(r);
      for (const p of answer.response.topics[0]!.partitions) p.errorCode = p.partitionIndex === 2 ? 22 : 0;
      return answer;
    });
    const offsets = [0, 1, 2].map((partition) => ({ topic: 't', partition, offset: 10 }));
    const error = await outcome(
      k,
      commitOffsets(k.context, 'g', generation, offsets, deadlineIn(k.clock, 5_000)),
    );
    expect(error).toBeInstanceOf(CommitFailedError);
    expect((error as CommitFailedError).failures.map((f) => [f.partition, f.error.name])).toEqual([
      [2, 'KafkaProtocolError'],
    ]);
  });

  it('sends again, after a lost connection, only what was not stored', async () => {
    const k = kafka();
    let calls = 0;
    k.on(OffsetCommit, (r) => {
      calls++;
      if (calls === 1) return { disconnect: true };
      const answer = commitAnswer(r);
      if (calls === 2) answer.response.topics[0]!.partitions[1]!.errorCode = 14; // COORDINATOR_LOAD_IN_PROGRESS
      return answer;
    });
    const offsets = [0, 1].map((partition) => ({ topic: 't', partition, offset: 20 + partition }));
    await outcome(k, commitOffsets(k.context, 'g', generation, offsets, deadlineIn(k.clock, 5_000)));
    expect(k.requests(OffsetCommit).map((r) => sentCommits(r).map((c) => c.partition))).toEqual([
      [0, 1],
      [0, 1],
      [1],
    ]);
  });
});

describe('offsetsForLeaderEpochs', () => {
  it('answers, per partition, where the leader’s epoch ends, or the partition’s error', async () => {
    const k = kafka();
    k.on(OffsetForLeaderEpoch, (r) => {
      const m = r.message as OffsetForLeaderEpochRequest;
      return {
        response: {
          throttleTimeMs: 0,
          topics: m.topics.map((topic) => ({
            topic: topic.topic,
            partitions: topic.partitions.map((p) => ({
              partition: p.partition,
              errorCode: p.partition === 1 ? 74 : 0, // FENCED_LEADER_EPOCH
              leaderEpoch: p.leaderEpoch,
              endOffset: 25n,
            })),
          })),
        },
      };
    });
    await k.context.client.topicMetadata(new Set(['t']));
    const answers = await outcome(
      k,
      offsetsForLeaderEpochs(k.context.client, BROKER.nodeId, [
        { topic: 't', partition: 0, currentLeaderEpoch: 7, leaderEpoch: 6 },
        { topic: 't', partition: 1, currentLeaderEpoch: 7, leaderEpoch: 6 },
      ]),
    );
    const map = answers as Map<string, unknown>;
    expect(map.get(partitionKey('t', 0))).toEqual({ offset: 25, leaderEpoch: 6 });
    expect(map.get(partitionKey('t', 1))).toBeInstanceOf(KafkaProtocolError);
    expect(map.get(partitionKey('t', 1))).toMatchObject({ errorName: 'FENCED_LEADER_EPOCH' });
  });
});
