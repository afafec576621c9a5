import { ErrorCode, UnsupportedVersionError } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { assignmentFromResponse, resolveAssignment } from './consumer-protocol-assignment.js';
import { readConsumerGroupDescription } from './consumer-protocol-describe.js';
import {
  CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES,
  ConsumerProtocolMember,
  ConsumerProtocolMemberState,
} from './consumer-protocol-member.js';
import {
  FencedInstanceIdError,
  GroupBrokerError,
  GroupConfigError,
  GroupFatalError,
  GroupMaxSizeReachedError,
  IllegalTransitionError,
} from './errors.js';
import type { GroupEvent } from './events.js';
import {
  BACKOFF_MS,
  COORDINATOR,
  ConsumerProtocolHarness,
  findCoordinatorOk,
  GROUP,
  heartbeatError,
  heartbeatOk,
  INTERVAL_MS,
  MAX_POLL_MS,
  MEMBER_ID,
  OFFSETS_TOPIC,
  onlyVersion0,
  PAYMENTS,
  payments,
  REFUNDS,
  tp,
} from './test-support/consumer-protocol-harness.js';

const E = ErrorCode;
const S = ConsumerProtocolMemberState;
const P = PAYMENTS.topicId;
const R = REFUNDS.topicId;
const connectionLost = () => new Error('connection reset by broker-1:9092');

function types(events: readonly GroupEvent[]): string[] {
  return events.map((e) => e.type);
}

function withId(events: readonly GroupEvent[], type: GroupEvent['type']): GroupEvent & { id: number } {
  const e = events.find((x) => x.type === type);
  if (!e || !('id' in e)) throw new Error(`no ${type} event`);
  return e;
}

describe('the transition table', () => {
  it('lists valid previous states for every state, all of them real states', () => {
    const states = Object.values(S);
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
    h.join({ [P]: [0] });
    h.member.leaveGroup(h.now);
    expect(h.member.state).toBe(S.PREPARE_LEAVING);
    expect(() => h.member.subscribe(['payments'], h.now)).toThrow(IllegalTransitionError);

    const f = new ConsumerProtocolHarness();
    f.startJoining();
    f.respond('ConsumerGroupHeartbeat', heartbeatError(E.GROUP_MAX_SIZE_REACHED));
    expect(f.member.state).toBe(S.FATAL);
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

  it('rejects an empty subscription and an empty regular expression', () => {
    const m = new ConsumerProtocolMember({ groupId: GROUP });
    expect(() => m.subscribe([], 0)).toThrow(GroupConfigError);
    expect(() => m.subscribePattern('', 0)).toThrow(GroupConfigError);
    expect(m.state).toBe(S.UNSUBSCRIBED);
  });
});

describe('joining', () => {
  it('looks up the coordinator, then sends a full heartbeat with epoch 0', () => {
    const h = new ConsumerProtocolHarness({ serverAssignor: 'uniform', clientRack: 'rack-a' });
    h.member.subscribe(['refunds', 'payments', 'payments'], h.now);
    expect(h.member.state).toBe(S.JOINING);
    expect(h.poll().map((r) => r.api)).toEqual(['FindCoordinator']);
    h.respond('FindCoordinator', findCoordinatorOk());
    const r = h.take('ConsumerGroupHeartbeat');
    expect(r.target).toEqual({ kind: 'coordinator', node: COORDINATOR });
    expect([r.minVersion, r.maxVersion]).toEqual([0, 1]);
    expect(r.body).toEqual({
      groupId: GROUP,
      memberId: MEMBER_ID,
      memberEpoch: 0,
      instanceId: null,
      rackId: 'rack-a',
      rebalanceTimeoutMs: MAX_POLL_MS,
      subscribedTopicNames: ['payments', 'refunds'],
      subscribedTopicRegex: null,
      serverAssignor: 'uniform',
      topicPartitions: [],
    });
  });

  it('an empty first assignment makes the member STABLE with the epoch and interval the coordinator gave', () => {
    const h = new ConsumerProtocolHarness();
    h.startJoining();
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(3, {}, 2_000));
    expect(h.member.state).toBe(S.STABLE);
    expect(h.member.memberEpoch).toBe(3);
    expect(h.eventsSince(0)).toEqual([]);
    expect(h.nextPollAt).toBe(h.now + 2_000);
    expect(h.advance(1_999)).toEqual([]);
    expect(h.advance(1).map((r) => r.api)).toEqual(['ConsumerGroupHeartbeat']);
  });

  it('a first assignment is assigned, then acknowledged at once in the next heartbeat, then STABLE', () => {
    const h = new ConsumerProtocolHarness();
    h.startJoining();
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(1, { [P]: [1, 0] }));
    expect(h.member.state).toBe(S.RECONCILING);
    const assigned = withId(h.events, 'partitionsAssigned');
    expect(assigned).toMatchObject({
      partitions: payments(0, 1),
      assignment: payments(0, 1),
      generationId: 1,
      memberId: MEMBER_ID,
    });
    // Nothing is acknowledged before the consumer has run its callbacks.
    expect(h.advance(INTERVAL_MS).map((r) => r.api)).toEqual(['ConsumerGroupHeartbeat']);
    expect(h.peekHeartbeat().topicPartitions).toBeNull();
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(1));
    h.member.acknowledge(assigned.id, h.now);
    expect(h.member.state).toBe(S.ACKNOWLEDGING);
    h.poll();
    expect(h.apis()).toEqual(['ConsumerGroupHeartbeat']);
    expect(h.peekHeartbeat()).toMatchObject({
      memberEpoch: 1,
      topicPartitions: [{ topicId: P, partitions: [0, 1] }],
    });
    expect(h.member.state).toBe(S.STABLE);
    expect(h.member.ownedPartitions).toEqual(payments(0, 1));
  });

  it('sends only what changed once in the group: null fields and rebalance timeout -1', () => {
    const h = new ConsumerProtocolHarness({ serverAssignor: 'uniform', clientRack: 'rack-a' });
    h.join({ [P]: [0] }, 4);
    h.advance(INTERVAL_MS);
    expect(h.peekHeartbeat()).toEqual({
      groupId: GROUP,
      memberId: MEMBER_ID,
      memberEpoch: 4,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: null,
    });
  });

  it('never has two heartbeats in flight', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] });
    h.advance(INTERVAL_MS);
    expect(h.apis()).toEqual(['ConsumerGroupHeartbeat']);
    expect(h.advance(INTERVAL_MS * 3)).toEqual([]);
  });
});

