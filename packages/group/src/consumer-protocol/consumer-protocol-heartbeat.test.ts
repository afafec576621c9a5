import { ErrorCode, UnsupportedVersionError } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import {
  FencedInstanceIdError,
  type GroupBrokerError,
  GroupFatalError,
  GroupMaxSizeReachedError,
} from '../errors.js';
import {
  BACKOFF_MS,
  ConsumerProtocolHarness,
  connectionLost,
  eventTypes,
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
  PAYMENTS_ID,
  payments,
  REFUNDS,
  withId,
} from '../test-support/consumer-protocol-harness.js';
import { COORDINATOR, OTHER_COORDINATOR } from '../test-support/scripted-coordinator.js';
import { ConsumerProtocolMemberState } from './consumer-protocol-states.js';

describe('fencing', () => {
  it.each([
    ['FENCED_MEMBER_EPOCH', ErrorCode.FENCED_MEMBER_EPOCH],
    ['UNKNOWN_MEMBER_ID', ErrorCode.UNKNOWN_MEMBER_ID],
  ])('%s while stable drops the assignment as lost and rejoins with epoch 0', (_name, code) => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0, 1] }, 5);
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(code));
    expect(h.member.state).toBe(ConsumerProtocolMemberState.FENCED);
    expect(h.eventsSince(mark)).toEqual([
      { type: 'partitionsLost', id: expect.any(Number), partitions: payments(0, 1) },
    ]);
    expect(h.apis()).toEqual([]); // no rejoin before the loss is handled
    h.ackAll();
    expect(h.member.state).toBe(ConsumerProtocolMemberState.JOINING);
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
    h.join({ [PAYMENTS_ID]: [0, 1] }, 5);
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(6, { [PAYMENTS_ID]: [0, 2] }));
    expect(h.member.state).toBe(ConsumerProtocolMemberState.RECONCILING);
    const revoked = withId(h.eventsSince(mark), 'partitionsRevoked');
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(ErrorCode.FENCED_MEMBER_EPOCH));
    expect(h.member.state).toBe(ConsumerProtocolMemberState.FENCED);
    expect(h.eventsSince(mark).at(-1)).toMatchObject({ type: 'partitionsLost', partitions: payments(0) });
    // The late revocation acknowledgement must not resume the reconciliation that was dropped.
    h.member.acknowledge(revoked.id, h.now);
    h.poll();
    expect(eventTypes(h.eventsSince(mark))).toEqual(['partitionsRevoked', 'partitionsLost']);
    h.ackAll();
    expect(h.member.state).toBe(ConsumerProtocolMemberState.JOINING);
    expect(h.peekHeartbeat().memberEpoch).toBe(0);
    expect(h.member.ownedPartitions).toEqual([]);
  });

  it('FENCED_MEMBER_EPOCH while acknowledging loses the partitions just assigned too', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 5);
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(6, { [PAYMENTS_ID]: [0, 1] }));
    h.advance(INTERVAL_MS); // a heartbeat is in flight when the consumer finishes assigning
    h.member.acknowledge(withId(h.eventsSince(mark), 'partitionsAssigned').id, h.now);
    h.poll();
    expect(h.member.state).toBe(ConsumerProtocolMemberState.ACKNOWLEDGING);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(ErrorCode.FENCED_MEMBER_EPOCH));
    expect(h.member.state).toBe(ConsumerProtocolMemberState.FENCED);
    expect(h.eventsSince(mark).at(-1)).toMatchObject({ type: 'partitionsLost', partitions: payments(0, 1) });
  });

  it('UNKNOWN_MEMBER_ID while joining rejoins at once, with no lost event', () => {
    const h = new ConsumerProtocolHarness();
    h.startJoining();
    h.respond('ConsumerGroupHeartbeat', heartbeatError(ErrorCode.UNKNOWN_MEMBER_ID));
    expect(h.member.state).toBe(ConsumerProtocolMemberState.JOINING);
    expect(h.eventsSince(0)).toEqual([]);
    expect(h.apis()).toEqual(['ConsumerGroupHeartbeat']);
  });
});

