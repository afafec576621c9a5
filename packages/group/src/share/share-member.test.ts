import { ErrorCode, UnsupportedVersionError } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import {
  GroupConfigError,
  GroupFatalError,
  GroupMaxSizeReachedError,
  IllegalTransitionError,
} from '../errors.js';
import {
  COORDINATOR,
  connectionLost,
  eventTypes,
  GROUP,
  MAX_POLL_MS,
  PAYMENTS_ID,
  payments,
  REFUNDS_ID,
  SHARE_INTERVAL_MS,
  SHARE_MEMBER_ID,
  ShareHarness,
  shareHeartbeatError,
  shareHeartbeatOk,
  tp,
} from '../test-support/share-harness.js';
import { ShareGroupMember } from './share-member.js';
import { SHARE_VALID_PREVIOUS_STATES, ShareMemberState } from './share-states.js';

describe('the share transition table', () => {
  it('lists valid previous states for every state, all of them real states, and has no STALE', () => {
    const states = Object.values(ShareMemberState);
    expect(Object.keys(SHARE_VALID_PREVIOUS_STATES).sort()).toEqual([...states].sort());
    for (const previous of Object.values(SHARE_VALID_PREVIOUS_STATES)) {
      for (const p of previous) expect(states).toContain(p);
    }
    expect(states).not.toContain('STALE');
  });

  it('lets a member join only from UNSUBSCRIBED or FENCED, and acknowledge only after reconciling', () => {
    expect([...SHARE_VALID_PREVIOUS_STATES.JOINING].sort()).toEqual(['FENCED', 'UNSUBSCRIBED']);
    expect(SHARE_VALID_PREVIOUS_STATES.ACKNOWLEDGING).toEqual(['RECONCILING']);
    expect(SHARE_VALID_PREVIOUS_STATES.LEAVING).toEqual(['PREPARE_LEAVING']);
  });
});

describe('configuration and subscription', () => {
  it('rejects an empty group id, an empty member id, an empty subscription and any regular expression', () => {
    expect(() => new ShareGroupMember({ groupId: '' })).toThrow(GroupConfigError);
    expect(() => new ShareGroupMember({ groupId: GROUP, memberId: '' })).toThrow(GroupConfigError);
    const m = new ShareGroupMember({ groupId: GROUP });
    expect(m.memberId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(() => m.subscribe([], 0)).toThrow(GroupConfigError);
    expect(() => m.subscribe([''], 0)).toThrow(GroupConfigError);
    expect(() => m.subscribePattern('pay.*', 0)).toThrow(/topic names only/);
    expect(m.state).toBe(ShareMemberState.UNSUBSCRIBED);
    expect(m.groupInstanceId).toBeNull();
  });

  it('refuses to subscribe while leaving or fatal', () => {
    const h = new ShareHarness();
    h.join({ [PAYMENTS_ID]: [0] });
    h.member.leaveGroup(h.now);
    expect(() => h.member.subscribe(['payments'], h.now)).toThrow(IllegalTransitionError);
  });
});

describe('joining', () => {
  it('finds the coordinator, then heartbeats with epoch 0, its own member id, the topics and the rack', () => {
    const h = new ShareHarness({ clientRack: 'rack-a' });
    h.member.subscribe(['refunds', 'payments', 'payments'], h.now);
    expect(h.member.state).toBe(ShareMemberState.JOINING);
    expect(h.poll().map((r) => r.api)).toEqual(['FindCoordinator']);
    h.respond('FindCoordinator', {
      errorCode: 0,
      errorMessage: null,
      nodeId: 1,
      host: 'broker-1',
      port: 9092,
    });
    const heartbeat = h.take('ShareGroupHeartbeat');
    expect(heartbeat).toMatchObject({
      minVersion: 1,
      maxVersion: 1,
      target: { kind: 'coordinator', node: COORDINATOR },
    });
    expect(heartbeat.body).toEqual({
      groupId: GROUP,
      memberId: SHARE_MEMBER_ID,
      memberEpoch: 0,
      rackId: 'rack-a',
      subscribedTopicNames: ['payments', 'refunds'],
    });
  });

  it('reconciles an assignment: assigned event, then a heartbeat at once that reports it, then STABLE', () => {
    const h = new ShareHarness();
    h.startJoining();
    h.respond('ShareGroupHeartbeat', shareHeartbeatOk(3, { [PAYMENTS_ID]: [2, 0] }));
    expect(h.member.state).toBe(ShareMemberState.RECONCILING);
    const assigned = h.events.find((e) => e.type === 'partitionsAssigned');
    expect(assigned).toMatchObject({
      partitions: payments(0, 2),
      assignment: payments(0, 2),
      generationId: 3,
    });
    expect(h.outstanding).toEqual([]);
    h.ackAll();
    expect(h.member.state).toBe(ShareMemberState.STABLE);
    // The reporting heartbeat went at once, with the epoch and nothing that did not change.
    expect(h.peekHeartbeat()).toEqual({
      groupId: GROUP,
      memberId: SHARE_MEMBER_ID,
      memberEpoch: 3,
      rackId: null,
      subscribedTopicNames: null,
    });
    expect(h.member.health()).toMatchObject({
      state: 'STABLE',
      memberEpoch: 3,
      assignedPartitions: payments(0, 2),
    });
    expect(h.member.ownedPartitions).toEqual(payments(0, 2));
    expect(h.member.generation()).toMatchObject({
      generationId: 3,
      memberId: SHARE_MEMBER_ID,
      protocolName: null,
    });
  });

  it('waits for metadata to name a topic id before handing the partitions out', () => {
    const h = new ShareHarness({}, []);
    h.startJoining();
    h.respond('ShareGroupHeartbeat', shareHeartbeatOk(1, { [PAYMENTS_ID]: [0] }));
    expect(h.member.unresolvedTopicIds).toEqual([PAYMENTS_ID]);
    expect(eventTypes(h.events)).toEqual([]);
    h.member.onMetadata([{ topicId: PAYMENTS_ID, name: 'payments' }]);
    h.poll();
    expect(h.events.find((e) => e.type === 'partitionsAssigned')).toMatchObject({ partitions: payments(0) });
    expect(h.member.unresolvedTopicIds).toEqual([]);
  });

  it('stops fetching revoked partitions before taking new ones', () => {
    const h = new ShareHarness();
    h.join({ [PAYMENTS_ID]: [0, 1] }, 1);
    const mark = h.events.length;
    h.advance(SHARE_INTERVAL_MS);
    h.respond('ShareGroupHeartbeat', shareHeartbeatOk(2, { [PAYMENTS_ID]: [1], [REFUNDS_ID]: [0] }));
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsRevoked', id: expect.any(Number), partitions: payments(0) },
    ]);
    h.ackAll();
    expect(h.eventsSince(mark).map((e) => e.type)).toEqual(['partitionsRevoked', 'partitionsAssigned']);
    expect(h.eventsSince(mark)[1]).toMatchObject({ partitions: [tp('refunds', 0)] });
    expect(h.member.ownedPartitions).toEqual([tp('payments', 1), tp('refunds', 0)]);
  });

  it('sends a changed subscription once, in the next heartbeat', () => {
    const h = new ShareHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 1);
    h.member.subscribe(['payments', 'refunds'], h.now);
    h.advance(SHARE_INTERVAL_MS);
    expect(h.peekHeartbeat().subscribedTopicNames).toEqual(['payments', 'refunds']);
    h.respond('ShareGroupHeartbeat', shareHeartbeatOk(1));
    h.advance(SHARE_INTERVAL_MS);
    expect(h.peekHeartbeat().subscribedTopicNames).toBeNull();
  });
});

