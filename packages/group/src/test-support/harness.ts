/**
 * A fake clock and a scripted coordinator for driving a ClassicGroupMember in tests: the test decides
 * every response, the harness keeps the requests the member emitted and the events it raised.
 */
import {
  CooperativeStickyAssignor,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  RangeAssignor,
  type TopicPartition,
} from '@runnel/assignors';
import { ErrorCode } from '@runnel/protocol';
import { ClassicGroupMember, type ClassicGroupMemberConfig } from '../classic-member.js';
import type { GroupEvent } from '../events.js';
import type { JoinGroupResponse } from '../messages.js';
import type { BrokerNode, GroupApiName, GroupApis, GroupRequest, GroupRequestOf } from '../requests.js';

export const COORDINATOR: BrokerNode = { nodeId: 1, host: 'broker-1', port: 9092 };
export const OTHER_COORDINATOR: BrokerNode = { nodeId: 2, host: 'broker-2', port: 9092 };
export const GROUP = 'orders';
export const TOPIC = 'payments';
export const SESSION_MS = 10_000;
export const HEARTBEAT_MS = 1_000;
export const MAX_POLL_MS = 60_000;
export const BACKOFF_MS = 100;

export function tp(topic: string, partition: number): TopicPartition {
  return { topic, partition };
}

export function partitions(...ids: number[]): TopicPartition[] {
  return ids.map((id) => tp(TOPIC, id));
}

export type Protocol = 'eager' | 'cooperative';

export class Harness {
  readonly member: ClassicGroupMember;
  now = 1_000_000;
  /** Requests emitted and not answered yet, oldest first. */
  outstanding: GroupRequest[] = [];
  /** Requests emitted by the last `poll`. */
  lastRequests: GroupRequest[] = [];
  /** Every event raised, in order. */
  events: GroupEvent[] = [];
  nextPollAt = 0;
  /** The name of the first configured assignor, which the scripted coordinator picks. */
  readonly protocolName: string;

  constructor(protocol: Protocol = 'eager', config: Partial<ClassicGroupMemberConfig> = {}) {
    this.member = new ClassicGroupMember({
      groupId: GROUP,
      assignors: protocol === 'eager' ? [new RangeAssignor()] : [new CooperativeStickyAssignor()],
      sessionTimeoutMs: SESSION_MS,
      heartbeatIntervalMs: HEARTBEAT_MS,
      maxPollIntervalMs: MAX_POLL_MS,
      retryBackoffMs: BACKOFF_MS,
      retryBackoffMaxMs: 1_000,
      random: () => 0.5,
      ...config,
    });
    this.protocolName = protocol === 'eager' ? 'range' : 'cooperative-sticky';
  }

  /** Polls the member at the current time. @returns the requests it emitted. */
  poll(): GroupRequest[] {
    const r = this.member.poll(this.now);
    this.lastRequests = r.requests;
    this.outstanding.push(...r.requests);
    this.events.push(...r.events);
    this.nextPollAt = r.nextPollAt;
    return r.requests;
  }

  /** Moves the clock forward and polls. @returns the requests emitted. */
  advance(ms: number): GroupRequest[] {
    this.now += ms;
    return this.poll();
  }

  /** Names of the APIs the last poll emitted. */
  apis(): GroupApiName[] {
    return this.lastRequests.map((r) => r.api);
  }

  /** @returns the oldest outstanding request of `api`. @throws Error when there is none. */
  take<A extends GroupApiName>(api: A): GroupRequestOf<A> {
    const i = this.outstanding.findIndex((r) => r.api === api);
    if (i < 0)
      throw new Error(
        `no outstanding ${api} request (outstanding: ${this.outstanding.map((r) => r.api).join(', ')})`,
      );
    const [r] = this.outstanding.splice(i, 1);
    return r as GroupRequestOf<A>;
  }

  /** Answers the oldest outstanding `api` request, then polls. @returns the request answered. */
  respond<A extends GroupApiName>(api: A, response: GroupApis[A]['response'] | Error): GroupRequestOf<A> {
    const r = this.take(api);
    this.member.onResponse(r as GroupRequest, response as never, this.now);
    this.poll();
    return r;
  }

