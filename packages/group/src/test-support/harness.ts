/**
 * The scripted coordinator for a ClassicGroupMember: the shared fake clock and request bookkeeping of
 * `ScriptedCoordinator`, plus responses and shortcuts of the classic protocol.
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
import type { ClassicGroupMemberConfig } from '../classic/classic-config.js';
import { ClassicGroupMember } from '../classic/classic-member.js';
import type { JoinGroupResponse } from '../messages.js';
import type { GroupApis, GroupRequest, GroupRequestOf } from '../requests.js';
import { findCoordinatorOk, MEMBER_CONFIG, ScriptedCoordinator, tp } from './scripted-coordinator.js';

export * from './scripted-coordinator.js';
export const TOPIC = 'payments';
export const SESSION_MS = 10_000;
export const HEARTBEAT_MS = 1_000;

export function partitions(...ids: number[]): TopicPartition[] {
  return ids.map((id) => tp(TOPIC, id));
}

export type Protocol = 'eager' | 'cooperative';

export class Harness extends ScriptedCoordinator<GroupApis, ClassicGroupMember> {
  /** The name of the first configured assignor, which the scripted coordinator picks. */
  readonly protocolName: string;

  constructor(protocol: Protocol = 'eager', config: Partial<ClassicGroupMemberConfig> = {}) {
    super(
      new ClassicGroupMember({
        ...MEMBER_CONFIG,
        assignors: protocol === 'eager' ? [new RangeAssignor()] : [new CooperativeStickyAssignor()],
        sessionTimeoutMs: SESSION_MS,
        heartbeatIntervalMs: HEARTBEAT_MS,
        ...config,
      }),
    );
    this.protocolName = protocol === 'eager' ? 'range' : 'cooperative-sticky';
  }

  /** Moves the clock forward and polls. @returns the requests emitted. */
  advance(ms: number): GroupRequest[] {
    this.now += ms;
    return this.poll();
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

/** @returns the JoinGroup answer of a static leader the coordinator already knows (KIP-814: no assignment). */
export function joinOkSkippingAssignment(): JoinGroupResponse {
  return joinOk({
    memberId: 'a',
    leader: 'a',
    skipAssignment: true,
    members: [{ memberId: 'a', topics: [TOPIC] }],
  });
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