describe('fatal errors', () => {
  it.each([
    ['GROUP_MAX_SIZE_REACHED', ErrorCode.GROUP_MAX_SIZE_REACHED, GroupMaxSizeReachedError],
    ['FENCED_INSTANCE_ID', ErrorCode.FENCED_INSTANCE_ID, FencedInstanceIdError],
    ['UNRELEASED_INSTANCE_ID', ErrorCode.UNRELEASED_INSTANCE_ID, GroupFatalError],
    ['UNSUPPORTED_ASSIGNOR', ErrorCode.UNSUPPORTED_ASSIGNOR, GroupFatalError],
    ['INVALID_REGULAR_EXPRESSION', ErrorCode.INVALID_REGULAR_EXPRESSION, GroupFatalError],
    ['GROUP_AUTHORIZATION_FAILED', ErrorCode.GROUP_AUTHORIZATION_FAILED, GroupFatalError],
    ['INVALID_REQUEST', ErrorCode.INVALID_REQUEST, GroupFatalError],
    ['UNSUPPORTED_VERSION', ErrorCode.UNSUPPORTED_VERSION, GroupFatalError],
    ['UNKNOWN_SERVER_ERROR (unexpected, not retriable)', ErrorCode.UNKNOWN_SERVER_ERROR, GroupFatalError],
  ])(
    '%s puts a stable member in FATAL, its partitions lost, and it sends nothing more',
    (_name, code, kind) => {
      const h = new ConsumerProtocolHarness({ groupInstanceId: 'instance-1' });
      h.join({ [PAYMENTS_ID]: [0] });
      const mark = h.events.length;
      h.advance(INTERVAL_MS);
      h.respond('ConsumerGroupHeartbeat', heartbeatError(code, 'details from the broker'));
      expect(h.member.state).toBe(ConsumerProtocolMemberState.FATAL);
      const fatal = h.eventsSince(mark).find((e) => e.type === 'fatal');
      expect(fatal?.type === 'fatal' && fatal.error).toBeInstanceOf(kind);
      expect(h.member.fatalError?.errorCode).toBe(code);
      expect(eventTypes(h.eventsSince(mark))).toEqual(['partitionsLost', 'fatal']);
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
    expect(h.member.state).toBe(ConsumerProtocolMemberState.FATAL);
    expect(h.member.fatalError?.code).toBe('ERR_GROUP_PROTOCOL_UNSUPPORTED');
  });
});

