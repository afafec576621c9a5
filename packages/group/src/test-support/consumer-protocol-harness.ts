/**
 * A fake clock and a scripted coordinator for driving a ConsumerProtocolMember in tests: the test decides
 * every response, the harness keeps the requests the member emitted and the events it raised.
 */
import type { TopicPartition } from '@runnel/assignors';
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse } from '@runnel/protocol';
import type { TopicIdAndName } from '../consumer-protocol-assignment.js';
import { ConsumerProtocolMember, type ConsumerProtocolMemberConfig } from '../consumer-protocol-member.js';
import type {
  ConsumerProtocolApiName,
  ConsumerProtocolApis,
  ConsumerProtocolRequest,
  ConsumerProtocolRequestOf,
} from '../consumer-protocol-requests.js';
import type { GroupEvent } from '../events.js';
import type { BrokerNode } from '../requests.js';

export const COORDINATOR: BrokerNode = { nodeId: 1, host: 'broker-1', port: 9092 };
export const GROUP = 'orders';
export const MEMBER_ID = 'member-a-0000000000000';
export const MAX_POLL_MS = 60_000;
export const INTERVAL_MS = 5_000;
export const BACKOFF_MS = 100;

/** Two topics with Kafka-style ids. */
export const PAYMENTS: TopicIdAndName = { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', name: 'payments' };
export const REFUNDS: TopicIdAndName = { topicId: 'AAAAAAAAAAAAAAAAAAAAAg', name: 'refunds' };
export const OFFSETS_TOPIC: TopicIdAndName = {
  topicId: 'AAAAAAAAAAAAAAAAAAAAAw',
  name: '__consumer_offsets',
  isInternal: true,
};

export function tp(topic: string, partition: number): TopicPartition {
  return { topic, partition };
}

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

export function findCoordinatorOk(
  node: BrokerNode = COORDINATOR,
): ConsumerProtocolApis['FindCoordinator']['response'] {
  return { errorCode: 0, errorMessage: null, nodeId: node.nodeId, host: node.host, port: node.port };
}

export class ConsumerProtocolHarness {
  readonly member: ConsumerProtocolMember;
  now = 1_000_000;
  /** Requests emitted and not answered yet, oldest first. */
  outstanding: ConsumerProtocolRequest[] = [];
  /** Requests emitted by the last `poll`. */
  lastRequests: ConsumerProtocolRequest[] = [];
  /** Every event raised, in order. */
  events: GroupEvent[] = [];
  nextPollAt = 0;
  unresolvedTopicIds: readonly string[] = [];

  constructor(
    config: Partial<ConsumerProtocolMemberConfig> = {},
    topics: TopicIdAndName[] = [PAYMENTS, REFUNDS],
  ) {
    this.member = new ConsumerProtocolMember({
      groupId: GROUP,
      memberId: MEMBER_ID,
      maxPollIntervalMs: MAX_POLL_MS,
      retryBackoffMs: BACKOFF_MS,
      retryBackoffMaxMs: 1_000,
      random: () => 0.5,
      ...config,
    });
    if (topics.length > 0) this.member.onMetadata(topics);
  }

  /** Polls the member at the current time. @returns the requests it emitted. */
  poll(): ConsumerProtocolRequest[] {
    const r = this.member.poll(this.now);
    this.lastRequests = r.requests;
    this.outstanding.push(...r.requests);
    this.events.push(...r.events);
    this.nextPollAt = r.nextPollAt;
    this.unresolvedTopicIds = r.unresolvedTopicIds;
    return r.requests;
  }

  /** Moves the clock forward (recording a user poll, unless told not to) and polls. */
  advance(ms: number, userPolls = true): ConsumerProtocolRequest[] {
    this.now += ms;
    if (userPolls) this.member.recordPoll(this.now);
    return this.poll();
  }

  /** Names of the APIs the last poll emitted. */
  apis(): ConsumerProtocolApiName[] {
    return this.lastRequests.map((r) => r.api);
  }

  /** @returns the oldest outstanding request of `api`. @throws Error when there is none. */
  take<A extends ConsumerProtocolApiName>(api: A): ConsumerProtocolRequestOf<A> {
    const i = this.outstanding.findIndex((r) => r.api === api);
    if (i < 0) {
      throw new Error(
        `no outstanding ${api} (outstanding: ${this.outstanding.map((r) => r.api).join(', ')})`,
      );
    }
    const [r] = this.outstanding.splice(i, 1);
    return r as ConsumerProtocolRequestOf<A>;
  }

  /** The body of the oldest outstanding heartbeat, without answering it. */
  peekHeartbeat(): ConsumerGroupHeartbeatRequest {
    const r = this.outstanding.find((x) => x.api === 'ConsumerGroupHeartbeat');
    if (!r) throw new Error('no outstanding heartbeat');
    return r.body as ConsumerGroupHeartbeatRequest;
  }

  /** Answers the oldest outstanding `api` request, then polls. @returns the request answered. */
  respond<A extends ConsumerProtocolApiName>(
    api: A,
    response: ConsumerProtocolApis[A]['response'] | Error,
  ): ConsumerProtocolRequestOf<A> {
    const r = this.take(api);
    this.member.onResponse(r as ConsumerProtocolRequest, response as never, this.now);
    this.poll();
    return r;
  }

  /**
   * Plays a consumer that handles every event at once: acknowledges each one (also those raised by an
   * acknowledgement, such as the assignment that follows a revocation), polling in between.
   */
  ackAll(): void {
    const acked = new Set<number>();
    for (let round = 0; round < 10; round++) {
      this.poll();
      const open = this.events.filter((e) => 'id' in e && !acked.has(e.id)) as { id: number }[];
      if (open.length === 0) return;
      for (const e of open) {
        acked.add(e.id);
        this.member.acknowledge(e.id, this.now);
      }
    }
    throw new Error('events kept coming for ten rounds of acknowledgements');
  }

  /** Events raised since `mark`, without the ones of type `error`. */
  eventsSince(mark: number): GroupEvent[] {
    return this.events.slice(mark).filter((e) => e.type !== 'error');
  }

  /** Subscribes and answers FindCoordinator: a joining heartbeat is outstanding afterwards. */
  startJoining(topics: string[] = ['payments']): void {
    this.member.subscribe(topics, this.now);
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