describe('reconciling a new target assignment', () => {
  it('revokes first, and assigns only after the revocation is acknowledged', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0, 1] });
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2, { [P]: [1, 2] }));
    expect(h.member.state).toBe(S.RECONCILING);
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsRevoked', id: expect.any(Number), partitions: payments(0) },
    ]);
    // While the consumer revokes, heartbeats go on at the interval, still reporting the old assignment.
    h.advance(INTERVAL_MS);
    expect(h.peekHeartbeat().topicPartitions).toBeNull();
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2));
    h.member.acknowledge(withId(h.eventsSince(mark), 'partitionsRevoked').id, h.now);
    h.poll();
    const assigned = h.eventsSince(mark)[1];
    expect(assigned).toMatchObject({
      type: 'partitionsAssigned',
      partitions: payments(2),
      assignment: payments(1, 2),
    });
    expect(h.member.state).toBe(S.RECONCILING);
    h.ackAll();
    expect(h.peekHeartbeat().topicPartitions).toEqual([{ topicId: P, partitions: [1, 2] }]);
    expect(h.member.state).toBe(S.STABLE);
  });

  it('a target that only adds partitions raises one partitionsAssigned with the added ones', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] });
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2, { [P]: [0], [R]: [3] }));
    expect(types(h.eventsSince(mark))).toEqual(['partitionsAssigned']);
    expect(h.eventsSince(mark)[0]).toMatchObject({
      partitions: [tp('refunds', 3)],
      assignment: [...payments(0), tp('refunds', 3)],
      generationId: 2,
    });
  });

  it('a target received while revoking is reconciled once the first one is acknowledged', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0, 1, 2] });
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2, { [P]: [0, 1] }));
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(3, { [P]: [0] }));
    expect(types(h.eventsSince(mark))).toEqual(['partitionsRevoked']);
    const revoke = withId(h.eventsSince(mark), 'partitionsRevoked');
    h.member.acknowledge(revoke.id, h.now);
    h.poll();
    const assign = withId(h.eventsSince(mark), 'partitionsAssigned');
    expect(assign).toMatchObject({ partitions: [], assignment: payments(0, 1), generationId: 3 });
    h.member.acknowledge(assign.id, h.now);
    expect(h.member.state).toBe(S.ACKNOWLEDGING);
    h.poll(); // the acknowledgement of [0, 1] goes out, and the next round starts
    expect(h.peekHeartbeat().topicPartitions).toEqual([{ topicId: P, partitions: [0, 1] }]);
    expect(h.member.state).toBe(S.RECONCILING);
    const after = h.eventsSince(mark);
    expect(after.at(-1)).toMatchObject({ type: 'partitionsRevoked', partitions: payments(1) });
  });

  it('the same target again changes nothing', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] });
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(1, { [P]: [0] }));
    expect(h.member.state).toBe(S.STABLE);
    expect(h.eventsSince(mark)).toEqual([]);
  });

  it('reconciles what metadata names, reports the other topic ids, and finishes when metadata names them', () => {
    const h = new ConsumerProtocolHarness({}, [PAYMENTS]);
    h.join({ [P]: [0] });
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2, { [P]: [0], [R]: [0, 1] }));
    expect(h.unresolvedTopicIds).toEqual([R]);
    expect(h.member.state).toBe(S.RECONCILING);
    expect(h.eventsSince(mark)).toEqual([]);
    h.member.onMetadata([REFUNDS]);
    h.poll();
    expect(h.unresolvedTopicIds).toEqual([]);
    expect(h.eventsSince(mark)[0]).toMatchObject({
      type: 'partitionsAssigned',
      partitions: [tp('refunds', 0), tp('refunds', 1)],
    });
    h.ackAll();
    expect(h.member.state).toBe(S.STABLE);
  });

  it('revokes right away even while a newly assigned topic still has no name', () => {
    const h = new ConsumerProtocolHarness({}, [PAYMENTS]);
    h.join({ [P]: [0, 1] });
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2, { [P]: [0], [R]: [5] }));
    expect(h.eventsSince(mark)[0]).toMatchObject({ type: 'partitionsRevoked', partitions: payments(1) });
    h.ackAll();
    expect(h.peekHeartbeat().topicPartitions).toEqual([{ topicId: P, partitions: [0] }]);
    expect(h.member.state).toBe(S.RECONCILING);
    expect(h.unresolvedTopicIds).toEqual([R]);
  });
});

