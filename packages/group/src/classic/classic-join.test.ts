import { decodeSubscription, RangeAssignor, RoundRobinAssignor } from '@runnel/assignors';
import { ErrorCode } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { FencedInstanceIdError, GroupFatalError, GroupMaxSizeReachedError } from '../errors.js';
import type { GroupApiName, GroupApis } from '../requests.js';
import {
  BACKOFF_MS,
  COORDINATOR,
  connectionLost,
  eventTypes,
  findCoordinatorError,
  findCoordinatorOk,
  GROUP,
  Harness,
  HEARTBEAT_MS,
  heartbeat,
  joinError,
  joinOk,
  ownedInJoin,
  partitions,
  SESSION_MS,
  TOPIC,
} from '../test-support/harness.js';

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
      response: () => findCoordinatorError(ErrorCode.COORDINATOR_NOT_AVAILABLE),
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
      response: () => findCoordinatorError(ErrorCode.GROUP_AUTHORIZATION_FAILED),
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
      h.respond('FindCoordinator', findCoordinatorError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
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
      response: () => joinError(ErrorCode.MEMBER_ID_REQUIRED, 'given-id'),
      state: 'JOINING',
      now: ['JoinGroup'],
      later: [],
      events: [],
    },
    {
      name: 'UNKNOWN_MEMBER_ID rejoins with an empty member id',
      response: () => joinError(ErrorCode.UNKNOWN_MEMBER_ID),
      state: 'JOINING',
      now: ['JoinGroup'],
      later: [],
      events: [],
    },
    {
      name: 'ILLEGAL_GENERATION rejoins without a generation',
      response: () => joinError(ErrorCode.ILLEGAL_GENERATION),
      state: 'JOINING',
      now: ['JoinGroup'],
      later: [],
      events: [],
    },
    {
      name: 'NOT_COORDINATOR looks the coordinator up again',
      response: () => joinError(ErrorCode.NOT_COORDINATOR),
      state: 'JOINING',
      now: ['FindCoordinator'],
      later: [],
      events: [],
    },
    {
      name: 'COORDINATOR_NOT_AVAILABLE looks the coordinator up again',
      response: () => joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE),
      state: 'JOINING',
      now: ['FindCoordinator'],
      later: [],
      events: [],
    },
    {
      name: 'COORDINATOR_LOAD_IN_PROGRESS retries after the backoff',
      response: () => joinError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS),
      state: 'JOINING',
      now: [],
      later: ['JoinGroup'],
      events: [],
    },
    {
      name: 'REBALANCE_IN_PROGRESS retries after the backoff',
      response: () => joinError(ErrorCode.REBALANCE_IN_PROGRESS),
      state: 'JOINING',
      now: [],
      later: ['JoinGroup'],
      events: [],
    },
    {
      name: 'an unexpected error is reported and retried after the backoff',
      response: () => joinError(ErrorCode.UNKNOWN_SERVER_ERROR),
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
      response: () => joinError(ErrorCode.FENCED_INSTANCE_ID),
      state: 'FATAL',
      now: [],
      later: [],
      events: ['fatal'],
      fatal: FencedInstanceIdError,
    },
    {
      name: 'GROUP_MAX_SIZE_REACHED is fatal',
      response: () => joinError(ErrorCode.GROUP_MAX_SIZE_REACHED),
      state: 'FATAL',
      now: [],
      later: [],
      events: ['fatal'],
      fatal: GroupMaxSizeReachedError,
    },
    {
      name: 'INCONSISTENT_GROUP_PROTOCOL is fatal',
      response: () => joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL),
      state: 'FATAL',
      now: [],
      later: [],
      events: ['fatal'],
      fatal: GroupFatalError,
    },
    {
      name: 'INVALID_SESSION_TIMEOUT is fatal',
      response: () => joinError(ErrorCode.INVALID_SESSION_TIMEOUT),
      state: 'FATAL',
      now: [],
      later: [],
      events: ['fatal'],
      fatal: GroupFatalError,
    },
    {
      name: 'GROUP_AUTHORIZATION_FAILED is fatal',
      response: () => joinError(ErrorCode.GROUP_AUTHORIZATION_FAILED),
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
    h.respond('JoinGroup', joinError(ErrorCode.MEMBER_ID_REQUIRED, 'consumer-1-abc'));
    const again = h.take('JoinGroup');
    expect(again.body.memberId).toBe('consumer-1-abc');
    expect(again.body.reason).toBe('need to re-join with the given member-id');
  });

  it('a cooperative member told UNKNOWN_MEMBER_ID while rejoining loses the partitions it kept', () => {
    const h = new Harness('cooperative');
    h.joinAsFollower(partitions(0, 1), 1, 'a');
    h.advance(HEARTBEAT_MS);
    h.respond('Heartbeat', heartbeat(ErrorCode.REBALANCE_IN_PROGRESS));
    expect(ownedInJoin(h.take('JoinGroup'))).toEqual(partitions(0, 1));
    // take() removed it from `outstanding`; answer it through the member directly.
    const mark = h.events.length;
    const join = h.lastRequests.find((r) => r.api === 'JoinGroup');
    if (!join) throw new Error('no JoinGroup');
    h.member.onResponse(join, joinError(ErrorCode.UNKNOWN_MEMBER_ID), h.now);
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
    h.respond('Heartbeat', heartbeat(ErrorCode.REBALANCE_IN_PROGRESS));
    h.ackAll();
    expect(h.apis()).toEqual(['JoinGroup']);
    for (let i = 0; i < 5; i++) expect(h.advance(HEARTBEAT_MS)).toEqual([]);
    expect(h.nextPollAt).toBe(Number.POSITIVE_INFINITY);
  });
});
