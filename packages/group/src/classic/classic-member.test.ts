import { RangeAssignor } from '@runnel/assignors';
import { ErrorCode } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import {
  FencedInstanceIdError,
  GroupBrokerError,
  GroupConfigError,
  IllegalTransitionError,
} from '../errors.js';
import {
  COORDINATOR,
  connectionLost,
  GROUP,
  Harness,
  HEARTBEAT_MS,
  heartbeat,
  joinError,
  joinOk,
  MAX_POLL_MS,
  partitions,
  SESSION_MS,
  syncOk,
  TOPIC,
} from '../test-support/harness.js';
import { ClassicGroupMember } from './classic-member.js';
import { MemberState, VALID_PREVIOUS_STATES } from './classic-states.js';

describe('the transition table', () => {
  it('lists valid previous states for every state, all of them real states', () => {
    const states = Object.values(MemberState);
    expect(Object.keys(VALID_PREVIOUS_STATES).sort()).toEqual([...states].sort());
    for (const previous of Object.values(VALID_PREVIOUS_STATES)) {
      for (const p of previous) expect(states).toContain(p);
    }
  });

  it('lets no state but UNJOINED be entered from LEAVING, and nothing leave FATAL', () => {
    const fromLeaving = Object.entries(VALID_PREVIOUS_STATES).filter(([, prev]) => prev.includes('LEAVING'));
    expect(fromLeaving.map(([s]) => s)).toEqual(['UNJOINED']);
    const fromFatal = Object.entries(VALID_PREVIOUS_STATES).filter(([, prev]) => prev.includes('FATAL'));
    expect(fromFatal).toEqual([]);
  });

  it('throws IllegalTransitionError when a fatal member is asked to subscribe', () => {
    const h = new Harness();
    h.startJoining();
    h.respond('JoinGroup', joinError(ErrorCode.GROUP_MAX_SIZE_REACHED));
    expect(h.member.state).toBe('FATAL');
    expect(() => h.member.subscribe([TOPIC], h.now)).toThrow(IllegalTransitionError);
  });
});

describe('max poll interval', () => {
  it('a member whose user code stalls past the max poll interval leaves the group on its own', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0, 1), 4, 'a');
    const mark = h.events.length;
    h.now += MAX_POLL_MS + 1;
    h.poll();
    expect(h.member.state).toBe('STALE');
    const leave = h.take('LeaveGroup');
    expect(leave.bodyAt(5)).toEqual({
      groupId: GROUP,
      members: [{ memberId: 'a', groupInstanceId: null, reason: 'consumer poll timeout has expired' }],
    });
    expect(leave.bodyAt(2)).toEqual({ groupId: GROUP, memberId: 'a' });
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsLost', id: expect.any(Number), partitions: partitions(0, 1) },
    ]);
    // Nothing more until the user polls again.
    expect(h.advance(SESSION_MS)).toEqual([]);
    h.ackAll();
    expect(h.member.state).toBe('STALE');
    h.member.recordPoll(h.now);
    h.poll();
    expect(h.member.state).toBe('JOINING');
    expect(h.take('JoinGroup').body.memberId).toBe('');
  });

  it('a member that keeps polling stays in the group', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0), 4, 'a');
    for (let i = 0; i < 10; i++) {
      h.now += MAX_POLL_MS / 2;
      h.member.recordPoll(h.now);
      h.poll();
      for (const r of h.outstanding.splice(0)) h.member.onResponse(r, heartbeat(), h.now);
    }
    expect(h.member.state).toBe('STABLE');
  });

  it('a static member that stalls sends no LeaveGroup', () => {
    const h = new Harness('eager', { groupInstanceId: 'host-1' });
    h.joinAsFollower(partitions(0), 4, 'a');
    h.now += MAX_POLL_MS + 1;
    h.poll();
    expect(h.member.state).toBe('STALE');
    expect(h.apis()).toEqual([]);
  });
});

