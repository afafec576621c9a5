import {
  CooperativeStickyAssignor,
  decodeAssignment,
  decodeSubscription,
  RangeAssignor,
  RoundRobinAssignor,
} from '@runnel/assignors';
import { ErrorCode } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import {
  ClassicGroupMember,
  MemberState,
  selectRebalanceProtocol,
  VALID_PREVIOUS_STATES,
} from './classic-member.js';
import {
  FencedInstanceIdError,
  GroupBrokerError,
  GroupConfigError,
  GroupFatalError,
  GroupMaxSizeReachedError,
  IllegalTransitionError,
} from './errors.js';
import type { GroupEvent } from './events.js';
import type { GroupApiName, GroupApis } from './requests.js';
import {
  BACKOFF_MS,
  COORDINATOR,
  findCoordinatorError,
  findCoordinatorOk,
  GROUP,
  Harness,
  HEARTBEAT_MS,
  heartbeat,
  joinError,
  joinOk,
  MAX_POLL_MS,
  metadataFor,
  OTHER_COORDINATOR,
  ownedInJoin,
  partitions,
  SESSION_MS,
  syncError,
  syncOk,
  TOPIC,
  tp,
} from './test-support/harness.js';
import { sortPartitions } from './topic-partitions.js';

const E = ErrorCode;
const connectionLost = () => new Error('connection reset by broker-1:9092');

function eventTypes(events: readonly GroupEvent[]): string[] {
  return events.map((e) => e.type);
}

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
    h.respond('JoinGroup', joinError(E.GROUP_MAX_SIZE_REACHED));
    expect(h.member.state).toBe('FATAL');
    expect(() => h.member.subscribe([TOPIC], h.now)).toThrow(IllegalTransitionError);
  });
});