describe('fencing', () => {
  it.each([
    ['FENCED_MEMBER_EPOCH', E.FENCED_MEMBER_EPOCH],
    ['UNKNOWN_MEMBER_ID', E.UNKNOWN_MEMBER_ID],
  ])('%s while stable drops the assignment as lost and rejoins with epoch 0', (_name, code) => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0, 1] }, 5);
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(code));
    expect(h.member.state).toBe(S.FENCED);
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsLost', id: expect.any(Number), partitions: payments(0, 1) },
    ]);
    expect(h.apis()).toEqual([]); // no rejoin before the loss is handled
    h.ackAll();
    expect(h.member.state).toBe(S.JOINING);
    expect(h.apis()).toEqual(['ConsumerGroupHeartbeat']);
    expect(h.peekHeartbeat()).toMatchObject({
      memberId: MEMBER_ID,
      memberEpoch: 0,
      subscribedTopicNames: ['payments'],
      topicPartitions: [],
      rebalanceTimeoutMs: MAX_POLL_MS,
    });
  });

  it('FENCED_MEMBER_EPOCH while reconciling drops the assignment as lost and rejoins with epoch 0', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0, 1] }, 5);
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(6, { [P]: [0, 2] }));
    expect(h.member.state).toBe(S.RECONCILING);
    const revoked = withId(h.eventsSince(mark), 'partitionsRevoked');
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(E.FENCED_MEMBER_EPOCH));
    expect(h.member.state).toBe(S.FENCED);
    expect(h.eventsSince(mark).at(-1)).toMatchObject({ type: 'partitionsLost', partitions: payments(0) });
    // The late revocation acknowledgement must not resume the reconciliation that was dropped.
    h.member.acknowledge(revoked.id, h.now);
    h.poll();
    expect(types(h.eventsSince(mark))).toEqual(['partitionsRevoked', 'partitionsLost']);
    h.ackAll();
    expect(h.member.state).toBe(S.JOINING);
    expect(h.peekHeartbeat().memberEpoch).toBe(0);
    expect(h.member.ownedPartitions).toEqual([]);
  });

  it('FENCED_MEMBER_EPOCH while acknowledging loses the partitions just assigned too', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] }, 5);
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(6, { [P]: [0, 1] }));
    h.advance(INTERVAL_MS); // a heartbeat is in flight when the consumer finishes assigning
    h.member.acknowledge(withId(h.eventsSince(mark), 'partitionsAssigned').id, h.now);
    h.poll();
    expect(h.member.state).toBe(S.ACKNOWLEDGING);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(E.FENCED_MEMBER_EPOCH));
    expect(h.member.state).toBe(S.FENCED);
    expect(h.eventsSince(mark).at(-1)).toMatchObject({ type: 'partitionsLost', partitions: payments(0, 1) });
  });

  it('UNKNOWN_MEMBER_ID while joining rejoins at once, with no lost event', () => {
    const h = new ConsumerProtocolHarness();
    h.startJoining();
    h.respond('ConsumerGroupHeartbeat', heartbeatError(E.UNKNOWN_MEMBER_ID));
    expect(h.member.state).toBe(S.JOINING);
    expect(h.eventsSince(0)).toEqual([]);
    expect(h.apis()).toEqual(['ConsumerGroupHeartbeat']);
  });
});

