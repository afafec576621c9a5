import type { ConsumerGroupDescribeResponse } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { consumerGroupDescribeRequest, readConsumerGroupDescription } from './consumer-protocol-describe.js';

const GROUP = 'orders';
const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

function member(memberId: string, regex: string | null, partitions: number[], target: number[]) {
  const assignment = (ps: number[]) => ({
    topicPartitions: [{ topicId: TOPIC_ID, topicName: 'payments', partitions: ps }],
  });
  return {
    memberId,
    instanceId: null,
    rackId: null,
    memberEpoch: 4,
    clientId: 'runnel',
    clientHost: '/127.0.0.1',
    subscribedTopicNames: ['refunds', 'payments'],
    subscribedTopicRegex: regex,
    assignment: assignment(partitions),
    targetAssignment: assignment(target),
  };
}

function response(members: ReturnType<typeof member>[]): ConsumerGroupDescribeResponse {
  return {
    throttleTimeMs: 0,
    groups: [
      {
        errorCode: 0,
        errorMessage: null,
        groupId: GROUP,
        groupState: 'Reconciling',
        groupEpoch: 5,
        assignmentEpoch: 5,
        assignorName: 'uniform',
        authorizedOperations: -2147483648,
        members,
      },
    ],
  };
}

describe('ConsumerGroupDescribe', () => {
  it('asks for one group at versions 0-1, without authorized operations', () => {
    const r = consumerGroupDescribeRequest(7, GROUP, { kind: 'any' }, 30_000);
    expect([r.minVersion, r.maxVersion]).toEqual([0, 1]);
    expect(r.bodyAt(0)).toEqual({ groupIds: [GROUP], includeAuthorizedOperations: false });
  });

  it('reads members sorted by id, topics and partitions sorted, and an empty regex as none', () => {
    const d = readConsumerGroupDescription(
      response([member('m-2', '', [2, 0], [0]), member('m-1', 'pay.*', [1], [1, 2])]),
      GROUP,
    );
    expect(d).toMatchObject({
      groupState: 'Reconciling',
      groupEpoch: 5,
      assignmentEpoch: 5,
      assignorName: 'uniform',
    });
    expect(d.members.map((m) => [m.memberId, m.subscribedTopicRegex])).toEqual([
      ['m-1', 'pay.*'],
      ['m-2', null],
    ]);
    expect(d.members[1]!.subscribedTopicNames).toEqual(['payments', 'refunds']);
    expect(d.members[1]!.assignment).toEqual([
      { topic: 'payments', partition: 0 },
      { topic: 'payments', partition: 2 },
    ]);
    expect(d.members[0]!.targetAssignment.map((p) => p.partition)).toEqual([1, 2]);
  });
});