  /** Acknowledges every event still waiting for it, then polls. */
  ackAll(): void {
    this.poll();
    for (const e of this.events) {
      if ('id' in e) this.member.acknowledge(e.id, this.now);
    }
    this.poll();
  }

  /** Events raised since `mark`, without the ones of type `error`. */
  eventsSince(mark: number): GroupEvent[] {
    return this.events.slice(mark).filter((e) => e.type !== 'error');
  }

  // -- ways to reach a state ------------------------------------------------------------------

  /** Subscribes and answers FindCoordinator: a JoinGroup is outstanding afterwards. */
  startJoining(topics: string[] = [TOPIC]): void {
    this.member.subscribe(topics, this.now);
    this.poll();
    this.respond('FindCoordinator', findCoordinatorOk());
  }

  /** Joins as a follower and receives `assigned`; acknowledges, so the member ends STABLE. */
  joinAsFollower(assigned: TopicPartition[], generationId = 1, memberId = 'member-a'): void {
    this.startJoining();
    this.respond(
      'JoinGroup',
      joinOk({ memberId, leader: 'member-leader', generationId, protocolName: this.protocolName }),
    );
    this.respond('SyncGroup', syncOk(assigned));
    this.ackAll();
  }
}

export function findCoordinatorOk(node: BrokerNode = COORDINATOR): GroupApis['FindCoordinator']['response'] {
  return { errorCode: 0, errorMessage: null, nodeId: node.nodeId, host: node.host, port: node.port };
}

export function findCoordinatorError(errorCode: number): GroupApis['FindCoordinator']['response'] {
  return { errorCode, errorMessage: null, nodeId: -1, host: '', port: -1 };
}

export interface JoinOk {
  memberId: string;
  leader: string;
  generationId?: number;
  protocolName?: string;
  members?: { memberId: string; topics: string[]; owned?: TopicPartition[] }[];
  skipAssignment?: boolean;
}

export function joinOk(o: JoinOk, protocolName = o.protocolName ?? 'range'): JoinGroupResponse {
  return {
    errorCode: 0,
    generationId: o.generationId ?? 1,
    protocolType: 'consumer',
    protocolName,
    leader: o.leader,
    skipAssignment: o.skipAssignment ?? false,
    memberId: o.memberId,
    members: (o.members ?? []).map((m) => ({
      memberId: m.memberId,
      groupInstanceId: null,
      metadata: encodeSubscription({ topics: m.topics, ownedPartitions: m.owned ?? [] }),
    })),
  };
}

export function joinError(errorCode: number, memberId = ''): JoinGroupResponse {
  return { errorCode, generationId: -1, protocolName: null, leader: '', memberId, members: [] };
}

export function syncOk(assigned: TopicPartition[]): GroupApis['SyncGroup']['response'] {
  return { errorCode: 0, assignment: encodeAssignment({ partitions: assigned }) };
}

export function syncError(errorCode: number): GroupApis['SyncGroup']['response'] {
  return { errorCode, assignment: new Uint8Array(0) };
}

export function heartbeat(errorCode: number = ErrorCode.NONE): GroupApis['Heartbeat']['response'] {
  return { errorCode };
}

export function metadataFor(topics: Record<string, number>): GroupApis['Metadata']['response'] {
  return {
    brokers: [{ nodeId: 1, host: 'broker-1', port: 9092, rack: null }],
    topics: Object.entries(topics).map(([name, n]) => ({
      errorCode: 0,
      name,
      isInternal: false,
      partitions: Array.from({ length: n }, (_, i) => ({
        errorCode: 0,
        partitionIndex: i,
        leaderId: 1,
        replicaNodes: [1],
        isrNodes: [1],
      })),
    })),
  } as GroupApis['Metadata']['response'];
}

/** @returns the owned partitions a JoinGroup request reports for its first protocol. */
export function ownedInJoin(r: GroupRequestOf<'JoinGroup'>): readonly TopicPartition[] {
  const first = r.body.protocols[0];
  if (!first) throw new Error('JoinGroup without protocols');
  return decodeSubscription('', null, first.metadata).ownedPartitions ?? [];
}