describe('fatal errors', () => {
  it.each([
    ['GROUP_MAX_SIZE_REACHED', E.GROUP_MAX_SIZE_REACHED, GroupMaxSizeReachedError],
    ['FENCED_INSTANCE_ID', E.FENCED_INSTANCE_ID, FencedInstanceIdError],
    ['UNRELEASED_INSTANCE_ID', E.UNRELEASED_INSTANCE_ID, GroupFatalError],
    ['UNSUPPORTED_ASSIGNOR', E.UNSUPPORTED_ASSIGNOR, GroupFatalError],
    ['INVALID_REGULAR_EXPRESSION', E.INVALID_REGULAR_EXPRESSION, GroupFatalError],
    ['GROUP_AUTHORIZATION_FAILED', E.GROUP_AUTHORIZATION_FAILED, GroupFatalError],
    ['INVALID_REQUEST', E.INVALID_REQUEST, GroupFatalError],
    ['UNSUPPORTED_VERSION', E.UNSUPPORTED_VERSION, GroupFatalError],
    ['UNKNOWN_SERVER_ERROR (unexpected, not retriable)', E.UNKNOWN_SERVER_ERROR, GroupFatalError],
  ])(
    '%s puts a stable member in FATAL, its partitions lost, and it sends nothing more',
    (_name, code, kind) => {
      const h = new ConsumerProtocolHarness({ groupInstanceId: 'instance-1' });
      h.join({ [P]: [0] });
      const mark = h.events.length;
      h.advance(INTERVAL_MS);
      h.respond('ConsumerGroupHeartbeat', heartbeatError(code, 'details from the broker'));
      expect(h.member.state).toBe(S.FATAL);
      const fatal = h.eventsSince(mark).find((e) => e.type === 'fatal');
      expect(fatal?.type === 'fatal' && fatal.error).toBeInstanceOf(kind);
      expect(h.member.fatalError?.errorCode).toBe(code);
      expect(types(h.eventsSince(mark))).toEqual(['partitionsLost', 'fatal']);
      expect(h.advance(MAX_POLL_MS * 2)).toEqual([]);
      expect(h.nextPollAt).toBe(Number.POSITIVE_INFINITY);
    },
  );

  it('a cluster without ConsumerGroupHeartbeat is fatal with ERR_GROUP_PROTOCOL_UNSUPPORTED', () => {
    const h = new ConsumerProtocolHarness();
    h.startJoining();
    h.respond(
      'ConsumerGroupHeartbeat',
      new UnsupportedVersionError(68, 'ConsumerGroupHeartbeat', null, { minVersion: 0, maxVersion: 1 }),
    );
    expect(h.member.state).toBe(S.FATAL);
    expect(h.member.fatalError?.code).toBe('ERR_GROUP_PROTOCOL_UNSUPPORTED');
  });
});

