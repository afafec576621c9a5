import { decodeSubscription } from '@runnel/assignors';
import { ErrorCode } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import type { GroupApiName, GroupApis } from '../requests.js';
import {
  connectionLost,
  eventTypes,
  findCoordinatorOk,
  Harness,
  HEARTBEAT_MS,
  heartbeat,
  joinOk,
  OTHER_COORDINATOR,
  ownedInJoin,
  partitions,
  SESSION_MS,
  syncError,
  syncOk,
} from '../test-support/harness.js';
import { COORDINATOR } from '../test-support/scripted-coordinator.js';

describe('Heartbeat in STABLE', () => {
  const cases: {
    name: string;
    protocol: 'eager' | 'cooperative';
    response: () => GroupApis['Heartbeat']['response'] | Error;
    state: string;
    now: GroupApiName[];
    events: string[];
  }[] = [
    {
      name: 'an answered heartbeat keeps the member STABLE',
      protocol: 'eager',
      response: () => heartbeat(),
      state: 'STABLE',
      now: [],
      events: [],
    },
    {
      name: 'an eager member told REBALANCE_IN_PROGRESS revokes everything before it rejoins',
      protocol: 'eager',
      response: () => heartbeat(ErrorCode.REBALANCE_IN_PROGRESS),
      state: 'PREPARING_REJOIN',
      now: [],
      events: ['partitionsRevoked'],
    },
    {
      name: 'a cooperative member told REBALANCE_IN_PROGRESS rejoins at once keeping its partitions',
      protocol: 'cooperative',
      response: () => heartbeat(ErrorCode.REBALANCE_IN_PROGRESS),
      state: 'JOINING',
      now: ['JoinGroup'],
      events: [],
    },
    {
      name: 'UNKNOWN_MEMBER_ID drops the assignment as lost',
      protocol: 'eager',
      response: () => heartbeat(ErrorCode.UNKNOWN_MEMBER_ID),
      state: 'LOSING',
      now: [],
      events: ['partitionsLost'],
    },
    {
      name: 'ILLEGAL_GENERATION drops the assignment as lost',
      protocol: 'cooperative',
      response: () => heartbeat(ErrorCode.ILLEGAL_GENERATION),
      state: 'LOSING',
      now: [],
      events: ['partitionsLost'],
    },
    {
      name: 'NOT_COORDINATOR looks the coordinator up again',
      protocol: 'eager',
      response: () => heartbeat(ErrorCode.NOT_COORDINATOR),
      state: 'STABLE',
      now: ['FindCoordinator'],
      events: [],
    },
    {
      name: 'COORDINATOR_NOT_AVAILABLE looks the coordinator up again',
      protocol: 'eager',
      response: () => heartbeat(ErrorCode.COORDINATOR_NOT_AVAILABLE),
      state: 'STABLE',
      now: ['FindCoordinator'],
      events: [],
    },
    {
      name: 'COORDINATOR_LOAD_IN_PROGRESS retries after the backoff',
      protocol: 'eager',
      response: () => heartbeat(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS),
      state: 'STABLE',
      now: [],
      events: ['error'],
    },
    {
      name: 'a connection error looks the coordinator up again',
      protocol: 'eager',
      response: connectionLost,
      state: 'STABLE',
      now: ['FindCoordinator'],
      events: ['error'],
    },
    {
      name: 'FENCED_INSTANCE_ID is fatal for the fenced member',
      protocol: 'eager',
      response: () => heartbeat(ErrorCode.FENCED_INSTANCE_ID),
      state: 'FATAL',
      now: [],
      events: ['fatal'],
    },
    {
      name: 'GROUP_AUTHORIZATION_FAILED is fatal',
      protocol: 'eager',
      response: () => heartbeat(ErrorCode.GROUP_AUTHORIZATION_FAILED),
      state: 'FATAL',
      now: [],
      events: ['fatal'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const h = new Harness(c.protocol);
      h.joinAsFollower(partitions(0, 1), 4, 'a');
      h.advance(HEARTBEAT_MS);
      const mark = h.events.length;
      h.respond('Heartbeat', c.response());
      expect(h.member.state).toBe(c.state);
      expect(h.apis()).toEqual(c.now);
      expect(eventTypes(h.events.slice(mark))).toEqual(c.events);
    });
  }

  it('a member told REBALANCE_IN_PROGRESS in a heartbeat rejoins', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0, 1), 4, 'a');
    h.advance(HEARTBEAT_MS);
    const mark = h.events.length;
    h.respond('Heartbeat', heartbeat(ErrorCode.REBALANCE_IN_PROGRESS));
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsRevoked', id: expect.any(Number), partitions: partitions(0, 1) },
    ]);
    // Revocation (and its commit) must finish first: no JoinGroup until the consumer acknowledges.
    expect(h.advance(100)).toEqual([]);
    h.ackAll();
    expect(h.member.state).toBe('JOINING');
    const join = h.take('JoinGroup');
    expect(join.body.memberId).toBe('a');
    expect(ownedInJoin(join)).toEqual([]);
    expect(join.body.reason).toBe('group is rebalancing (heartbeat)');
  });

  it('ILLEGAL_GENERATION drops the assignment as lost and rejoins keeping the member id', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0, 1), 4, 'a');
    h.advance(HEARTBEAT_MS);
    const mark = h.events.length;
    h.respond('Heartbeat', heartbeat(ErrorCode.ILLEGAL_GENERATION));
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsLost', id: expect.any(Number), partitions: partitions(0, 1) },
    ]);
    expect(h.member.ownedPartitions).toEqual([]);
    h.ackAll();
    const join = h.take('JoinGroup');
    expect(join.body.memberId).toBe('a');
    expect(
      decodeSubscription('a', null, join.body.protocols[0]?.metadata ?? new Uint8Array()).generationId,
    ).toBe(-1);
  });

  it('keeps heartbeating while the consumer revokes before a rejoin', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0), 4, 'a');
    h.advance(HEARTBEAT_MS);
    h.respond('Heartbeat', heartbeat(ErrorCode.REBALANCE_IN_PROGRESS));
    expect(h.member.state).toBe('PREPARING_REJOIN');
    h.advance(HEARTBEAT_MS);
    expect(h.apis()).toEqual(['Heartbeat']);
    // A second REBALANCE_IN_PROGRESS changes nothing: the member is already on its way.
    h.respond('Heartbeat', heartbeat(ErrorCode.REBALANCE_IN_PROGRESS));
    expect(h.member.state).toBe('PREPARING_REJOIN');
    expect(eventTypes(h.events).filter((t) => t === 'partitionsRevoked')).toHaveLength(1);
  });

  it('ignores REBALANCE_IN_PROGRESS in a heartbeat sent while syncing, leaving it to the SyncGroup answer', () => {
    const h = new Harness('eager');
    h.startJoining();
    h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b', generationId: 1 }));
    h.advance(HEARTBEAT_MS);
    h.respond('Heartbeat', heartbeat(ErrorCode.REBALANCE_IN_PROGRESS));
    h.respond('SyncGroup', syncOk(partitions(0)));
    h.ackAll();
    expect(h.member.state).toBe('STABLE');
  });

  it('rejoins after reconciling when told REBALANCE_IN_PROGRESS before the assignment was acknowledged', () => {
    const h = new Harness('cooperative');
    h.startJoining();
    h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b', generationId: 1 }, 'cooperative-sticky'));
    h.respond('SyncGroup', syncOk(partitions(0)));
    expect(h.member.state).toBe('RECONCILING');
    h.advance(HEARTBEAT_MS);
    h.respond('Heartbeat', heartbeat(ErrorCode.REBALANCE_IN_PROGRESS));
    expect(h.member.state).toBe('RECONCILING');
    h.ackAll();
    expect(h.member.state).toBe('JOINING');
    expect(ownedInJoin(h.take('JoinGroup'))).toEqual(partitions(0));
  });

  it('ignores an error about a generation the member already left behind', () => {
    const h = new Harness('eager');
    h.startJoining();
    h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b', generationId: 1 }));
    h.advance(HEARTBEAT_MS);
    const stale = h.take('Heartbeat');
    h.respond('SyncGroup', syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b', generationId: 2 }));
    expect(h.member.state).toBe('SYNCING');
    h.member.onResponse(stale, heartbeat(ErrorCode.ILLEGAL_GENERATION), h.now);
    expect(h.member.state).toBe('SYNCING');
    expect(h.member.generation().generationId).toBe(2);
  });

  it('remembers when the coordinator last accepted a heartbeat; a failure or a found coordinator does not move it', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0), 4, 'a');
    // JoinGroup and SyncGroup are no heartbeats.
    expect(h.member.lastHeartbeatAt).toBeNull();
    h.advance(HEARTBEAT_MS);
    h.respond('Heartbeat', heartbeat());
    const acceptedAt = h.now;
    expect(h.member.lastHeartbeatAt).toBe(acceptedAt);
    h.advance(HEARTBEAT_MS);
    h.respond('Heartbeat', connectionLost());
    h.respond('FindCoordinator', findCoordinatorOk(OTHER_COORDINATOR));
    expect(h.member.lastHeartbeatAt).toBe(acceptedAt);
    h.advance(HEARTBEAT_MS);
    // The coordinator counts a heartbeat during a rebalance as liveness too.
    h.respond('Heartbeat', heartbeat(ErrorCode.REBALANCE_IN_PROGRESS));
    expect(h.member.lastHeartbeatAt).toBe(h.now);
    expect(h.now).toBeGreaterThan(acceptedAt);
  });

  it('a member whose heartbeats go unanswered for the session timeout looks for a new coordinator', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0), 4, 'a');
    h.advance(HEARTBEAT_MS);
    expect(h.apis()).toEqual(['Heartbeat']);
    // The heartbeat is never answered.
    h.advance(SESSION_MS);
    expect(h.apis()).toEqual(['FindCoordinator']);
    expect(h.member.coordinator).toBeNull();
    h.respond('FindCoordinator', findCoordinatorOk(OTHER_COORDINATOR));
    expect(h.apis()).toEqual(['Heartbeat']);
    expect(h.lastRequests[0]?.target).toEqual({ kind: 'coordinator', node: OTHER_COORDINATOR });
  });
});

