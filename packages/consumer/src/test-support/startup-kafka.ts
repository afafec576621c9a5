/**
 * A fake Kafka that answers every request of a consumer's start-up at once, for the start-up tests:
 * one broker (node 1) leads both partitions of topic `t` (with a topic id) and coordinates every
 * group; the classic group hands this member every partition after the KIP-394 MEMBER_ID_REQUIRED
 * round, the consumer-protocol group in its first heartbeat answer; the group has no committed
 * offsets; every partition holds three records from offset 0. Each request is recorded with the
 * clock time it arrived at, so a test can prove that nothing waited on a timer.
 */
import { encodeAssignment } from '@runnel/assignors';
import type { FakeClock, FakeHandler, ReceivedRequest } from '@runnel/network/testing';
import {
  ConsumerGroupHeartbeat,
  type ConsumerGroupHeartbeatRequest,
  Fetch,
  type FetchRequest,
  Heartbeat,
  JoinGroup,
  type JoinGroupRequest,
  LeaveGroup,
  ListOffsets,
  OffsetFetch,
  SyncGroup,
} from '@runnel/protocol';
import type { ConsumerConfig } from '../config.js';
import { Consumer } from '../consumer.js';
import { closeOnFakeClock, committedAnswer, FakeKafka, listedAt } from './fake-kafka.js';
import { records } from './fetcher-fake.js';

export const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const PARTITIONS = 2;
const MEMBER_ID_REQUIRED = 79;

/** One request as the fake broker saw it: its API's name and the clock time it arrived. */
export interface SeenRequest {
  readonly api: string;
  readonly at: number;
}

const NAMES = new Map<number, string>();

/** A fake Kafka whose every answer comes at once, and a consumer on it. */
export class StartupKafka {
  readonly kafka: FakeKafka;
  readonly seen: SeenRequest[] = [];
  readonly consumer: Consumer;

  constructor(config: Partial<ConsumerConfig>, clock: FakeClock) {
    this.kafka = new FakeKafka({}, clock);
    this.kafka.topics.clear();
    this.kafka.topics.set('t', { partitions: PARTITIONS, topicId: TOPIC_ID });
    const { cluster } = this.kafka;
    const answer = cluster.handler;
    cluster.handler = (request: ReceivedRequest) => {
      this.seen.push({ api: nameOf(request.apiKey), at: clock.now() });
      return answer(request);
    };
    this.answerGroups();
    this.answerOffsets();
    this.answerFetch();
    this.consumer = new Consumer(
      { brokers: 'broker:9092', autoOffsetReset: 'earliest', ...config },
      { clock, connectionFactory: cluster.factory, random: () => 0.5 },
    );
  }

  /** @returns how many requests of `api` the broker received. */
  count(api: string): number {
    return this.seen.filter((r) => r.api === api).length;
  }

  /** Closes the consumer, moving the clock while its close waits (a group leaves), and the fake's client. */
  async close(): Promise<void> {
    await closeOnFakeClock(this.kafka, this.consumer);
  }

  private on(api: { readonly apiKey: number; readonly name: string }, handler: FakeHandler): void {
    NAMES.set(api.apiKey, api.name);
    this.kafka.on(api, handler);
  }

  private answerGroups(): void {
    let joins = 0;
    this.on(JoinGroup, (r) => {
      const m = r.message as JoinGroupRequest;
      if (joins++ === 0 || m.memberId === '') {
        return {
          response: {
            errorCode: MEMBER_ID_REQUIRED,
            generationId: -1,
            protocolName: null,
            leader: '',
            memberId: 'm-1',
            members: [],
          },
        };
      }
      return {
        response: {
          errorCode: 0,
          generationId: 1,
          protocolType: 'consumer',
          protocolName: m.protocols[0]!.name,
          leader: 'm-1',
          skipAssignment: false,
          memberId: 'm-1',
          members: [{ memberId: 'm-1', groupInstanceId: null, metadata: m.protocols[0]!.metadata }],
        },
      };
    });
    this.on(SyncGroup, () => ({
      response: {
        errorCode: 0,
        assignment: encodeAssignment({
          partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 't', partition })),
        }),
      },
    }));
    this.on(Heartbeat, () => ({ response: { errorCode: 0 } }));
    this.on(LeaveGroup, () => ({ response: { errorCode: 0, members: [] } }));
    this.on(ConsumerGroupHeartbeat, (r) => {
      const m = r.message as ConsumerGroupHeartbeatRequest;
      const leaving = m.memberEpoch < 0;
      return {
        response: {
          throttleTimeMs: 0,
          errorCode: 0,
          errorMessage: null,
          memberId: 'm-1',
          memberEpoch: leaving ? m.memberEpoch : 1,
          heartbeatIntervalMs: 5_000,
          assignment:
            m.memberEpoch === 0 ? { topicPartitions: [{ topicId: TOPIC_ID, partitions: [0, 1] }] } : null,
        },
      };
    });
  }

  private answerOffsets(): void {
    this.on(OffsetFetch, (r) => committedAnswer(r, () => -1));
    this.on(ListOffsets, (r) => listedAt(r));
  }

  private answerFetch(): void {
    this.on(Fetch, (r) => {
      const m = r.message as FetchRequest;
      // Past the records a real broker holds the Fetch for maxWaitMs: this one never answers it.
      if (m.topics.every((t) => t.partitions.every((p) => p.fetchOffset > 0n))) return undefined;
      return {
        response: {
          throttleTimeMs: 0,
          errorCode: 0,
          sessionId: 5,
          responses: m.topics.map((t) => ({
            topic: 't',
            topicId: TOPIC_ID,
            partitions: t.partitions.map((p) => ({
              partitionIndex: p.partition,
              errorCode: 0,
              highWatermark: 3n,
              lastStableOffset: 3n,
              logStartOffset: 0n,
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: p.fetchOffset === 0n ? records(0, 3) : null,
            })),
          })),
        },
      };
    });
  }
}

function nameOf(apiKey: number): string {
  return (
    NAMES.get(apiKey) ??
    { 3: 'Metadata', 10: 'FindCoordinator', 18: 'ApiVersions' }[apiKey] ??
    `api ${apiKey}`
  );
}