describe('static membership', () => {
  it('sends group.instance.id in JoinGroup, SyncGroup and Heartbeat, at versions that carry it', () => {
    const h = new Harness('eager', { groupInstanceId: 'host-1' });
    h.startJoining();
    const join = h.take('JoinGroup');
    expect(join.body.groupInstanceId).toBe('host-1');
    expect(join.minVersion).toBe(5);
    h.member.onResponse(join, joinOk({ memberId: 'a', leader: 'b' }), h.now);
    h.poll();
    const sync = h.take('SyncGroup');
    expect(sync.body.groupInstanceId).toBe('host-1');
    expect(sync.minVersion).toBe(3);
    h.member.onResponse(sync, syncOk(partitions(0)), h.now);
    h.ackAll();
    h.advance(HEARTBEAT_MS);
    const hb = h.take('Heartbeat');
    expect(hb.body.groupInstanceId).toBe('host-1');
    expect(hb.minVersion).toBe(3);
  });

  it('a static member leaving revokes its partitions but sends no LeaveGroup', () => {
    const h = new Harness('eager', { groupInstanceId: 'host-1' });
    h.joinAsFollower(partitions(0), 4, 'a');
    const mark = h.events.length;
    h.member.leaveGroup(h.now);
    h.poll();
    expect(h.member.state).toBe('PREPARE_LEAVING');
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsRevoked', id: expect.any(Number), partitions: partitions(0) },
    ]);
    h.ackAll();
    expect(h.member.state).toBe('UNJOINED');
    expect(h.apis()).toEqual([]);
  });

  it('FENCED_INSTANCE_ID is fatal for the fenced member and stops all requests', () => {
    const h = new Harness('eager', { groupInstanceId: 'host-1' });
    h.joinAsFollower(partitions(0), 4, 'a');
    h.advance(HEARTBEAT_MS);
    h.respond('Heartbeat', heartbeat(ErrorCode.FENCED_INSTANCE_ID));
    const fatal = h.events.find((e) => e.type === 'fatal');
    expect(fatal?.type === 'fatal' && fatal.error).toBeInstanceOf(FencedInstanceIdError);
    expect(h.member.fatalError?.code).toBe('ERR_FENCED_INSTANCE_ID');
    expect(h.advance(SESSION_MS * 10)).toEqual([]);
    expect(h.nextPollAt).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('leaving the group', () => {
  it('a dynamic member revokes, then sends LeaveGroup, then is UNJOINED', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0, 1), 4, 'a');
    h.member.leaveGroup(h.now);
    h.poll();
    expect(h.apis()).toEqual([]);
    h.ackAll();
    expect(h.member.state).toBe('LEAVING');
    const leave = h.take('LeaveGroup');
    expect(leave.target).toEqual({ kind: 'coordinator', node: COORDINATOR });
    expect(leave.bodyAt(3)).toEqual({
      groupId: GROUP,
      members: [{ memberId: 'a', groupInstanceId: null, reason: 'the consumer is being closed' }],
    });
    h.member.onResponse(leave, { errorCode: 0 }, h.now);
    expect(h.member.state).toBe('UNJOINED');
    expect(h.member.generation().memberId).toBe('');
  });

  it('a failed LeaveGroup still ends UNJOINED, reported as an error', () => {
    const h = new Harness('eager');
    h.joinAsFollower([], 4, 'a');
    h.member.leaveGroup(h.now);
    h.poll();
    h.respond('LeaveGroup', connectionLost());
    expect(h.member.state).toBe('UNJOINED');
    expect(h.events.at(-1)?.type).toBe('error');
  });

  it('a member that never got a member id leaves without a request', () => {
    const h = new Harness('eager');
    h.startJoining();
    h.member.leaveGroup(h.now);
    h.poll();
    expect(h.member.state).toBe('UNJOINED');
    expect(h.apis()).toEqual([]);
  });

  it('can subscribe again after leaving', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0), 4, 'a');
    h.member.leaveGroup(h.now);
    h.ackAll();
    h.respond('LeaveGroup', { errorCode: 0 });
    h.member.subscribe([TOPIC], h.now);
    h.poll();
    expect(h.member.state).toBe('JOINING');
    expect(h.take('JoinGroup').body.memberId).toBe('');
  });
});

describe('responses the member no longer waits for', () => {
  it('are ignored', () => {
    const h = new Harness('eager');
    h.startJoining();
    const join = h.take('JoinGroup');
    h.member.onResponse(join, joinError(ErrorCode.MEMBER_ID_REQUIRED, 'id-1'), h.now);
    h.poll();
    // The same request answered twice, as a confused driver might: the second answer changes nothing.
    h.member.onResponse(join, joinOk({ memberId: 'x', leader: 'x' }), h.now);
    expect(h.member.state).toBe('JOINING');
    expect(h.member.generation().memberId).toBe('id-1');
  });

  it('late acknowledgements are ignored', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0), 4, 'a');
    h.member.acknowledge(9999, h.now);
    expect(h.member.state).toBe('STABLE');
  });
});

describe('offset commit errors', () => {
  it('ILLEGAL_GENERATION from a commit of the current generation drops the assignment as lost', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0), 4, 'a');
    h.member.onOffsetCommitError(ErrorCode.ILLEGAL_GENERATION, 4, h.now);
    h.poll();
    expect(h.member.state).toBe('LOSING');
    expect(h.events.at(-1)?.type).toBe('partitionsLost');
  });

  it('an error about an older generation is ignored', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0), 4, 'a');
    h.member.onOffsetCommitError(ErrorCode.UNKNOWN_MEMBER_ID, 3, h.now);
    expect(h.member.state).toBe('STABLE');
  });

  it('REBALANCE_IN_PROGRESS from a commit starts a rejoin', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0), 4, 'a');
    h.member.onOffsetCommitError(ErrorCode.REBALANCE_IN_PROGRESS, 4, h.now);
    expect(h.member.state).toBe('PREPARING_REJOIN');
  });
});

describe('configuration', () => {
  it('rejects a heartbeat interval that is not below the session timeout', () => {
    expect(
      () =>
        new ClassicGroupMember({
          groupId: GROUP,
          assignors: [new RangeAssignor()],
          sessionTimeoutMs: 3000,
          heartbeatIntervalMs: 3000,
        }),
    ).toThrow(GroupConfigError);
  });

  it('rejects an empty group id, duplicate assignors and non-positive timeouts', () => {
    expect(() => new ClassicGroupMember({ groupId: '', assignors: [new RangeAssignor()] })).toThrow(
      GroupConfigError,
    );
    expect(
      () => new ClassicGroupMember({ groupId: GROUP, assignors: [new RangeAssignor(), new RangeAssignor()] }),
    ).toThrow(GroupConfigError);
    expect(
      () =>
        new ClassicGroupMember({ groupId: GROUP, assignors: [new RangeAssignor()], maxPollIntervalMs: 0 }),
    ).toThrow(GroupConfigError);
  });

  it('reports unexpected broker errors with Kafka names', () => {
    const e = new GroupBrokerError('JoinGroup', ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(e.errorName).toBe('UNKNOWN_SERVER_ERROR');
    expect(e.retriable).toBe(false);
    expect(new GroupBrokerError('Heartbeat', ErrorCode.COORDINATOR_LOAD_IN_PROGRESS).retriable).toBe(true);
  });
});