describe('retriable errors', () => {
  it.each([
    ['NOT_COORDINATOR', E.NOT_COORDINATOR],
    ['COORDINATOR_NOT_AVAILABLE', E.COORDINATOR_NOT_AVAILABLE],
  ])('%s finds the coordinator again and then sends a full heartbeat at once', (_name, code) => {
    const h = new ConsumerProtocolHarness({ serverAssignor: 'uniform' });
    h.join({ [P]: [0] }, 2);
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(code));
    expect(h.member.coordinator).toBeNull();
    expect(h.apis()).toEqual(['FindCoordinator']);
    h.respond('FindCoordinator', findCoordinatorOk());
    expect(h.apis()).toEqual(['ConsumerGroupHeartbeat']);
    expect(h.peekHeartbeat()).toMatchObject({
      memberEpoch: 2,
      rebalanceTimeoutMs: MAX_POLL_MS,
      subscribedTopicNames: ['payments'],
      serverAssignor: 'uniform',
      topicPartitions: [{ topicId: P, partitions: [0] }],
    });
    expect(h.member.state).toBe(S.STABLE);
  });

  it('COORDINATOR_LOAD_IN_PROGRESS backs off, then retries with every field', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] }, 2);
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(E.COORDINATOR_LOAD_IN_PROGRESS));
    expect(h.apis()).toEqual([]);
    expect(h.nextPollAt).toBe(h.now + BACKOFF_MS);
    h.advance(BACKOFF_MS);
    expect(h.apis()).toEqual(['ConsumerGroupHeartbeat']);
    expect(h.peekHeartbeat().subscribedTopicNames).toEqual(['payments']);
  });

  it('a connection error reports the error, finds the coordinator again and backs off', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] }, 2);
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', connectionLost());
    expect(types(h.events.slice(mark))).toEqual(['error']);
    expect(h.apis()).toEqual(['FindCoordinator']);
    h.respond('FindCoordinator', findCoordinatorOk());
    expect(h.apis()).toEqual([]);
    h.advance(BACKOFF_MS);
    expect(h.apis()).toEqual(['ConsumerGroupHeartbeat']);
    expect(h.member.state).toBe(S.STABLE);
  });

  it('a retriable error code backs off exponentially and keeps the membership', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] }, 2);
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(E.REQUEST_TIMED_OUT));
    h.advance(BACKOFF_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(E.REQUEST_TIMED_OUT));
    expect(h.nextPollAt).toBe(h.now + 2 * BACKOFF_MS);
    const errors = h.events.filter((e) => e.type === 'error');
    expect(errors.map((e) => e.type === 'error' && (e.error as GroupBrokerError).errorName)).toEqual([
      'REQUEST_TIMED_OUT',
      'REQUEST_TIMED_OUT',
    ]);
    expect(h.member.state).toBe(S.STABLE);
    expect(h.member.ownedPartitions).toEqual(payments(0));
  });

  it('TOPIC_AUTHORIZATION_FAILED is reported and the member stays in the group', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] }, 2);
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(E.TOPIC_AUTHORIZATION_FAILED));
    expect(h.events.at(-1)).toMatchObject({
      type: 'error',
      error: { errorName: 'TOPIC_AUTHORIZATION_FAILED' },
    });
    expect(h.member.state).toBe(S.STABLE);
  });
});

