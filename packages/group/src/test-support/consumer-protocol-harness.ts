/**
 * The scripted coordinator for a ConsumerProtocolMember: the shared fake clock and request bookkeeping
 * of `ScriptedCoordinator`, plus responses, topics and shortcuts of the consumer group protocol.
 */
import {
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  type TopicPartition,
  UnsupportedVersionError,
} from '@runnel/protocol';
import {
  ConsumerProtocolMember,
  type ConsumerProtocolMemberConfig,
} from '../consumer-protocol/consumer-protocol-member.js';
import type { ConsumerProtocolApis, ConsumerProtocolRequest } from '../requests.js';
import type { TopicIdAndName } from '../topic-partitions.js';
import { findCoordinatorOk, MEMBER_CONFIG, ScriptedCoordinator, tp } from './scripted-coordinator.js';

export * from './scripted-coordinator.js';
export const MEMBER_ID = 'member-a-0000000000000';
export const INTERVAL_MS = 5_000;

/** What a broker that has only ConsumerGroupHeartbeat v0 answers a request that needs v1. */
export function onlyVersion0(): UnsupportedVersionError {
  return new UnsupportedVersionError(
    68,
    'ConsumerGroupHeartbeat',
    { minVersion: 0, maxVersion: 0 },
    { minVersion: 1, maxVersion: 1 },
  );
}

/** Two topics with Kafka-style ids. */
export const PAYMENTS: TopicIdAndName = { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', name: 'payments' };
export const REFUNDS: TopicIdAndName = { topicId: 'AAAAAAAAAAAAAAAAAAAAAg', name: 'refunds' };
export const PAYMENTS_ID = PAYMENTS.topicId;
export const REFUNDS_ID = REFUNDS.topicId;
export const OFFSETS_TOPIC: TopicIdAndName = {
  topicId: 'AAAAAAAAAAAAAAAAAAAAAw',
  name: '__consumer_offsets',
  isInternal: true,
};

/** @returns `payments` partitions with the given numbers. */
export function payments(...ids: number[]): TopicPartition[] {
  return ids.map((id) => tp('payments', id));
}

/** An assignment as the scripted coordinator writes it: topic id -> partitions. */
export type Target = Record<string, number[]>;

export function heartbeatOk(
  memberEpoch: number,
  assignment: Target | null = null,
  heartbeatIntervalMs = INTERVAL_MS,
): ConsumerGroupHeartbeatResponse {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    memberId: MEMBER_ID,
    memberEpoch,
    heartbeatIntervalMs,
    assignment:
      assignment === null
        ? null
        : {
            topicPartitions: Object.entries(assignment).map(([topicId, partitions]) => ({
              topicId,
              partitions,
            })),
          },
  };
}

export function heartbeatError(
  errorCode: number,
  errorMessage: string | null = null,
): ConsumerGroupHeartbeatResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    errorMessage,
    memberId: null,
    memberEpoch: -1,
    heartbeatIntervalMs: 0,
    assignment: null,
  };
}

export class ConsumerProtocolHarness extends ScriptedCoordinator<
  ConsumerProtocolApis,
  ConsumerProtocolMember
> {
  constructor(
    config: Partial<ConsumerProtocolMemberConfig> = {},
    topics: TopicIdAndName[] = [PAYMENTS, REFUNDS],
  ) {
    super(new ConsumerProtocolMember({ ...MEMBER_CONFIG, memberId: MEMBER_ID, ...config }));
    if (topics.length > 0) this.member.onMetadata(topics);
  }

  /** The topic ids the last `poll` reported it could not name. */
  unresolvedTopicIds: readonly string[] = [];

  override poll(): ConsumerProtocolRequest[] {
    const requests = super.poll();
    this.unresolvedTopicIds = this.member.unresolvedTopicIds;
    return requests;
  }

  /** Moves the clock forward (recording a user poll, unless told not to) and polls. */
  advance(ms: number, userPolls = true): ConsumerProtocolRequest[] {
    this.now += ms;
    if (userPolls) this.member.recordPoll(this.now);
    return this.poll();
  }

  /** The body of the oldest outstanding heartbeat, without answering it. */
  peekHeartbeat(): ConsumerGroupHeartbeatRequest {
    const r = this.outstanding.find((x) => x.api === 'ConsumerGroupHeartbeat');
    if (!r) throw new Error('no outstanding heartbeat');
    return r.body as ConsumerGroupHeartbeatRequest;
  }

  /** Subscribes and answers FindCoordinator: a joining heartbeat is outstanding afterwards. */
  startJoining(topics: string[] = ['payments']): void {
    this.member.subscribe(topics, this.now);
    this.findCoordinator();
  }

  /** Subscribes to `regex` and answers FindCoordinator: a joining heartbeat is outstanding afterwards. */
  startJoiningPattern(regex: string): void {
    this.member.subscribePattern(regex, this.now);
    this.findCoordinator();
  }

  private findCoordinator(): void {
    this.poll();
    this.respond('FindCoordinator', findCoordinatorOk());
  }

  /**
   * Joins, receives `target` with `epoch`, acknowledges the events, and answers the acknowledging
   * heartbeat: the member ends STABLE with nothing outstanding.
   */
  join(target: Target, epoch = 1, topics: string[] = ['payments']): void {
    this.startJoining(topics);
    this.respond('ConsumerGroupHeartbeat', heartbeatOk(epoch, target));
    this.ackAll();
    if (this.outstanding.some((r) => r.api === 'ConsumerGroupHeartbeat')) {
      this.respond('ConsumerGroupHeartbeat', heartbeatOk(epoch));
    }
  }
}
