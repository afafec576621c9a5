import { ErrorCode } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { GroupBrokerError, GroupConfigError, IllegalTransitionError } from '../errors.js';
import {
  COORDINATOR,
  ConsumerProtocolHarness,
  connectionLost,
  eventTypes,
  GROUP,
  heartbeatError,
  heartbeatOk,
  INTERVAL_MS,
  MAX_POLL_MS,
  MEMBER_ID,
  PAYMENTS_ID,
  payments,
} from '../test-support/consumer-protocol-harness.js';
import { randomMemberId } from './abstract-membership.js';
import { readConsumerGroupDescription } from './consumer-protocol-describe.js';
import { ConsumerProtocolMember } from './consumer-protocol-member.js';
import {
  CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES,
  ConsumerProtocolMemberState,
} from './consumer-protocol-states.js';

describe('the transition table', () => {
  it('lists valid previous states for every state, all of them real states', () => {
    const states = Object.values(ConsumerProtocolMemberState);
    expect(Object.keys(CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES).sort()).toEqual([...states].sort());
    for (const previous of Object.values(CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES)) {
      for (const p of previous) expect(states).toContain(p);
    }
  });

  it('lets a member rejoin only from UNSUBSCRIBED, FENCED or STALE, as Kafka does', () => {
    expect([...CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES.JOINING].sort()).toEqual([
      'FENCED',
      'STALE',
      'UNSUBSCRIBED',
    ]);
    expect(CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES.ACKNOWLEDGING).toEqual(['RECONCILING']);
    expect(CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES.STALE).toEqual(['LEAVING']);
  });

  it('throws IllegalTransitionError when subscribing while leaving or fatal', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] });
    h.member.leaveGroup(h.now);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.PREPARE_LEAVING);
    expect(() => h.member.subscribe(['payments'], h.now)).toThrow(IllegalTransitionError);

    const f = new ConsumerProtocolHarness();
    f.startJoining();
    f.respond('ConsumerGroupHeartbeat', heartbeatError(ErrorCode.GROUP_MAX_SIZE_REACHED));
    expect(f.member.state).toBe(ConsumerProtocolMemberState.FATAL);
    expect(() => f.member.subscribe(['payments'], f.now)).toThrow(IllegalTransitionError);
  });
});

describe('configuration', () => {
  it('rejects an empty group id, an empty member id and timeouts that are not positive', () => {
    expect(() => new ConsumerProtocolMember({ groupId: '' })).toThrow(GroupConfigError);
    expect(() => new ConsumerProtocolMember({ groupId: GROUP, memberId: '' })).toThrow(GroupConfigError);
    expect(() => new ConsumerProtocolMember({ groupId: GROUP, maxPollIntervalMs: 0 })).toThrow(
      GroupConfigError,
    );
    expect(() => new ConsumerProtocolMember({ groupId: GROUP, requestTimeoutMs: 1.5 })).toThrow(
      GroupConfigError,
    );
  });

  it('makes a random member id of 22 base64url characters, like the Java consumer', () => {
    const a = new ConsumerProtocolMember({ groupId: GROUP }).memberId;
    const b = new ConsumerProtocolMember({ groupId: GROUP }).memberId;
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a).not.toBe(b);
  });

  it('gives 10 000 members 10 000 ids whose 16 bytes all vary', () => {
    const ids = Array.from({ length: 10_000 }, () => randomMemberId());
    expect(new Set(ids).size).toBe(10_000);
    const bytes = ids.map((id) => Buffer.from(id, 'base64url'));
    expect(bytes.every((b) => b.length === 16)).toBe(true);
    for (let i = 0; i < 16; i++) {
      // 10 000 draws of a uniform byte leave no value out, in practice: each byte position is random.
      expect(new Set(bytes.map((b) => b[i])).size).toBe(256);
    }
  });

  it('rejects an empty subscription and an empty regular expression', () => {
    const m = new ConsumerProtocolMember({ groupId: GROUP });
    expect(() => m.subscribe([], 0)).toThrow(GroupConfigError);
    expect(() => m.subscribePattern('', 0)).toThrow(GroupConfigError);
    expect(m.state).toBe(ConsumerProtocolMemberState.UNSUBSCRIBED);
  });
});