describe('A membership in doubt (heartbeats that hang)', () => {
  it('holds deliveries one heartbeat interval before the session could run out, counted from the last accepted heartbeat’s send', () => {
    const h = new Harness('cooperative');
    h.joinAsFollower(partitions(0, 1), 1, 'a');
    expect(h.advance(HEARTBEAT_MS).map((r) => r.api)).toEqual(['Heartbeat']);
    const sentAt = h.now;
    h.respond('Heartbeat', heartbeat());
    // The next heartbeat goes at the interval and hangs (a frozen coordinator answers nothing).
    expect(h.advance(HEARTBEAT_MS).map((r) => r.api)).toEqual(['Heartbeat']);
    const deadline = sentAt + SESSION_MS - HEARTBEAT_MS;
    expect(h.nextPollAt).toBe(deadline);
    h.advance(deadline - 1 - h.now);
    expect(h.member.membershipInDoubt).toBe(false);
    h.advance(1);
    expect(h.member.membershipInDoubt).toBe(true);
    expect(h.member.state).toBe('STABLE');
    // The hung heartbeat (sent a second after the last accepted one) is answered at last: the session
    // runs from its send, so the doubt ends, and comes back a second later with nothing newer accepted.
    h.advance(HEARTBEAT_MS / 2);
    h.respond('Heartbeat', heartbeat());
    expect(h.member.membershipInDoubt).toBe(false);
    expect(h.apis()).toEqual(['Heartbeat']);
    h.advance(sentAt + HEARTBEAT_MS + SESSION_MS - HEARTBEAT_MS - h.now);
    expect(h.member.membershipInDoubt).toBe(true);
    // A heartbeat accepted in time ends it.
    h.respond('Heartbeat', heartbeat());
    expect(h.member.membershipInDoubt).toBe(false);
  });

  it('a heartbeat unanswered for a session sends the lookup to another broker, then the heartbeat where it says', () => {
    const h = new Harness('cooperative');
    h.joinAsFollower(partitions(0, 1), 1, 'a');
    expect(h.advance(HEARTBEAT_MS).map((r) => r.api)).toEqual(['Heartbeat']);
    // The coordinator froze with the heartbeat queued: the session passes without an answer.
    h.advance(SESSION_MS + 1);
    expect(h.member.membershipInDoubt).toBe(true);
    expect(h.member.coordinator).toBeNull();
    // The frozen broker would hang the lookup too, or, thawed, name itself from the group it held.
    expect(h.apis()).toEqual(['FindCoordinator']);
    expect(h.lastRequests[0]?.target).toEqual({ kind: 'any', avoid: COORDINATOR.nodeId });
    h.respond('FindCoordinator', findCoordinatorOk(OTHER_COORDINATOR));
    expect(h.apis()).toEqual(['Heartbeat']);
    expect(h.lastRequests[0]?.target).toEqual({ kind: 'coordinator', node: OTHER_COORDINATOR });
    // The coordinator the group moved to expired the member (the hung heartbeat is never answered).
    h.take('Heartbeat');
    const mark = h.events.length;
    h.respond('Heartbeat', heartbeat(ErrorCode.UNKNOWN_MEMBER_ID));
    expect(eventTypes(h.events.slice(mark))).toEqual(['partitionsLost']);
    expect(h.member.membershipInDoubt).toBe(true);
  });

  it('a failed lookup asks any broker again, the one it avoided too', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0), 1, 'a');
    h.advance(HEARTBEAT_MS);
    h.respond('Heartbeat', connectionLost());
    expect(h.lastRequests[0]?.target).toEqual({ kind: 'any', avoid: COORDINATOR.nodeId });
    h.respond('FindCoordinator', connectionLost());
    const retried = h.advance(5_000).find((r) => r.api === 'FindCoordinator');
    expect(retried?.target).toEqual({ kind: 'any' });
  });

  it('the JoinGroup answer starts the count; once the member is told it was expired, the rejoin ends the doubt', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0), 1, 'a');
    const joinedAt = h.now;
    h.advance(HEARTBEAT_MS);
    h.advance(joinedAt + SESSION_MS - HEARTBEAT_MS - 1 - h.now);
    expect(h.member.membershipInDoubt).toBe(false);
    h.advance(1);
    expect(h.member.membershipInDoubt).toBe(true);
    const mark = h.events.length;
    h.respond('Heartbeat', heartbeat(ErrorCode.UNKNOWN_MEMBER_ID));
    expect(eventTypes(h.events.slice(mark))).toEqual(['partitionsLost']);
    h.ackAll();
    expect(h.apis()).toEqual(['JoinGroup']);
    h.respond('JoinGroup', joinOk({ memberId: 'a2', leader: 'b', generationId: 2 }));
    expect(h.member.membershipInDoubt).toBe(false);
  });

  it('a member that holds nothing is never in doubt', () => {
    const h = new Harness('eager');
    h.joinAsFollower([], 1, 'a');
    h.advance(HEARTBEAT_MS);
    h.advance(SESSION_MS);
    expect(h.member.membershipInDoubt).toBe(false);
  });
});

