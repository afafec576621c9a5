import { describe, expect, it } from 'vitest';
import {
  COORDINATOR,
  ConsumerProtocolHarness,
  eventTypes,
  findCoordinatorOk,
  GROUP,
  heartbeatOk,
  INTERVAL_MS,
  MAX_POLL_MS,
  MEMBER_ID,
  PAYMENTS,
  PAYMENTS_ID,
  payments,
  REFUNDS,
  REFUNDS_ID,
  tp,
  withId,
} from '../test-support/consumer-protocol-harness.js';
import { assignmentFromResponse, resolveAssignment } from './consumer-protocol-assignment.js';
import { ConsumerProtocolMemberState } from './consumer-protocol-states.js';

describe('joining', () => {
  it('looks up the coordinator, then sends a full heartbeat with epoch 0', () => {
    const h = new ConsumerProtocolHarness({ serverAssignor: 'uniform', clientRack: 'rack-a' });
    h.member.subscribe(['refunds', 'payments', 'payments'], h.now);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.JOINING);
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
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STABLE);
    expect(h.member.memberEpoch).toBe(3);
    expect(h.eventsSince(0)).toEqual([]);
    expect(h.nextPollAt).toBe(h.now + 2_000);
    expect(h.advance(1_999)).toEqual([]);
    expect(h.advance(1).map((r) => r.api)).toEqual(['ConsumerGroupHeartbeat']);
  });

  it('a first assignment is assigned, then acknowledged at once in the next heartbeat, then STABLE', () => {
    const h = new ConsumerProtocolHarness();
    h.startJoining();
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(1, { [PAYMENTS_ID]: [1, 0] }));
    expect(h.member.state).toBe(ConsumerProtocolMemberState.RECONCILING);
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
    expect(h.member.state).toBe(ConsumerProtocolMemberState.ACKNOWLEDGING);
    h.poll();
    expect(h.apis()).toEqual(['ConsumerGroupHeartbeat']);
    expect(h.peekHeartbeat()).toMatchObject({
      memberEpoch: 1,
      topicPartitions: [{ topicId: PAYMENTS_ID, partitions: [0, 1] }],
    });
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STABLE);
    expect(h.member.ownedPartitions).toEqual(payments(0, 1));
  });

  it('sends only what changed once in the group: null fields and rebalance timeout -1', () => {
    const h = new ConsumerProtocolHarness({ serverAssignor: 'uniform', clientRack: 'rack-a' });
    h.join({ [PAYMENTS_ID]: [0] }, 4);
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
    h.join({ [PAYMENTS_ID]: [0] });
    h.advance(INTERVAL_MS);
    expect(h.apis()).toEqual(['ConsumerGroupHeartbeat']);
    expect(h.advance(INTERVAL_MS * 3)).toEqual([]);
  });
});