describe('staying in the group', () => {
  it('heartbeats at the interval the coordinator set, counted from when the last one went out', () => {
    const h = new ShareHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 1);
    expect(h.nextPollAt - h.now).toBe(SHARE_INTERVAL_MS);
    expect(h.advance(SHARE_INTERVAL_MS - 1)).toEqual([]);
    expect(h.advance(1).map((r) => r.api)).toEqual(['ShareGroupHeartbeat']);
  });

  it('has no max poll interval: a member whose user code is busy for long stays STABLE', () => {
    const h = new ShareHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 1);
    for (let t = 0; t <= MAX_POLL_MS * 2; t += SHARE_INTERVAL_MS) {
      h.advance(SHARE_INTERVAL_MS);
      if (h.outstanding.length > 0) h.respond('ShareGroupHeartbeat', shareHeartbeatOk(1));
    }
    expect(h.member.state).toBe(ShareMemberState.STABLE);
    expect(eventTypes(h.events).filter((t) => t === 'partitionsLost')).toEqual([]);
  });

  it('looks the coordinator up again when it moved, and heartbeats to the new one', () => {
    const h = new ShareHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 1);
    h.advance(SHARE_INTERVAL_MS);
    h.respond('ShareGroupHeartbeat', shareHeartbeatError(ErrorCode.NOT_COORDINATOR));
    expect(h.apis()).toEqual(['FindCoordinator']);
    h.respond('FindCoordinator', {
      errorCode: 0,
      errorMessage: null,
      nodeId: 2,
      host: 'broker-2',
      port: 9092,
    });
    expect(h.take('ShareGroupHeartbeat').target).toEqual({
      kind: 'coordinator',
      node: { nodeId: 2, host: 'broker-2', port: 9092 },
    });
    expect(h.member.state).toBe(ShareMemberState.STABLE);
  });

  it('backs off after a retriable error or a lost connection, and keeps its partitions', () => {
    const h = new ShareHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 1);
    h.advance(SHARE_INTERVAL_MS);
    h.respond('ShareGroupHeartbeat', shareHeartbeatError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS));
    expect(h.apis()).toEqual([]);
    expect(h.nextPollAt - h.now).toBe(100); // retryBackoffMs, jitter at 0.5 of the random source
    h.advance(100);
    h.respond('ShareGroupHeartbeat', connectionLost());
    expect(h.member.state).toBe(ShareMemberState.STABLE);
    expect(h.member.ownedPartitions).toEqual(payments(0));
  });

  it.each([ErrorCode.FENCED_MEMBER_EPOCH, ErrorCode.UNKNOWN_MEMBER_ID])(
    'fenced (code %i): loses its partitions, then rejoins with epoch 0 and every field',
    (code) => {
      const h = new ShareHarness();
      h.join({ [PAYMENTS_ID]: [0, 1] }, 4);
      const mark = h.events.length;
      h.advance(SHARE_INTERVAL_MS);
      h.respond('ShareGroupHeartbeat', shareHeartbeatError(code));
      expect(h.member.state).toBe(ShareMemberState.FENCED);
      expect(h.eventsSince(mark)).toEqual([
        { type: 'partitionsLost', id: expect.any(Number), partitions: payments(0, 1) },
      ]);
      expect(h.apis()).toEqual([]);
      h.ackAll();
      expect(h.member.state).toBe(ShareMemberState.JOINING);
      expect(h.peekHeartbeat()).toMatchObject({
        memberEpoch: 0,
        memberId: SHARE_MEMBER_ID,
        subscribedTopicNames: ['payments'],
      });
    },
  );
});