describe('FindCoordinator', () => {
  it('is the first request of a member that subscribes, sent to any broker', () => {
    const h = new Harness();
    h.member.subscribe([TOPIC], h.now);
    expect(h.member.state).toBe('JOINING');
    const [r] = h.poll();
    expect(r?.api).toBe('FindCoordinator');
    expect(r?.target).toEqual({ kind: 'any' });
    expect(r?.bodyAt(3)).toEqual({ key: GROUP, keyType: 0 });
    expect(r?.bodyAt(4)).toEqual({ keyType: 0, coordinatorKeys: [GROUP] });
  });

  const cases: {
    name: string;
    response: () => GroupApis['FindCoordinator']['response'] | Error;
    state: string;
    now: GroupApiName[];
    later: GroupApiName[];
    events: string[];
  }[] = [
    {
      name: 'a found coordinator gets the JoinGroup at once',
      response: () => findCoordinatorOk(),
      state: 'JOINING',
      now: ['JoinGroup'],
      later: [],
      events: [],
    },
    {
      name: 'COORDINATOR_NOT_AVAILABLE is retried after the backoff',
      response: () => findCoordinatorError(E.COORDINATOR_NOT_AVAILABLE),
      state: 'JOINING',
      now: [],
      later: ['FindCoordinator'],
      events: ['error'],
    },
    {
      name: 'a connection error is retried after the backoff',
      response: connectionLost,
      state: 'JOINING',
      now: [],
      later: ['FindCoordinator'],
      events: ['error'],
    },
    {
      name: 'GROUP_AUTHORIZATION_FAILED is fatal',
      response: () => findCoordinatorError(E.GROUP_AUTHORIZATION_FAILED),
      state: 'FATAL',
      now: [],
      later: [],
      events: ['fatal'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const h = new Harness();
      h.member.subscribe([TOPIC], h.now);
      h.poll();
      h.respond('FindCoordinator', c.response());
      expect(h.member.state).toBe(c.state);
      expect(h.apis()).toEqual(c.now);
      h.advance(BACKOFF_MS * 2);
      expect(h.apis()).toEqual(c.later);
      expect(eventTypes(h.events)).toEqual(c.events);
    });
  }

  it('reads the coordinator from a version 4+ response with a coordinators array', () => {
    const h = new Harness();
    h.member.subscribe([TOPIC], h.now);
    h.poll();
    h.respond('FindCoordinator', {
      coordinators: [
        { key: GROUP, nodeId: 7, host: 'broker-7', port: 9093, errorCode: 0, errorMessage: null },
      ],
    });
    expect(h.member.coordinator).toEqual({ nodeId: 7, host: 'broker-7', port: 9093 });
    expect(h.take('JoinGroup').target).toEqual({
      kind: 'coordinator',
      node: { nodeId: 7, host: 'broker-7', port: 9093 },
    });
  });

  it('backs off exponentially between failed lookups, up to the maximum', () => {
    const h = new Harness();
    h.member.subscribe([TOPIC], h.now);
    h.poll();
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const start = h.now;
      h.respond('FindCoordinator', findCoordinatorError(E.COORDINATOR_NOT_AVAILABLE));
      waits.push(h.nextPollAt - start);
      h.now = h.nextPollAt;
      h.poll();
    }
    // random() = 0.5 makes the jitter factor exactly 1.
    expect(waits).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});

describe('JoinGroup', () => {
  it('carries the subscription of every configured assignor, most preferred first, and waits past the rebalance timeout', () => {
    const h = new Harness('eager', {
      assignors: [new RangeAssignor(), new RoundRobinAssignor()],
      rebalanceTimeoutMs: 40_000,
      clientRack: 'rack-a',
    });
    h.startJoining([TOPIC, 'audit']);
    const r = h.take('JoinGroup');
    expect(r.target).toEqual({ kind: 'coordinator', node: COORDINATOR });
    expect(r.body.protocolType).toBe('consumer');
    expect(r.body.protocols.map((p) => p.name)).toEqual(['range', 'roundrobin']);
    expect(r.body.memberId).toBe('');
    expect(r.body.groupInstanceId).toBeNull();
    expect(r.body.sessionTimeoutMs).toBe(SESSION_MS);
    expect(r.body.rebalanceTimeoutMs).toBe(40_000);
    expect(r.timeoutMs).toBe(45_000);
    expect(r.minVersion).toBe(0);
    const sub = decodeSubscription('', null, r.body.protocols[0]?.metadata ?? new Uint8Array());
    expect(sub).toEqual({
      memberId: '',
      groupInstanceId: null,
      topics: ['audit', TOPIC],
      userData: null,
      ownedPartitions: [],
      generationId: -1,
      rackId: 'rack-a',
    });
  });

  const cases: {
    name: string;
    response: () => GroupApis['JoinGroup']['response'] | Error;
    state: string;
    now: GroupApiName[];
    later: GroupApiName[];
    events: string[];
    fatal?: new (...args: never[]) => Error;
  }[] = [
    {
      name: 'a follower that joined sends SyncGroup',
      response: () => joinOk({ memberId: 'a', leader: 'b' }),
      state: 'SYNCING',
      now: ['SyncGroup'],
      later: [],
      events: [],
    },
    {
      name: 'a leader that joined fetches metadata for the assignor',
      response: () => joinOk({ memberId: 'a', leader: 'a', members: [{ memberId: 'a', topics: [TOPIC] }] }),
      state: 'ASSIGNING',
      now: ['Metadata'],
      later: [],
      events: [],
    },
    {
      name: 'MEMBER_ID_REQUIRED rejoins at once with the given member id',
      response: () => joinError(E.MEMBER_ID_REQUIRED, 'given-id'),
      state: 'JOINING',
      now: ['JoinGroup'],
      later: [],
      events: [],
    },
    {
      name: 'UNKNOWN_MEMBER_ID rejoins with an empty member id',
      response: () => joinError(E.UNKNOWN_MEMBER_ID),
      state: 'JOINING',
      now: ['JoinGroup'],
      later: [],
      events: [],
    },
    {
      name: 'ILLEGAL_GENERATION rejoins without a generation',
      response: () => joinError(E.ILLEGAL_GENERATION),
      state: 'JOINING',
      now: ['JoinGroup'],
      later: [],
      events: [],
    },
    {
      name: 'NOT_COORDINATOR looks the coordinator up again',
      response: () => joinError(E.NOT_COORDINATOR),
      state: 'JOINING',
      now: ['FindCoordinator'],
      later: [],
      events: [],
    },
    {
      name: 'COORDINATOR_NOT_AVAILABLE looks the coordinator up again',
      response: () => joinError(E.COORDINATOR_NOT_AVAILABLE),
      state: 'JOINING',
      now: ['FindCoordinator'],
      later: [],
      events: [],
    },
    {
      name: 'COORDINATOR_LOAD_IN_PROGRESS retries after the backoff',
      response: () => joinError(E.COORDINATOR_LOAD_IN_PROGRESS),
      state: 'JOINING',
      now: [],
      later: ['JoinGroup'],
      events: [],
    },
    {
      name: 'REBALANCE_IN_PROGRESS retries after the backoff',
      response: () => joinError(E.REBALANCE_IN_PROGRESS),
      state: 'JOINING',
      now: [],
      later: ['JoinGroup'],
      events: [],
    },
    {
      name: 'an unexpected error is reported and retried after the backoff',
      response: () => joinError(E.UNKNOWN_SERVER_ERROR),
      state: 'JOINING',
      now: [],
      later: ['JoinGroup'],
      events: ['error'],
    },
    {
      name: 'a connection error looks the coordinator up again',
      response: connectionLost,
      state: 'JOINING',
      now: ['FindCoordinator'],
      later: [],
      events: ['error'],
    },
    {
      name: 'FENCED_INSTANCE_ID is fatal',
      response: () => joinError(E.FENCED_INSTANCE_ID),
      state: 'FATAL',
      now: [],
      later: [],
      events: ['fatal'],
      fatal: FencedInstanceIdError,
    },
    {
      name: 'GROUP_MAX_SIZE_REACHED is fatal',
      response: () => joinError(E.GROUP_MAX_SIZE_REACHED),
      state: 'FATAL',
      now: [],
      later: [],
      events: ['fatal'],
      fatal: GroupMaxSizeReachedError,
    },
    {
      name: 'INCONSISTENT_GROUP_PROTOCOL is fatal',
      response: () => joinError(E.INCONSISTENT_GROUP_PROTOCOL),
      state: 'FATAL',
      now: [],
      later: [],
      events: ['fatal'],
      fatal: GroupFatalError,
    },
    {
      name: 'INVALID_SESSION_TIMEOUT is fatal',
      response: () => joinError(E.INVALID_SESSION_TIMEOUT),
      state: 'FATAL',
      now: [],
      later: [],
      events: ['fatal'],
      fatal: GroupFatalError,
    },
    {
      name: 'GROUP_AUTHORIZATION_FAILED is fatal',
      response: () => joinError(E.GROUP_AUTHORIZATION_FAILED),
      state: 'FATAL',
      now: [],
      later: [],
      events: ['fatal'],
      fatal: GroupFatalError,
    },
    {
      name: 'a protocol this member did not offer is fatal',
      response: () => joinOk({ memberId: 'a', leader: 'b' }, 'roundrobin'),
      state: 'FATAL',
      now: [],
      later: [],
      events: ['fatal'],
      fatal: GroupFatalError,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const h = new Harness();
      h.startJoining();
      h.respond('JoinGroup', c.response());
      expect(h.member.state).toBe(c.state);
      expect(h.apis()).toEqual(c.now);
      h.advance(BACKOFF_MS * 2);
      expect(h.apis().filter((a) => a !== 'Heartbeat')).toEqual(c.later);
      expect(eventTypes(h.events)).toEqual(c.events);
      if (c.fatal) expect(h.member.fatalError).toBeInstanceOf(c.fatal);
    });
  }

  it('a member told MEMBER_ID_REQUIRED sends the member id it was given', () => {
    const h = new Harness();
    h.startJoining();
    h.respond('JoinGroup', joinError(E.MEMBER_ID_REQUIRED, 'consumer-1-abc'));
    const again = h.take('JoinGroup');
    expect(again.body.memberId).toBe('consumer-1-abc');
    expect(again.body.reason).toBe('need to re-join with the given member-id');
  });

  it('a cooperative member told UNKNOWN_MEMBER_ID while rejoining loses the partitions it kept', () => {
    const h = new Harness('cooperative');
    h.joinAsFollower(partitions(0, 1), 1, 'a');
    h.advance(HEARTBEAT_MS);
    h.respond('Heartbeat', heartbeat(E.REBALANCE_IN_PROGRESS));
    expect(ownedInJoin(h.take('JoinGroup'))).toEqual(partitions(0, 1));
    // take() removed it from `outstanding`; answer it through the member directly.
    const mark = h.events.length;
    const join = h.lastRequests.find((r) => r.api === 'JoinGroup');
    if (!join) throw new Error('no JoinGroup');
    h.member.onResponse(join, joinError(E.UNKNOWN_MEMBER_ID), h.now);
    h.poll();
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsLost', id: expect.any(Number), partitions: partitions(0, 1) },
    ]);
    expect(h.member.state).toBe('LOSING');
    expect(h.apis()).toEqual([]);
    h.ackAll();
    expect(h.member.state).toBe('JOINING');
    const rejoin = h.take('JoinGroup');
    expect(rejoin.body.memberId).toBe('');
    expect(ownedInJoin(rejoin)).toEqual([]);
  });

  it('sends no heartbeat while the JoinGroup is in flight', () => {
    const h = new Harness();
    h.joinAsFollower(partitions(0));
    h.advance(HEARTBEAT_MS);
    h.respond('Heartbeat', heartbeat(E.REBALANCE_IN_PROGRESS));
    h.ackAll();
    expect(h.apis()).toEqual(['JoinGroup']);
    for (let i = 0; i < 5; i++) expect(h.advance(HEARTBEAT_MS)).toEqual([]);
    expect(h.nextPollAt).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('leader election and assignment', () => {
  it('the leader runs the chosen assignor over every member and sends each its share in SyncGroup', () => {
    const h = new Harness('eager', { assignors: [new RoundRobinAssignor(), new RangeAssignor()] });
    h.startJoining();
    h.respond(
      'JoinGroup',
      joinOk(
        {
          memberId: 'a',
          leader: 'a',
          generationId: 3,
          members: [
            { memberId: 'a', topics: [TOPIC] },
            { memberId: 'b', topics: [TOPIC, 'audit'] },
          ],
        },
        'range',
      ),
    );
    expect(h.member.isLeader).toBe(true);
    const md = h.take('Metadata');
    expect(md.target).toEqual({ kind: 'any' });
    expect(md.body.topics).toEqual([{ name: 'audit' }, { name: TOPIC }]);
    expect(md.body.allowAutoTopicCreation).toBe(false);
    h.member.onResponse(md, metadataFor({ [TOPIC]: 4, audit: 1 }), h.now);
    h.poll();
    expect(h.member.state).toBe('SYNCING');
    const sync = h.take('SyncGroup');
    expect(sync.body.generationId).toBe(3);
    expect(sync.body.protocolName).toBe('range');
    const byMember = new Map(
      sync.body.assignments.map((a) => [
        a.memberId,
        sortPartitions(decodeAssignment(a.assignment).partitions),
      ]),
    );
    expect(byMember.get('a')).toEqual([tp(TOPIC, 0), tp(TOPIC, 1)]);
    expect(byMember.get('b')).toEqual([tp('audit', 0), tp(TOPIC, 2), tp(TOPIC, 3)]);
  });

  it('a leader told to skip the assignment (a static leader rejoining) syncs without running the assignor', () => {
    const h = new Harness('eager', { groupInstanceId: 'host-1' });
    h.startJoining();
    h.respond(
      'JoinGroup',
      joinOk({
        memberId: 'a',
        leader: 'a',
        skipAssignment: true,
        members: [{ memberId: 'a', topics: [TOPIC] }],
      }),
    );
    expect(h.apis()).toEqual(['SyncGroup']);
    expect(h.take('SyncGroup').body.assignments).toEqual([]);
  });

  it('a leader whose metadata request fails retries it after the backoff', () => {
    const h = new Harness();
    h.startJoining();
    h.respond(
      'JoinGroup',
      joinOk({ memberId: 'a', leader: 'a', members: [{ memberId: 'a', topics: [TOPIC] }] }),
    );
    h.respond('Metadata', connectionLost());
    expect(h.member.state).toBe('ASSIGNING');
    expect(h.apis()).toEqual([]);
    h.advance(BACKOFF_MS);
    expect(h.apis()).toEqual(['Metadata']);
  });

  it('a leader that cannot read a member subscription reports it and rejoins after the backoff', () => {
    const h = new Harness();
    h.startJoining();
    const response = joinOk({ memberId: 'a', leader: 'a' });
    response.members = [
      { memberId: 'b', groupInstanceId: null, metadata: new Uint8Array([0, 3, 0x7f, 0xff, 0xff, 0xff]) },
    ];
    h.respond('JoinGroup', response);
    expect(h.member.state).toBe('JOINING');
    expect(eventTypes(h.events)).toEqual(['error']);
    h.advance(BACKOFF_MS);
    expect(h.apis()).toEqual(['JoinGroup']);
  });

  it('picks COOPERATIVE only when every assignor supports it', () => {
    expect(selectRebalanceProtocol([new CooperativeStickyAssignor()])).toBe('COOPERATIVE');
    expect(selectRebalanceProtocol([new CooperativeStickyAssignor(), new RangeAssignor()])).toBe('EAGER');
    expect(() => selectRebalanceProtocol([])).toThrow(GroupConfigError);
  });
});

describe('SyncGroup', () => {
  const cases: {
    name: string;
    response: () => GroupApis['SyncGroup']['response'] | Error;
    state: string;
    now: GroupApiName[];
    events: string[];
  }[] = [
    {
      name: 'an assignment is handed to the consumer to acknowledge',
      response: () => syncOk(partitions(0, 1)),
      state: 'RECONCILING',
      now: [],
      events: ['partitionsAssigned'],
    },
    {
      name: 'REBALANCE_IN_PROGRESS rejoins at once',
      response: () => syncError(E.REBALANCE_IN_PROGRESS),
      state: 'JOINING',
      now: ['JoinGroup'],
      events: [],
    },
    {
      name: 'UNKNOWN_MEMBER_ID rejoins without a member id',
      response: () => syncError(E.UNKNOWN_MEMBER_ID),
      state: 'JOINING',
      now: ['JoinGroup'],
      events: [],
    },
    {
      name: 'ILLEGAL_GENERATION rejoins without a generation',
      response: () => syncError(E.ILLEGAL_GENERATION),
      state: 'JOINING',
      now: ['JoinGroup'],
      events: [],
    },
    {
      name: 'NOT_COORDINATOR looks the coordinator up and rejoins',
      response: () => syncError(E.NOT_COORDINATOR),
      state: 'JOINING',
      now: ['FindCoordinator'],
      events: [],
    },
    {
      name: 'a connection error looks the coordinator up and rejoins',
      response: connectionLost,
      state: 'JOINING',
      now: ['FindCoordinator'],
      events: ['error'],
    },
    {
      name: 'an unexpected error is reported and rejoins after the backoff',
      response: () => syncError(E.UNKNOWN_SERVER_ERROR),
      state: 'JOINING',
      now: [],
      events: ['error'],
    },
    {
      name: 'FENCED_INSTANCE_ID is fatal',
      response: () => syncError(E.FENCED_INSTANCE_ID),
      state: 'FATAL',
      now: [],
      events: ['fatal'],
    },
    {
      name: 'GROUP_AUTHORIZATION_FAILED is fatal',
      response: () => syncError(E.GROUP_AUTHORIZATION_FAILED),
      state: 'FATAL',
      now: [],
      events: ['fatal'],
    },
    {
      name: 'an assignment that cannot be decoded is fatal',
      response: () => ({ errorCode: 0, assignment: new Uint8Array([0, 0, 0]) }),
      state: 'FATAL',
      now: [],
      events: ['fatal'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const h = new Harness();
      h.startJoining();
      h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b', generationId: 5 }));
      h.respond('SyncGroup', c.response());
      expect(h.member.state).toBe(c.state);
      expect(h.apis()).toEqual(c.now);
      expect(eventTypes(h.events)).toEqual(c.events);
    });
  }

  it('a follower acknowledging its assignment becomes STABLE and heartbeats on its own schedule', () => {
    const h = new Harness();
    h.startJoining();
    h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b', generationId: 5 }));
    h.respond('SyncGroup', syncOk(partitions(1, 0)));
    const [assigned] = h.events;
    expect(assigned).toEqual({
      type: 'partitionsAssigned',
      id: expect.any(Number),
      partitions: partitions(0, 1),
      assignment: partitions(0, 1),
      generationId: 5,
      memberId: 'a',
    });
    h.ackAll();
    expect(h.member.state).toBe('STABLE');
    expect(h.member.ownedPartitions).toEqual(partitions(0, 1));
    expect(h.member.generation()).toEqual({
      groupId: GROUP,
      generationId: 5,
      memberId: 'a',
      groupInstanceId: null,
      protocolName: 'range',
    });
    const sentAt: number[] = [];
    const start = h.now;
    for (let t = 0; t < 3500; t += 100) {
      if (h.advance(100).some((r) => r.api === 'Heartbeat')) {
        sentAt.push(h.now - start);
        const hb = h.take('Heartbeat');
        expect(hb.body).toEqual({ groupId: GROUP, generationId: 5, memberId: 'a', groupInstanceId: null });
        h.member.onResponse(hb, heartbeat(), h.now);
      }
    }
    expect(sentAt).toEqual([1000, 2000, 3000]);
  });
});

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
      response: () => heartbeat(E.REBALANCE_IN_PROGRESS),
      state: 'PREPARING_REJOIN',
      now: [],
      events: ['partitionsRevoked'],
    },
    {
      name: 'a cooperative member told REBALANCE_IN_PROGRESS rejoins at once keeping its partitions',
      protocol: 'cooperative',
      response: () => heartbeat(E.REBALANCE_IN_PROGRESS),
      state: 'JOINING',
      now: ['JoinGroup'],
      events: [],
    },
    {
      name: 'UNKNOWN_MEMBER_ID drops the assignment as lost',
      protocol: 'eager',
      response: () => heartbeat(E.UNKNOWN_MEMBER_ID),
      state: 'LOSING',
      now: [],
      events: ['partitionsLost'],
    },
    {
      name: 'ILLEGAL_GENERATION drops the assignment as lost',
      protocol: 'cooperative',
      response: () => heartbeat(E.ILLEGAL_GENERATION),
      state: 'LOSING',
      now: [],
      events: ['partitionsLost'],
    },
    {
      name: 'NOT_COORDINATOR looks the coordinator up again',
      protocol: 'eager',
      response: () => heartbeat(E.NOT_COORDINATOR),
      state: 'STABLE',
      now: ['FindCoordinator'],
      events: [],
    },
    {
      name: 'COORDINATOR_NOT_AVAILABLE looks the coordinator up again',
      protocol: 'eager',
      response: () => heartbeat(E.COORDINATOR_NOT_AVAILABLE),
      state: 'STABLE',
      now: ['FindCoordinator'],
      events: [],
    },
    {
      name: 'COORDINATOR_LOAD_IN_PROGRESS retries after the backoff',
      protocol: 'eager',
      response: () => heartbeat(E.COORDINATOR_LOAD_IN_PROGRESS),
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
      response: () => heartbeat(E.FENCED_INSTANCE_ID),
      state: 'FATAL',
      now: [],
      events: ['fatal'],
    },
    {
      name: 'GROUP_AUTHORIZATION_FAILED is fatal',
      protocol: 'eager',
      response: () => heartbeat(E.GROUP_AUTHORIZATION_FAILED),
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
    h.respond('Heartbeat', heartbeat(E.REBALANCE_IN_PROGRESS));
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
    h.respond('Heartbeat', heartbeat(E.ILLEGAL_GENERATION));
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
    h.respond('Heartbeat', heartbeat(E.REBALANCE_IN_PROGRESS));
    expect(h.member.state).toBe('PREPARING_REJOIN');
    h.advance(HEARTBEAT_MS);
    expect(h.apis()).toEqual(['Heartbeat']);
    // A second REBALANCE_IN_PROGRESS changes nothing: the member is already on its way.
    h.respond('Heartbeat', heartbeat(E.REBALANCE_IN_PROGRESS));
    expect(h.member.state).toBe('PREPARING_REJOIN');
    expect(eventTypes(h.events).filter((t) => t === 'partitionsRevoked')).toHaveLength(1);
  });

  it('ignores REBALANCE_IN_PROGRESS in a heartbeat sent while syncing, leaving it to the SyncGroup answer', () => {
    const h = new Harness('eager');
    h.startJoining();
    h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b', generationId: 1 }));
    h.advance(HEARTBEAT_MS);
    h.respond('Heartbeat', heartbeat(E.REBALANCE_IN_PROGRESS));
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
    h.respond('Heartbeat', heartbeat(E.REBALANCE_IN_PROGRESS));
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
    h.respond('SyncGroup', syncError(E.REBALANCE_IN_PROGRESS));
    h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b', generationId: 2 }));
    expect(h.member.state).toBe('SYNCING');
    h.member.onResponse(stale, heartbeat(E.ILLEGAL_GENERATION), h.now);
    expect(h.member.state).toBe('SYNCING');
    expect(h.member.generation().generationId).toBe(2);
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
      h.respond('Heartbeat', heartbeat(E.REBALANCE_IN_PROGRESS));
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
        h.respond('Heartbeat', heartbeat(E[codeName as keyof typeof E]));
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
    h.respond('Heartbeat', heartbeat(E.ILLEGAL_GENERATION));
    h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b', generationId: 5 }));
    expect(h.apis()).toEqual(['SyncGroup']);
    h.member.onResponse(oldSync, syncOk(partitions(0, 1, 2)), h.now);
    expect(h.member.state).toBe('SYNCING');
    h.respond('SyncGroup', syncOk(partitions(1)));
    expect(h.member.ownedPartitions).toEqual(partitions(1));
  });
});