describe('finding the coordinator', () => {
  it('backs off after COORDINATOR_NOT_AVAILABLE and asks again', () => {
    const h = new ConsumerProtocolHarness();
    h.member.subscribe(['payments'], h.now);
    h.poll();
    h.respond('FindCoordinator', {
      errorCode: E.COORDINATOR_NOT_AVAILABLE,
      errorMessage: null,
      nodeId: -1,
      host: '',
      port: -1,
    });
    expect(h.apis()).toEqual([]);
    expect(h.events.at(-1)).toMatchObject({
      type: 'error',
      error: { errorName: 'COORDINATOR_NOT_AVAILABLE' },
    });
    h.advance(BACKOFF_MS);
    expect(h.apis()).toEqual(['FindCoordinator']);
  });

  it('GROUP_AUTHORIZATION_FAILED from FindCoordinator is fatal for a joining member', () => {
    const h = new ConsumerProtocolHarness();
    h.member.subscribe(['payments'], h.now);
    h.poll();
    h.respond('FindCoordinator', {
      errorCode: E.GROUP_AUTHORIZATION_FAILED,
      errorMessage: null,
      nodeId: -1,
      host: '',
      port: -1,
    });
    expect(h.member.state).toBe(S.FATAL);
    expect(h.member.fatalError?.errorName).toBe('GROUP_AUTHORIZATION_FAILED');
  });

  it('reads the coordinator out of the coordinators list of FindCoordinator v4+', () => {
    const h = new ConsumerProtocolHarness();
    h.member.subscribe(['payments'], h.now);
    h.poll();
    const r = h.take('FindCoordinator');
    expect(r.bodyAt(3)).toEqual({ key: GROUP, keyType: 0 });
    expect(r.bodyAt(6)).toEqual({ keyType: 0, coordinatorKeys: [GROUP] });
    h.member.onResponse(
      r,
      {
        throttleTimeMs: 0,
        coordinators: [
          { key: GROUP, nodeId: 3, host: 'broker-3', port: 9093, errorCode: 0, errorMessage: null },
        ],
      },
      h.now,
    );
    expect(h.member.coordinator).toEqual({ nodeId: 3, host: 'broker-3', port: 9093 });
  });
});

describe('subscriptions', () => {
  it('a changed topic list goes out in the next heartbeat only', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] });
    h.member.subscribe(['payments', 'refunds'], h.now);
    h.advance(INTERVAL_MS);
    expect(h.peekHeartbeat().subscribedTopicNames).toEqual(['payments', 'refunds']);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(1));
    h.advance(INTERVAL_MS);
    expect(h.peekHeartbeat().subscribedTopicNames).toBeNull();
    expect(h.member.state).toBe(S.STABLE);
  });

  it('a regular expression goes to the broker in subscribedTopicRegex, which needs version 1', () => {
    const h = new ConsumerProtocolHarness();
    h.startJoiningPattern('pay.*');
    const r = h.take('ConsumerGroupHeartbeat');
    expect([r.minVersion, r.maxVersion]).toEqual([1, 1]);
    expect(r.body).toMatchObject({ subscribedTopicRegex: 'pay.*', subscribedTopicNames: [] });
    expect(r.bodyAt(0).subscribedTopicRegex).toBeUndefined();
    h.member.onResponse(r, heartbeatOk(1, {}), h.now);
    h.advance(INTERVAL_MS);
    const next = h.take('ConsumerGroupHeartbeat');
    expect(next.body.subscribedTopicRegex).toBeNull();
    expect(next.minVersion).toBe(0);
  });

  it('falls back to matching the regular expression here when the broker has only version 0', () => {
    const h = new ConsumerProtocolHarness({}, [PAYMENTS, REFUNDS, OFFSETS_TOPIC]);
    h.startJoiningPattern('(pay|__consumer).*');
    h.respond('ConsumerGroupHeartbeat', onlyVersion0());
    expect(h.member.state).toBe(S.JOINING);
    const r = h.take('ConsumerGroupHeartbeat');
    expect(r.minVersion).toBe(0);
    // Internal topics never match; the match is on the whole name.
    expect(r.body).toMatchObject({ subscribedTopicNames: ['payments'], subscribedTopicRegex: null });
    h.member.onResponse(r, heartbeatOk(1, {}), h.now);
    h.member.onMetadata([PAYMENTS, REFUNDS, { topicId: 'AAAAAAAAAAAAAAAAAAAABA', name: 'payouts' }]);
    h.advance(INTERVAL_MS);
    expect(h.peekHeartbeat().subscribedTopicNames).toEqual(['payments', 'payouts']);
  });

  it('a regular expression neither the broker nor this client can resolve is fatal, never a crash', () => {
    const h = new ConsumerProtocolHarness();
    h.startJoiningPattern('pay(');
    h.respond('ConsumerGroupHeartbeat', onlyVersion0());
    expect(h.member.state).toBe(S.FATAL);
    expect(h.member.fatalError?.errorName).toBe('INVALID_REGULAR_EXPRESSION');
    expect(h.advance(INTERVAL_MS)).toEqual([]);
  });

  it('asks for the topic list while a client-side regular expression has none', () => {
    const h = new ConsumerProtocolHarness({}, []);
    h.startJoiningPattern('pay.*');
    h.respond('ConsumerGroupHeartbeat', onlyVersion0());
    expect(h.member.poll(h.now).topicListWanted).toBe(true);
    h.member.onMetadata([PAYMENTS]);
    expect(h.member.poll(h.now).topicListWanted).toBe(false);
  });

  it('switching from a regular expression to topic names sends an empty regular expression', () => {
    const h = new ConsumerProtocolHarness();
    h.startJoiningPattern('pay.*');
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(1, {}));
    h.member.subscribe(['refunds'], h.now);
    h.advance(INTERVAL_MS);
    const r = h.take('ConsumerGroupHeartbeat');
    expect(r.body).toMatchObject({ subscribedTopicRegex: '', subscribedTopicNames: ['refunds'] });
    expect(r.minVersion).toBe(1);
  });
});

