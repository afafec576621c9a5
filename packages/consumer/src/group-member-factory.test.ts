import { encodeAssignment, encodeSubscription } from '@runnel/assignors';
import type { GroupMember } from '@runnel/group';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { createGroupMember } from './group-member-factory.js';

/**
 * Answers `member`'s outstanding requests of `api` (taken out of `asked`) with `result`, acknowledges
 * what it raises, and polls. @returns the APIs outstanding afterwards.
 */
function respond(member: GroupMember, api: string, result: unknown, now: number, asked: { api: string }[]) {
  const answered = asked.filter((r) => r.api === api);
  asked.splice(0, asked.length, ...asked.filter((r) => r.api !== api));
  for (const r of answered) member.onResponse(r as never, result as never, now);
  const next = member.poll(now);
  asked.push(...next.requests);
  for (const e of next.events) if ('id' in e) member.acknowledge(e.id, now);
  asked.push(...member.poll(now).requests);
  return asked.map((r) => r.api);
}

const metadata = {
  brokers: [{ nodeId: 1, host: 'b', port: 9092, rack: null }],
  topics: [
    {
      errorCode: 0,
      name: 'orders',
      isInternal: false,
      partitions: [0, 1].map((i) => ({
        errorCode: 0,
        partitionIndex: i,
        leaderId: 1,
        replicaNodes: [1],
        isrNodes: [1],
      })),
    },
  ],
};

describe('createGroupMember', () => {
  it("gives the classic member the consumer's metadataMaxAgeMs: its leader checks partition counts that often", () => {
    const member = createGroupMember(
      resolveConfig({ brokers: 'b:9092', groupId: 'g', groupProtocol: 'classic', metadataMaxAgeMs: 7_000 }),
    );
    let now = 1_000;
    member.subscribe(['orders'], now);
    const asked = [...member.poll(now).requests];
    const coordinator = { errorCode: 0, errorMessage: null, nodeId: 1, host: 'b', port: 9092 };
    expect(respond(member, 'FindCoordinator', coordinator, now, asked)).toEqual(['JoinGroup']);
    const joined = {
      errorCode: 0,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      leader: 'm',
      skipAssignment: false,
      memberId: 'm',
      members: [
        { memberId: 'm', groupInstanceId: null, metadata: encodeSubscription({ topics: ['orders'] }) },
      ],
    };
    expect(respond(member, 'JoinGroup', joined, now, asked)).toEqual(['Metadata']);
    expect(respond(member, 'Metadata', metadata, now, asked)).toEqual(['SyncGroup']);
    const synced = {
      errorCode: 0,
      assignment: encodeAssignment({ partitions: [{ topic: 'orders', partition: 0 }] }),
    };
    respond(member, 'SyncGroup', synced, now, asked);
    expect(member.state).toBe('STABLE');
    // Heartbeats aside, nothing until metadataMaxAgeMs has passed since the assignment; then a Metadata.
    now += 6_999;
    expect(
      respond(member, 'Heartbeat', { errorCode: 0 }, now, asked).filter((a) => a !== 'Heartbeat'),
    ).toEqual([]);
    now += 1;
    expect(respond(member, 'Heartbeat', { errorCode: 0 }, now, asked)).toContain('Metadata');
  });
});
