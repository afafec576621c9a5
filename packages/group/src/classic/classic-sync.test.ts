import {
  CooperativeStickyAssignor,
  decodeAssignment,
  RangeAssignor,
  RoundRobinAssignor,
} from '@runnel/assignors';
import { ErrorCode } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { GroupConfigError } from '../errors.js';
import type { GroupApiName, GroupApis } from '../requests.js';
import {
  BACKOFF_MS,
  connectionLost,
  eventTypes,
  GROUP,
  Harness,
  HEARTBEAT_MS,
  heartbeat,
  joinOk,
  joinOkSkippingAssignment,
  metadataFor,
  ownedInJoin,
  partitions,
  syncError,
  syncOk,
  TOPIC,
  tp,
} from '../test-support/harness.js';
import { sortPartitions } from '../topic-partitions.js';
import { selectRebalanceProtocol } from './classic-config.js';

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
    // The driver may answer it from metadata younger than metadata.max.age.ms (default 300 000).
    expect(md.metadataMaxAgeMs).toBe(300_000);
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
    h.respond('JoinGroup', joinOkSkippingAssignment());
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
      response: () => syncError(ErrorCode.REBALANCE_IN_PROGRESS),
      state: 'JOINING',
      now: ['JoinGroup'],
      events: [],
    },
    {
      name: 'UNKNOWN_MEMBER_ID rejoins without a member id',
      response: () => syncError(ErrorCode.UNKNOWN_MEMBER_ID),
      state: 'JOINING',
      now: ['JoinGroup'],
      events: [],
    },
    {
      name: 'ILLEGAL_GENERATION rejoins without a generation',
      response: () => syncError(ErrorCode.ILLEGAL_GENERATION),
      state: 'JOINING',
      now: ['JoinGroup'],
      events: [],
    },
    {
      name: 'NOT_COORDINATOR looks the coordinator up and rejoins',
      response: () => syncError(ErrorCode.NOT_COORDINATOR),
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
      response: () => syncError(ErrorCode.UNKNOWN_SERVER_ERROR),
      state: 'JOINING',
      now: [],
      events: ['error'],
    },
    {
      name: 'FENCED_INSTANCE_ID is fatal',
      response: () => syncError(ErrorCode.FENCED_INSTANCE_ID),
      state: 'FATAL',
      now: [],
      events: ['fatal'],
    },
    {
      name: 'GROUP_AUTHORIZATION_FAILED is fatal',
      response: () => syncError(ErrorCode.GROUP_AUTHORIZATION_FAILED),
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

describe('cooperative rebalancing (KIP-429)', () => {
  it('revokes what the leader took away, then rejoins for the second round', () => {
    const h = new Harness('cooperative');
    h.joinAsFollower(partitions(0, 1, 2), 1, 'a');
    h.advance(HEARTBEAT_MS);
    h.respond('Heartbeat', heartbeat(ErrorCode.REBALANCE_IN_PROGRESS));
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