describe('Heartbeat answers in every heartbeating state', () => {
  type Reach = (h: Harness) => void;
  const reach: Record<string, Reach> = {
    SYNCING: (h) => {
      h.startJoining();
      h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b', generationId: 4 }));
    },
    RECONCILING: (h) => {
      h.startJoining();
      h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b', generationId: 4 }));
      h.respond('SyncGroup', syncOk(partitions(0, 1)));
    },
    STABLE: (h) => h.joinAsFollower(partitions(0, 1), 4, 'a'),
    PREPARING_REJOIN: (h) => {
      h.joinAsFollower(partitions(0, 1), 4, 'a');
      h.advance(HEARTBEAT_MS);
      h.respond('Heartbeat', heartbeat(ErrorCode.REBALANCE_IN_PROGRESS));
    },
    PREPARE_LEAVING: (h) => {
      h.joinAsFollower(partitions(0, 1), 4, 'a');
      h.member.leaveGroup(h.now);
      h.poll();
    },
  };
  const expected: Record<string, Record<string, string>> = {
    //                 REBALANCE_IN_PROGRESS  UNKNOWN_MEMBER_ID   ILLEGAL_GENERATION  FENCED_INSTANCE_ID  NOT_COORDINATOR
    SYNCING: {
      REBALANCE_IN_PROGRESS: 'SYNCING',
      UNKNOWN_MEMBER_ID: 'JOINING',
      ILLEGAL_GENERATION: 'JOINING',
      FENCED_INSTANCE_ID: 'FATAL',
      NOT_COORDINATOR: 'SYNCING',
    },
    RECONCILING: {
      REBALANCE_IN_PROGRESS: 'RECONCILING',
      UNKNOWN_MEMBER_ID: 'LOSING',
      ILLEGAL_GENERATION: 'LOSING',
      FENCED_INSTANCE_ID: 'FATAL',
      NOT_COORDINATOR: 'RECONCILING',
    },
    STABLE: {
      REBALANCE_IN_PROGRESS: 'PREPARING_REJOIN',
      UNKNOWN_MEMBER_ID: 'LOSING',
      ILLEGAL_GENERATION: 'LOSING',
      FENCED_INSTANCE_ID: 'FATAL',
      NOT_COORDINATOR: 'STABLE',
    },
    PREPARING_REJOIN: {
      REBALANCE_IN_PROGRESS: 'PREPARING_REJOIN',
      UNKNOWN_MEMBER_ID: 'LOSING',
      ILLEGAL_GENERATION: 'LOSING',
      FENCED_INSTANCE_ID: 'FATAL',
      NOT_COORDINATOR: 'PREPARING_REJOIN',
    },
    PREPARE_LEAVING: {
      REBALANCE_IN_PROGRESS: 'PREPARE_LEAVING',
      UNKNOWN_MEMBER_ID: 'PREPARE_LEAVING',
      ILLEGAL_GENERATION: 'PREPARE_LEAVING',
      FENCED_INSTANCE_ID: 'FATAL',
      NOT_COORDINATOR: 'PREPARE_LEAVING',
    },
  };
  for (const [state, byCode] of Object.entries(expected)) {
    for (const [codeName, next] of Object.entries(byCode)) {
      it(`a member in ${state} told ${codeName} in a heartbeat goes to ${next}`, () => {
        const h = new Harness('eager');
        reach[state]?.(h);
        expect(h.member.state).toBe(state);
        h.advance(HEARTBEAT_MS);
        h.respond('Heartbeat', heartbeat(ErrorCode[codeName as keyof typeof ErrorCode]));
        expect(h.member.state).toBe(next);
      });
    }
  }

  it('a SyncGroup answer that arrives after the membership was reset is ignored', () => {
    const h = new Harness('eager');
    h.startJoining();
    h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b', generationId: 4 }));
    const oldSync = h.take('SyncGroup');
    h.advance(HEARTBEAT_MS);
    h.respond('Heartbeat', heartbeat(ErrorCode.ILLEGAL_GENERATION));
    h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b', generationId: 5 }));
    expect(h.apis()).toEqual(['SyncGroup']);
    h.member.onResponse(oldSync, syncOk(partitions(0, 1, 2)), h.now);
    expect(h.member.state).toBe('SYNCING');
    h.respond('SyncGroup', syncOk(partitions(1)));
    expect(h.member.ownedPartitions).toEqual(partitions(1));
  });
});