describe('retriable errors', () => {
  it.each([
    ['NOT_COORDINATOR', ErrorCode.NOT_COORDINATOR],
    ['COORDINATOR_NOT_AVAILABLE', ErrorCode.COORDINATOR_NOT_AVAILABLE],
  ])('%s finds the coordinator again and then sends a full heartbeat at once', (_name, code) => {
    const h = new ConsumerProtocolHarness({ serverAssignor: 'uniform' });
    h.join({ [PAYMENTS_ID]: [0] }, 2);
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
      topicPartitions: [{ topicId: PAYMENTS_ID, partitions: [0] }],
    });
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STABLE);
  });

  it('COORDINATOR_LOAD_IN_PROGRESS backs off, then retries with every field', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 2);
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS));
    expect(h.apis()).toEqual([]);
    expect(h.nextPollAt).toBe(h.now + BACKOFF_MS);
    h.advance(BACKOFF_MS);
    expect(h.apis()).toEqual(['ConsumerGroupHeartbeat']);
    expect(h.peekHeartbeat().subscribedTopicNames).toEqual(['payments']);
  });

  it('remembers when the coordinator last accepted a heartbeat; an error answer or a lost connection does not move it', () => {
    const h = new ConsumerProtocolHarness();
    expect(h.member.lastHeartbeatAt).toBeNull();
    h.join({ [PAYMENTS_ID]: [0] }, 2);
    const joinedAt = h.member.lastHeartbeatAt;
    expect(joinedAt).toBe(h.now);
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(ErrorCode.REQUEST_TIMED_OUT));
    h.advance(BACKOFF_MS);
    h.respond('ConsumerGroupHeartbeat', connectionLost());
    h.respond('FindCoordinator', findCoordinatorOk());
    expect(h.member.lastHeartbeatAt).toBe(joinedAt);
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2));
    expect(h.member.lastHeartbeatAt).toBe(h.now);
    expect(h.now).toBeGreaterThan(joinedAt!);
  });

  it('a lost heartbeat puts the membership in doubt until the coordinator accepts one again', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 2);
    expect(h.member.membershipInDoubt).toBe(false);
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', connectionLost());
    expect(h.member.membershipInDoubt).toBe(true);
    h.respond('FindCoordinator', findCoordinatorOk());
    h.advance(BACKOFF_MS);
    // Answered, but not accepted: the coordinator may still have expired the member.
    h.respond('ConsumerGroupHeartbeat', heartbeatError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS));
    expect(h.member.membershipInDoubt).toBe(true);
    h.advance(4 * BACKOFF_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2));
    expect(h.member.membershipInDoubt).toBe(false);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STABLE);
  });

  it('a member that holds nothing is never in doubt: a joining member’s lost heartbeat changes nothing', () => {
    const h = new ConsumerProtocolHarness();
    h.startJoining();
    h.respond('ConsumerGroupHeartbeat', connectionLost());
    expect(h.member.membershipInDoubt).toBe(false);
  });

  it('two heartbeat intervals without an accepted heartbeat put the membership in doubt', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 2);
    const confirmedAt = h.now;
    // The next heartbeat goes at the interval and hangs (a frozen coordinator answers nothing).
    expect(h.advance(INTERVAL_MS).map((r) => r.api)).toEqual(['ConsumerGroupHeartbeat']);
    expect(h.nextPollAt).toBe(confirmedAt + 2 * INTERVAL_MS);
    h.advance(INTERVAL_MS - 1);
    expect(h.member.membershipInDoubt).toBe(false);
    h.advance(1);
    expect(h.member.membershipInDoubt).toBe(true);
    // The hung heartbeat is answered at last: the coordinator still counts the member.
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2));
    expect(h.member.membershipInDoubt).toBe(false);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STABLE);
  });

  it('an answer to a heartbeat sent before the doubt began leaves it: the next one, to the coordinator another broker names, decides', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 2);
    expect(h.advance(INTERVAL_MS).map((r) => r.api)).toEqual(['ConsumerGroupHeartbeat']);
    // The coordinator froze with the heartbeat queued on its connection; its partition moved meanwhile.
    h.advance(30_000);
    expect(h.member.membershipInDoubt).toBe(true);
    // Thawed, it answers from the group it held: the member is still in it there.
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(2));
    expect(h.member.membershipInDoubt).toBe(true);
    expect(h.member.lastHeartbeatAt).toBe(h.now);
    // Where the group is now is asked of another broker: the thawed one may still name itself.
    expect(h.apis()).toEqual(['FindCoordinator']);
    const find = h.respond('FindCoordinator', findCoordinatorOk(OTHER_COORDINATOR));
    expect(find.target).toEqual({ kind: 'any', avoid: COORDINATOR.nodeId });
    // The heartbeat waits an interval, then goes there.
    expect(h.apis()).toEqual([]);
    expect(h.nextPollAt).toBe(h.now + INTERVAL_MS);
    const [heartbeat] = h.advance(INTERVAL_MS);
    expect(heartbeat).toMatchObject({
      api: 'ConsumerGroupHeartbeat',
      target: { kind: 'coordinator', node: OTHER_COORDINATOR },
    });
    expect(h.member.membershipInDoubt).toBe(true);
    // Where the group is now, the new coordinator expired the member: it is fenced, still in doubt.
    h.respond('ConsumerGroupHeartbeat', heartbeatError(ErrorCode.UNKNOWN_MEMBER_ID));
    expect(h.member.state).toBe(ConsumerProtocolMemberState.FENCED);
    expect(h.member.membershipInDoubt).toBe(true);

    // Had it still counted the member, the fresh heartbeat's answer ends the doubt.
    const kept = new ConsumerProtocolHarness();
    kept.join({ [PAYMENTS_ID]: [0] }, 2);
    kept.advance(INTERVAL_MS);
    kept.advance(30_000);
    kept.respond('ConsumerGroupHeartbeat', heartbeatOk(2));
    expect(kept.member.membershipInDoubt).toBe(true);
    kept.respond('FindCoordinator', findCoordinatorOk());
    kept.advance(INTERVAL_MS);
    kept.respond('ConsumerGroupHeartbeat', heartbeatOk(2));
    expect(kept.member.membershipInDoubt).toBe(false);
    expect(kept.member.state).toBe(ConsumerProtocolMemberState.STABLE);
  });

  it('a member that holds nothing is never in doubt for want of a heartbeat', () => {
    const h = new ConsumerProtocolHarness();
    h.join({}, 2);
    h.advance(INTERVAL_MS);
    h.advance(5 * INTERVAL_MS);
    expect(h.member.membershipInDoubt).toBe(false);
  });

  it('a member in doubt that turns out fenced stays in doubt until its rejoin is accepted', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0, 1] }, 2);
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', connectionLost());
    h.respond('FindCoordinator', findCoordinatorOk());
    h.advance(BACKOFF_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(ErrorCode.UNKNOWN_MEMBER_ID));
    // The loss is not handled yet: what the consumer still holds must not be handed out.
    expect(h.member.state).toBe(ConsumerProtocolMemberState.FENCED);
    expect(h.member.membershipInDoubt).toBe(true);
    h.ackAll();
    expect(h.member.membershipInDoubt).toBe(true);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(4, { [PAYMENTS_ID]: [1] }));
    expect(h.member.membershipInDoubt).toBe(false);
  });

  it('a connection error reports the error, finds the coordinator again and backs off', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 2);
    const mark = h.events.length;
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', connectionLost());
    expect(eventTypes(h.events.slice(mark))).toEqual(['error']);
    expect(h.apis()).toEqual(['FindCoordinator']);
    h.respond('FindCoordinator', findCoordinatorOk());
    expect(h.apis()).toEqual([]);
    h.advance(BACKOFF_MS);
    expect(h.apis()).toEqual(['ConsumerGroupHeartbeat']);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STABLE);
  });

  it('a retriable error code backs off exponentially and keeps the membership', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 2);
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(ErrorCode.REQUEST_TIMED_OUT));
    h.advance(BACKOFF_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(ErrorCode.REQUEST_TIMED_OUT));
    expect(h.nextPollAt).toBe(h.now + 2 * BACKOFF_MS);
    const errors = h.events.filter((e) => e.type === 'error');
    expect(errors.map((e) => e.type === 'error' && (e.error as GroupBrokerError).errorName)).toEqual([
      'REQUEST_TIMED_OUT',
      'REQUEST_TIMED_OUT',
    ]);
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STABLE);
    expect(h.member.ownedPartitions).toEqual(payments(0));
  });

  it('TOPIC_AUTHORIZATION_FAILED is reported and the member stays in the group', () => {
    const h = new ConsumerProtocolHarness();
    h.join({ [PAYMENTS_ID]: [0] }, 2);
    h.advance(INTERVAL_MS);
    h.respond('ConsumerGroupHeartbeat', heartbeatError(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
    expect(h.events.at(-1)).toMatchObject({
      type: 'error',
      error: { errorName: 'TOPIC_AUTHORIZATION_FAILED' },
    });
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STABLE);
  });
});