describe('reconciling a new target assignment', () => {
  it('revokes first, and assigns only after the revocation is acknowledged', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0, 1] });
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2, { [PAYMENTS_ID]: [1, 2] }));
    expect(h.member.state).toBe(ConsumerProtocolMemberState.RECONCILING);
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
    expect(h.member.state).toBe(ConsumerProtocolMemberState.RECONCILING);
    h.ackAll();
    expect(h.peekHeartbeat().topicPartitions).toEqual([{ topicId: PAYMENTS_ID, partitions: [1, 2] }]);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STABLE);
  });

  it('a target that only adds partitions raises one partitionsAssigned with the added ones', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] });
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2, { [PAYMENTS_ID]: [0], [REFUNDS_ID]: [3] }));
    expect(eventTypes(h.eventsSince(mark))).toEqual(['partitionsAssigned']);
    expect(h.eventsSince(mark)[0]).toMatchObject({
      partitions: [tp('refunds', 3)],
      assignment: [...payments(0), tp('refunds', 3)],
      generationId: 2,
    });
  });

  it('a target received while revoking is reconciled once the first one is acknowledged', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0, 1, 2] });
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2, { [PAYMENTS_ID]: [0, 1] }));
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(3, { [PAYMENTS_ID]: [0] }));
    expect(eventTypes(h.eventsSince(mark))).toEqual(['partitionsRevoked']);
    const revoke = withId(h.eventsSince(mark), 'partitionsRevoked');
    h.member.acknowledge(revoke.id, h.now);
    h.poll();
    const assign = withId(h.eventsSince(mark), 'partitionsAssigned');
    expect(assign).toMatchObject({ partitions: [], assignment: payments(0, 1), generationId: 3 });
    h.member.acknowledge(assign.id, h.now);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.ACKNOWLEDGING);
    h.poll(); // the acknowledgement of [0, 1] goes out, and the next round starts
    expect(h.peekHeartbeat().topicPartitions).toEqual([{ topicId: PAYMENTS_ID, partitions: [0, 1] }]);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.RECONCILING);
    const after = h.eventsSince(mark);
    expect(after.at(-1)).toMatchObject({ type: 'partitionsRevoked', partitions: payments(1) });
  });

  it('the same target again changes nothing', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] });
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(1, { [PAYMENTS_ID]: [0] }));
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STABLE);
    expect(h.eventsSince(mark)).toEqual([]);
  });

  it('reconciles what metadata names, reports the other topic ids, and finishes when metadata names them', () => {
    const h = new ConsumerProtocolHarness({}, [PAYMENTS]);
    h.join({ [PAYMENTS_ID]: [0] });
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2, { [PAYMENTS_ID]: [0], [REFUNDS_ID]: [0, 1] }));
    expect(h.unresolvedTopicIds).toEqual([REFUNDS_ID]);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.RECONCILING);
    expect(h.eventsSince(mark)).toEqual([]);
    h.member.onMetadata([REFUNDS]);
    h.poll();
    expect(h.unresolvedTopicIds).toEqual([]);
    expect(h.eventsSince(mark)[0]).toMatchObject({
      type: 'partitionsAssigned',
      partitions: [tp('refunds', 0), tp('refunds', 1)],
    });
    h.ackAll();
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STABLE);
  });

  it('revokes right away even while a newly assigned topic still has no name', () => {
    const h = new ConsumerProtocolHarness({}, [PAYMENTS]);
    h.join({ [PAYMENTS_ID]: [0, 1] });
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2, { [PAYMENTS_ID]: [0], [REFUNDS_ID]: [5] }));
    expect(h.eventsSince(mark)[0]).toMatchObject({ type: 'partitionsRevoked', partitions: payments(1) });
    h.ackAll();
    expect(h.peekHeartbeat().topicPartitions).toEqual([{ topicId: PAYMENTS_ID, partitions: [0] }]);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.RECONCILING);
    expect(h.unresolvedTopicIds).toEqual([REFUNDS_ID]);
  });
});

describe('assignments by topic id', () => {
  it('merges repeated topics, sorts partitions and drops impossible partition numbers', () => {
    const a = assignmentFromResponse({
      topicPartitions: [
        { topicId: REFUNDS_ID, partitions: [3, 1, -1] },
        { topicId: PAYMENTS_ID, partitions: [2] },
        { topicId: REFUNDS_ID, partitions: [1, 0] },
      ],
    });
    expect([...a]).toEqual([
      [PAYMENTS_ID, [2]],
      [REFUNDS_ID, [0, 1, 3]],
    ]);
  });

  it('resolves the ids metadata names and lists the others', () => {
    const a = assignmentFromResponse({
      topicPartitions: [
        { topicId: PAYMENTS_ID, partitions: [1] },
        { topicId: REFUNDS_ID, partitions: [0] },
      ],
    });
    const { resolved, unresolvedTopicIds } = resolveAssignment(a, new Map([[PAYMENTS_ID, 'payments']]));
    expect(resolved).toEqual([{ topicId: PAYMENTS_ID, topic: 'payments', partition: 1 }]);
    expect(unresolvedTopicIds).toEqual([REFUNDS_ID]);
  });
});