describe('static membership', () => {
  it('sends the instance id in every heartbeat and leaves with epoch -2', () => {
    const h = new ConsumerProtocolHarness({ groupInstanceId: 'instance-1' });
    h.join({ [P]: [0] }, 3);
    h.advance(INTERVAL_MS);
    expect(h.peekHeartbeat().instanceId).toBe('instance-1');
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(3));
    h.member.leaveGroup(h.now);
    h.ackAll();
    expect(h.member.state).toBe(S.LEAVING);
    expect(h.peekHeartbeat()).toMatchObject({
      memberEpoch: -2,
      instanceId: 'instance-1',
      topicPartitions: null,
    });
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(-2));
    expect(h.member.state).toBe(S.UNSUBSCRIBED);
  });
});

describe('leaving', () => {
  it('revokes what the consumer holds, then leaves with epoch -1, and is UNSUBSCRIBED on the answer', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0, 1] }, 3);
    const mark = h.events.length;
    h.member.leaveGroup(h.now);
    h.poll();
    expect(h.member.state).toBe(S.PREPARE_LEAVING);
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsRevoked', id: expect.any(Number), partitions: payments(0, 1) },
    ]);
    expect(h.apis()).toEqual([]);
    h.ackAll();
    expect(h.member.state).toBe(S.LEAVING);
    expect(h.peekHeartbeat()).toMatchObject({ memberEpoch: -1, memberId: MEMBER_ID });
    h.respond('ConsumerGroupHeartbeat', connectionLost());
    expect(h.member.state).toBe(S.UNSUBSCRIBED);
    expect(h.member.generation()).toMatchObject({ generationId: -1, memberId: '' });
    // Joining again starts from epoch 0 with the same member id.
    h.member.subscribe(['payments'], h.now);
    h.poll();
    expect(h.peekHeartbeat()).toMatchObject({ memberEpoch: 0, memberId: MEMBER_ID });
  });

  it('ignores a new target assignment while preparing to leave', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] }, 3);
    h.advance(INTERVAL_MS);
    h.member.leaveGroup(h.now);
    h.poll();
    const mark = h.events.length;
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(4, { [P]: [0, 1] }));
    expect(h.member.state).toBe(S.PREPARE_LEAVING);
    expect(types(h.events.slice(mark))).toEqual([]);
  });

  it('sends no leave heartbeat when fenced while preparing to leave', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] }, 3);
    h.advance(INTERVAL_MS);
    h.member.leaveGroup(h.now);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(E.FENCED_MEMBER_EPOCH));
    h.ackAll();
    expect(h.member.state).toBe(S.UNSUBSCRIBED);
    expect(h.outstanding).toEqual([]);
  });

  it('a FENCED member that leaves goes straight to UNSUBSCRIBED', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] }, 3);
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(E.UNKNOWN_MEMBER_ID));
    expect(h.member.state).toBe(S.FENCED);
    h.member.leaveGroup(h.now);
    expect(h.member.state).toBe(S.UNSUBSCRIBED);
    h.ackAll();
    expect(h.outstanding).toEqual([]);
  });
});