describe('finding the coordinator', () => {
  it('backs off after COORDINATOR_NOT_AVAILABLE and asks again', () => {
    const h = new ConsumerProtocolHarness();
    h.member.subscribe(['payments'], h.now);
    h.poll();
    h.respond('FindCoordinator', {
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
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
      errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
      errorMessage: null,
      nodeId: -1,
      host: '',
      port: -1,
    });
    expect(h.member.state).toBe(ConsumerProtocolMemberState.FATAL);
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
    h.join({ [PAYMENTS_ID]: [0] });
    h.member.subscribe(['payments', 'refunds'], h.now);
    h.advance(INTERVAL_MS);
    expect(h.peekHeartbeat().subscribedTopicNames).toEqual(['payments', 'refunds']);
    h.respond('ConsumerGroupHeartbeat', heartbeatOk(1));
    h.advance(INTERVAL_MS);
    expect(h.peekHeartbeat().subscribedTopicNames).toBeNull();
    expect(h.member.state).toBe(ConsumerProtocolMemberState.STABLE);
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
    expect(h.member.state).toBe(ConsumerProtocolMemberState.JOINING);
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
    expect(h.member.state).toBe(ConsumerProtocolMemberState.FATAL);
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

  it('matching here, a member joins only once a topic matches: before 4.0 a first heartbeat needs topic names', () => {
    const h = new ConsumerProtocolHarness({}, [REFUNDS]);
    h.startJoiningPattern('pay.*');
    h.respond('ConsumerGroupHeartbeat', onlyVersion0());
    expect(h.member.state).toBe(ConsumerProtocolMemberState.JOINING);
    expect(h.advance(INTERVAL_MS).filter((r) => r.api === 'ConsumerGroupHeartbeat')).toEqual([]);
    expect(h.nextPollAt).toBeGreaterThan(h.now + INTERVAL_MS);
    h.member.onMetadata([REFUNDS, PAYMENTS]);
    h.poll();
    const r = h.take('ConsumerGroupHeartbeat');
    expect(r.body).toMatchObject({ memberEpoch: 0, subscribedTopicNames: ['payments'] });
    h.member.onResponse(r, heartbeatOk(1, {}), h.now);
    // In the group, a list that no longer matches goes out empty, as for a member of topic names.
    h.member.onMetadata([REFUNDS]);
    h.advance(INTERVAL_MS);
    expect(h.peekHeartbeat().subscribedTopicNames).toEqual([]);
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