describe('failing', () => {
  it.each([
    ['GROUP_AUTHORIZATION_FAILED', ErrorCode.GROUP_AUTHORIZATION_FAILED, 'ERR_GROUP_FATAL'],
    ['INVALID_REQUEST', ErrorCode.INVALID_REQUEST, 'ERR_GROUP_FATAL'],
    ['GROUP_ID_NOT_FOUND (a group of another type)', ErrorCode.GROUP_ID_NOT_FOUND, 'ERR_GROUP_FATAL'],
    ['UNSUPPORTED_VERSION', ErrorCode.UNSUPPORTED_VERSION, 'ERR_SHARE_GROUPS_UNSUPPORTED'],
    ['GROUP_MAX_SIZE_REACHED', ErrorCode.GROUP_MAX_SIZE_REACHED, 'ERR_GROUP_MAX_SIZE_REACHED'],
  ])('%s: FATAL with a typed error, and what the consumer held is lost', (_name, code, errorCode) => {
    const h = new ShareHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 1);
    h.advance(SHARE_INTERVAL_MS);
    h.respond('ShareGroupHeartbeat', shareHeartbeatError(code, 'refused'));
    expect(h.member.state).toBe(ShareMemberState.FATAL);
    const fatal = h.events.find((e) => e.type === 'fatal');
    expect(fatal?.type === 'fatal' && fatal.error).toBeInstanceOf(GroupFatalError);
    expect(h.member.fatalError).toMatchObject({ errorCode: code, code: errorCode });
    if (code === ErrorCode.GROUP_MAX_SIZE_REACHED)
      expect(h.member.fatalError).toBeInstanceOf(GroupMaxSizeReachedError);
    expect(eventTypes(h.events)).toContain('partitionsLost');
    expect(h.advance(SHARE_INTERVAL_MS * 2)).toEqual([]);
  });

  it('a broker without share groups (no ShareGroupHeartbeat, Kafka 3.9) fails the member with a clear error', () => {
    const h = new ShareHarness();
    h.startJoining();
    h.respond(
      'ShareGroupHeartbeat',
      new UnsupportedVersionError(76, 'ShareGroupHeartbeat', null, { minVersion: 1, maxVersion: 1 }),
    );
    expect(h.member.state).toBe(ShareMemberState.FATAL);
    expect(h.member.fatalError?.code).toBe('ERR_SHARE_GROUPS_UNSUPPORTED');
    expect(h.member.fatalError?.message).toMatch(/does not support share groups/);
  });
});

describe('leaving', () => {
  it('stops fetching (revocation), then leaves with epoch -1, and is UNSUBSCRIBED whatever the answer', () => {
    const h = new ShareHarness();
    h.join({ [PAYMENTS_ID]: [0, 1] }, 3);
    const mark = h.events.length;
    h.member.leaveGroup(h.now);
    h.poll();
    expect(h.member.state).toBe(ShareMemberState.PREPARE_LEAVING);
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsRevoked', id: expect.any(Number), partitions: payments(0, 1) },
    ]);
    h.ackAll();
    expect(h.member.state).toBe(ShareMemberState.LEAVING);
    expect(h.peekHeartbeat()).toEqual({
      groupId: GROUP,
      memberId: SHARE_MEMBER_ID,
      memberEpoch: -1,
      rackId: null,
      subscribedTopicNames: null,
    });
    h.respond('ShareGroupHeartbeat', connectionLost());
    expect(h.member.state).toBe(ShareMemberState.UNSUBSCRIBED);
    expect(h.member.isOutOfGroup).toBe(true);
    expect(h.member.generation().generationId).toBe(-1);
  });

  it('a FENCED member that leaves goes straight to UNSUBSCRIBED without a request', () => {
    const h = new ShareHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 3);
    h.advance(SHARE_INTERVAL_MS);
    h.respond('ShareGroupHeartbeat', shareHeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID));
    h.member.leaveGroup(h.now);
    expect(h.member.state).toBe(ShareMemberState.UNSUBSCRIBED);
    h.ackAll();
    expect(h.outstanding).toEqual([]);
  });
});