describe('max poll interval', () => {
  it('a member that stalls past it leaves with epoch -1, loses its partitions, and rejoins on the next poll', () => {
    const h = new ConsumerProtocolHarness({ groupInstanceId: 'instance-1' });
    h.join({ [P]: [0, 1] }, 7);
    const mark = h.events.length;
    // Heartbeats keep going while the user code is busy...
    for (let t = 0; t < MAX_POLL_MS; t += INTERVAL_MS) {
      h.advance(INTERVAL_MS, false);
      if (h.outstanding.length > 0) h.respond('ConsumerGroupHeartbeat', heartbeatOk(7));
    }
    expect(h.member.state).toBe(S.STABLE);
    // ...until the max poll interval has passed.
    h.advance(INTERVAL_MS, false);
    expect(h.member.state).toBe(S.STALE);
    const leave = h.take('ConsumerGroupHeartbeat');
    expect(leave.body).toMatchObject({ memberEpoch: -1, instanceId: 'instance-1' });
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsLost', id: expect.any(Number), partitions: payments(0, 1) },
    ]);
    // A STALE member does not heartbeat, and ignores the answer to its leave.
    h.member.onResponse(leave, heartbeatOk(-1), h.now);
    expect(h.advance(INTERVAL_MS * 3, false)).toEqual([]);
    h.ackAll();
    expect(h.member.state).toBe(S.STALE);
    h.member.recordPoll(h.now);
    expect(h.member.state).toBe(S.JOINING);
    h.poll();
    expect(h.peekHeartbeat()).toMatchObject({ memberEpoch: 0, topicPartitions: [] });
  });

  it('an answer to a heartbeat sent before the member went stale is ignored', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] }, 7);
    h.now += MAX_POLL_MS - 1;
    h.poll();
    const hb = h.take('ConsumerGroupHeartbeat');
    h.advance(2, false);
    expect(h.member.state).toBe(S.STALE);
    h.member.onResponse(hb, heartbeatOk(8, { [P]: [0, 1] }), h.now);
    expect(h.member.state).toBe(S.STALE);
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
    h.join({ [P]: [0] }, 9);
    expect(h.member.generation()).toMatchObject({ generationId: 9, memberId: MEMBER_ID });
  });

  it('an OffsetCommit NOT_COORDINATOR makes the member find the coordinator again', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] }, 9);
    h.member.onOffsetCommitError(E.NOT_COORDINATOR, 9, h.now);
    h.poll();
    expect(h.apis()).toEqual(['FindCoordinator']);
    h.member.onOffsetCommitError(E.STALE_MEMBER_EPOCH, 8, h.now);
    expect(h.member.state).toBe(S.STABLE);
  });

  it('requestDescription sends ConsumerGroupDescribe to the coordinator and health() shows the answer', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [P]: [0] }, 9);
    h.member.requestDescription();
    h.poll();
    expect(h.apis()).toEqual(['ConsumerGroupDescribe']);
    const r = h.take('ConsumerGroupDescribe');
    expect(r.body).toEqual({ groupIds: [GROUP], includeAuthorizedOperations: false });
    expect(r.target).toEqual({ kind: 'coordinator', node: COORDINATOR });
    const assignment = { topicPartitions: [{ topicId: P, topicName: 'payments', partitions: [0] }] };
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
      state: S.STABLE,
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
          errorCode: E.GROUP_ID_NOT_FOUND,
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

describe('assignments by topic id', () => {
  it('merges repeated topics, sorts partitions and drops impossible partition numbers', () => {
    const a = assignmentFromResponse({
      topicPartitions: [
        { topicId: R, partitions: [3, 1, -1] },
        { topicId: P, partitions: [2] },
        { topicId: R, partitions: [1, 0] },
      ],
    });
    expect([...a]).toEqual([
      [P, [2]],
      [R, [0, 1, 3]],
    ]);
  });

  it('resolves the ids metadata names and lists the others', () => {
    const a = assignmentFromResponse({
      topicPartitions: [
        { topicId: P, partitions: [1] },
        { topicId: R, partitions: [0] },
      ],
    });
    const { resolved, unresolvedTopicIds } = resolveAssignment(a, new Map([[P, 'payments']]));
    expect(resolved).toEqual([{ topicId: P, topic: 'payments', partition: 1 }]);
    expect(unresolvedTopicIds).toEqual([R]);
  });
});