describe('static membership', () => {
  it('sends the instance id in every heartbeat and leaves with epoch -2', () => {
    const h = new ConsumerProtocolHarness({ groupInstanceId: 'instance-1' });
    h.join({ [PAYMENTS_ID]: [0] }, 3);
    h.advance(INTERVAL_MS);
    expect(h.peekHeartbeat().instanceId).toBe('instance-1');
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(3));
    h.member.leaveGroup(h.now);
    h.ackAll();
    expect(h.member.state).toBe(ConsumerProtocolMemberState.LEAVING);
    expect(h.peekHeartbeat()).toMatchObject({
      memberEpoch: -2,
      instanceId: 'instance-1',
      topicPartitions: null,
    });
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(-2));
    expect(h.member.state).toBe(ConsumerProtocolMemberState.UNSUBSCRIBED);
  });
});

describe('leaving', () => {
  it('revokes what the consumer holds, then leaves with epoch -1, and is UNSUBSCRIBED on the answer', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0, 1] }, 3);
    const mark = h.events.length;
    h.member.leaveGroup(h.now);
    h.poll();
    expect(h.member.state).toBe(ConsumerProtocolMemberState.PREPARE_LEAVING);
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsRevoked', id: expect.any(Number), partitions: payments(0, 1) },
    ]);
    expect(h.apis()).toEqual([]);
    h.ackAll();
    expect(h.member.state).toBe(ConsumerProtocolMemberState.LEAVING);
    expect(h.peekHeartbeat()).toMatchObject({ memberEpoch: -1, memberId: MEMBER_ID });
    h.respond('ConsumerGroupHeartbeat', connectionLost());
    expect(h.member.state).toBe(ConsumerProtocolMemberState.UNSUBSCRIBED);
    expect(h.member.generation()).toMatchObject({ generationId: -1, memberId: '' });
    // Joining again starts from epoch 0 with the same member id.
    h.member.subscribe(['payments'], h.now);
    h.poll();
    expect(h.peekHeartbeat()).toMatchObject({ memberEpoch: 0, memberId: MEMBER_ID });
  });

  it('ignores a new target assignment while preparing to leave', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 3);
    h.advance(INTERVAL_MS);
    h.member.leaveGroup(h.now);
    h.poll();
    const mark = h.events.length;
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(4, { [PAYMENTS_ID]: [0, 1] }));
    expect(h.member.state).toBe(ConsumerProtocolMemberState.PREPARE_LEAVING);
    expect(eventTypes(h.events.slice(mark))).toEqual([]);
  });

  it('sends no leave heartbeat when fenced while preparing to leave', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 3);
    h.advance(INTERVAL_MS);
    h.member.leaveGroup(h.now);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(ErrorCode.FENCED_MEMBER_EPOCH));
    h.ackAll();
    expect(h.member.state).toBe(ConsumerProtocolMemberState.UNSUBSCRIBED);
    expect(h.outstanding).toEqual([]);
  });

  it('a FENCED member that leaves goes straight to UNSUBSCRIBED', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 3);
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(ErrorCode.UNKNOWN_MEMBER_ID));
    expect(h.member.state).toBe(ConsumerProtocolMemberState.FENCED);
    h.member.leaveGroup(h.now);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.UNSUBSCRIBED);
    h.ackAll();
    expect(h.outstanding).toEqual([]);
  });
});

describe('max poll interval', () => {
  it('a member that stalls past it leaves with epoch -1, loses its partitions, and rejoins on the next poll', () => {
    const h = new ConsumerProtocolHarness({ groupInstanceId: 'instance-1' });
    h.join({ [PAYMENTS_ID]: [0, 1] }, 7);
    const mark = h.events.length;
    // Heartbeats keep going while the user code is busy...
    for (let t = 0; t < MAX_POLL_MS; t += INTERVAL_MS) {
      h.advance(INTERVAL_MS, false);
      if (h.outstanding.length > 0) h.respond('ConsumerGroupHeartbeat', heartbeatOk(7));
    }
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STABLE);
    // ...until the max poll interval has passed.
    h.advance(INTERVAL_MS, false);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STALE);
    const leave = h.take('ConsumerGroupHeartbeat');
    expect(leave.body).toMatchObject({ memberEpoch: -1, instanceId: 'instance-1' });
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsLost', id: expect.any(Number), partitions: payments(0, 1) },
    ]);
    // A STALE member does not heartbeat, and ignores the answer to its leave.
    h.member.onResponse(leave, heartbeatOk(-1), h.now);
    expect(h.advance(INTERVAL_MS * 3, false)).toEqual([]);
    h.ackAll();
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STALE);
    h.member.recordPoll(h.now);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.JOINING);
    h.poll();
    expect(h.peekHeartbeat()).toMatchObject({ memberEpoch: 0, topicPartitions: [] });
  });

  it('an answer to a heartbeat sent before the member went stale is ignored', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 7);
    h.now += MAX_POLL_MS - 1;
    h.poll();
    const hb = h.take('ConsumerGroupHeartbeat');
    h.advance(2, false);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STALE);
    h.member.onResponse(hb, heartbeatOk(8, { [PAYMENTS_ID]: [0, 1] }), h.now);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STALE);
    expect(h.member.memberEpoch).toBe(0);
  });
});