describe('cooperative rebalancing (KIP-429)', () => {
  it('revokes what the leader took away, then rejoins for the second round', () => {
    const h = new Harness('cooperative');
    h.joinAsFollower(partitions(0, 1, 2), 1, 'a');
    h.advance(HEARTBEAT_MS);
    h.respond('Heartbeat', heartbeat(E.REBALANCE_IN_PROGRESS));
    const first = h.take('JoinGroup');
    expect(ownedInJoin(first)).toEqual(partitions(0, 1, 2));
    h.member.onResponse(
      first,
      joinOk({ memberId: 'a', leader: 'b', generationId: 2 }, 'cooperative-sticky'),
      h.now,
    );
    h.poll();
    const mark = h.events.length;
    h.respond('SyncGroup', syncOk(partitions(0, 1)));
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsRevoked', id: expect.any(Number), partitions: partitions(2) },
      {
        type: 'partitionsAssigned',
        id: expect.any(Number),
        partitions: [],
        assignment: partitions(0, 1),
        generationId: 2,
        memberId: 'a',
      },
    ]);
    expect(h.member.state).toBe('RECONCILING');
    expect(h.apis()).toEqual([]);
    h.ackAll();
    expect(h.member.state).toBe('JOINING');
    const second = h.take('JoinGroup');
    expect(ownedInJoin(second)).toEqual(partitions(0, 1));
    expect(second.body.reason).toBe('need to revoke partitions and re-join');
    h.member.onResponse(
      second,
      joinOk({ memberId: 'a', leader: 'b', generationId: 3 }, 'cooperative-sticky'),
      h.now,
    );
    h.poll();
    const mark2 = h.events.length;
    h.respond('SyncGroup', syncOk(partitions(0, 1)));
    h.ackAll();
    expect(h.member.state).toBe('STABLE');
    expect(eventTypes(h.events.slice(mark2))).toEqual(['partitionsAssigned']);
  });

  it('adds new partitions without revoking the ones it keeps', () => {
    const h = new Harness('cooperative');
    h.joinAsFollower(partitions(0), 1, 'a');
    h.member.requestRejoin('metadata changed', h.now);
    h.poll();
    expect(h.member.state).toBe('JOINING');
    h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b', generationId: 2 }, 'cooperative-sticky'));
    const mark = h.events.length;
    h.respond('SyncGroup', syncOk(partitions(0, 3)));
    expect(h.eventsSince(mark)).toEqual([
      {
        type: 'partitionsAssigned',
        id: expect.any(Number),
        partitions: partitions(3),
        assignment: partitions(0, 3),
        generationId: 2,
        memberId: 'a',
      },
    ]);
    h.ackAll();
    expect(h.member.state).toBe('STABLE');
  });

  it('revokes the partitions of an unsubscribed topic before rejoining', () => {
    const h = new Harness('cooperative');
    h.startJoining([TOPIC, 'audit']);
    h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'b' }, 'cooperative-sticky'));
    h.respond('SyncGroup', syncOk([tp(TOPIC, 0), tp('audit', 0)]));
    h.ackAll();
    const mark = h.events.length;
    h.member.subscribe([TOPIC], h.now);
    h.poll();
    expect(h.member.state).toBe('PREPARING_REJOIN');
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsRevoked', id: expect.any(Number), partitions: [tp('audit', 0)] },
    ]);
    h.ackAll();
    expect(ownedInJoin(h.take('JoinGroup'))).toEqual([tp(TOPIC, 0)]);
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
    h.respond('Heartbeat', heartbeat(E.FENCED_INSTANCE_ID));
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
    h.member.onResponse(join, joinError(E.MEMBER_ID_REQUIRED, 'id-1'), h.now);
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
    h.member.onOffsetCommitError(E.ILLEGAL_GENERATION, 4, h.now);
    h.poll();
    expect(h.member.state).toBe('LOSING');
    expect(h.events.at(-1)?.type).toBe('partitionsLost');
  });

  it('an error about an older generation is ignored', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0), 4, 'a');
    h.member.onOffsetCommitError(E.UNKNOWN_MEMBER_ID, 3, h.now);
    expect(h.member.state).toBe('STABLE');
  });

  it('REBALANCE_IN_PROGRESS from a commit starts a rejoin', () => {
    const h = new Harness('eager');
    h.joinAsFollower(partitions(0), 4, 'a');
    h.member.onOffsetCommitError(E.REBALANCE_IN_PROGRESS, 4, h.now);
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
    const e = new GroupBrokerError('JoinGroup', E.UNKNOWN_SERVER_ERROR);
    expect(e.errorName).toBe('UNKNOWN_SERVER_ERROR');
    expect(e.retriable).toBe(false);
    expect(new GroupBrokerError('Heartbeat', E.COORDINATOR_LOAD_IN_PROGRESS).retriable).toBe(true);
  });
});