describe('offset commits and health', () => {
  it('generation() carries the member epoch while in the group', () => {
    const h = new ConsumerProtocolHarness({ serverAssignor: 'range' });
    expect(h.member.generation()).toEqual({
      groupId: GROUP,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      protocolName: 'range',
    });
    h.join({ [PAYMENTS_ID]: [0] }, 9);
    expect(h.member.generation()).toMatchObject({ generationId: 9, memberId: MEMBER_ID });
  });

  it('an OffsetCommit NOT_COORDINATOR makes the member find the coordinator again', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 9);
    h.member.onOffsetCommitError(ErrorCode.NOT_COORDINATOR, 9, h.now);
    h.poll();
    expect(h.apis()).toEqual(['FindCoordinator']);
    h.member.onOffsetCommitError(ErrorCode.STALE_MEMBER_EPOCH, 8, h.now);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STABLE);
  });

  it('requestDescription sends ConsumerGroupDescribe to the coordinator and health() shows the answer', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 9);
    h.member.requestDescription();
    h.poll();
    expect(h.apis()).toEqual(['ConsumerGroupDescribe']);
    const r = h.take('ConsumerGroupDescribe');
    expect(r.body).toEqual({ groupIds: [GROUP], includeAuthorizedOperations: false });
    expect(r.target).toEqual({ kind: 'coordinator', node: COORDINATOR });
    const assignment = {
      topicPartitions: [{ topicId: PAYMENTS_ID, topicName: 'payments', partitions: [0] }],
    };
    h.member.onResponse(
      r,
      {
        throttleTimeMs: 0,
        groups: [
          {
            errorCode: 0,
            errorMessage: null,
            groupId: GROUP,
            groupState: 'Stable',
            groupEpoch: 9,
            assignmentEpoch: 9,
            assignorName: 'uniform',
            authorizedOperations: -2147483648,
            members: [
              {
                memberId: MEMBER_ID,
                instanceId: null,
                rackId: null,
                memberEpoch: 9,
                clientId: 'runnel',
                clientHost: '/127.0.0.1',
                subscribedTopicNames: ['payments'],
                subscribedTopicRegex: null,
                assignment,
                targetAssignment: assignment,
              },
            ],
          },
        ],
      },
      h.now,
    );
    const health = h.member.health();
    expect(health).toMatchObject({
      state: ConsumerProtocolMemberState.STABLE,
      memberEpoch: 9,
      ownedPartitions: payments(0),
      group: { groupState: 'Stable', groupEpoch: 9, assignorName: 'uniform' },
      self: { memberEpoch: 9, assignment: payments(0), targetAssignment: payments(0) },
      describedAt: h.now,
      describeError: null,
    });
  });

  it('readConsumerGroupDescription throws GroupBrokerError for a group the response reports an error for', () => {
    const response = {
      throttleTimeMs: 0,
      groups: [
        {
          errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
          errorMessage: 'Group orders is not a consumer group.',
          groupId: GROUP,
          groupState: '',
          groupEpoch: 0,
          assignmentEpoch: 0,
          assignorName: '',
          authorizedOperations: 0,
          members: [],
        },
      ],
    };
    expect(() => readConsumerGroupDescription(response, GROUP)).toThrow(GroupBrokerError);
    expect(() => readConsumerGroupDescription({ throttleTimeMs: 0, groups: [] }, GROUP)).toThrow(
      /GROUP_ID_NOT_FOUND/,
    );
  });
});
