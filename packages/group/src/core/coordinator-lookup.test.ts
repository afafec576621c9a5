import { RangeAssignor } from '@runnel/assignors';
import { ErrorCode, ExponentialBackoff } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { ClassicGroupMember } from '../classic/classic-member.js';
import { ConsumerProtocolMember } from '../consumer-protocol/consumer-protocol-member.js';
import { GroupBrokerError, GroupFatalError } from '../errors.js';
import { MEMBER_API_KEYS, type MemberRequest } from '../requests.js';
import {
  BACKOFF_MS,
  COORDINATOR,
  findCoordinatorError,
  findCoordinatorOk,
  GROUP,
  OTHER_COORDINATOR,
} from '../test-support/scripted-coordinator.js';
import { CoordinatorLookup, isCoordinatorMoved } from './coordinator-lookup.js';
import { MemberEvents } from './member-events.js';

const NOW = 1_000;

function lookup(): { lookup: CoordinatorLookup; ids: number[]; events: MemberEvents } {
  const ids: number[] = [];
  let next = 41;
  const events = new MemberEvents();
  const backoff = new ExponentialBackoff({ initialMs: BACKOFF_MS, maxMs: 1_000, random: () => 0.5 });
  const nextId = () => {
    ids.push(next);
    return next++;
  };
  return { lookup: new CoordinatorLookup(GROUP, backoff, 5_000, nextId, events), ids, events };
}

describe('CoordinatorLookup', () => {
  it('sends FindCoordinator to any broker only when the coordinator is needed and unknown, with a key per version', () => {
    const { lookup: l, ids } = lookup();
    expect(l.poll(false, NOW)).toBeNull();
    expect(l.nextLookupAt(false)).toBe(Number.POSITIVE_INFINITY);
    expect(ids).toEqual([]);
    const r = l.poll(true, NOW);
    expect(r).toMatchObject({
      id: 41,
      api: 'FindCoordinator',
      apiKey: 10,
      minVersion: 0,
      maxVersion: 6,
      target: { kind: 'any' },
      timeoutMs: 5_000,
    });
    expect(r?.bodyAt(3)).toEqual({ key: GROUP, keyType: 0 });
    expect(r?.bodyAt(4)).toEqual({ keyType: 0, coordinatorKeys: [GROUP] });
    // One lookup at a time.
    expect(l.poll(true, NOW)).toBeNull();
    expect(l.nextLookupAt(true)).toBe(Number.POSITIVE_INFINITY);
  });

  it('knows the coordinator from a found answer, and looks it up again at once after markUnknown', () => {
    const { lookup: l } = lookup();
    const r = l.poll(true, NOW);
    if (!r) throw new Error('no lookup sent');
    expect(l.onResponse(r, findCoordinatorOk(), NOW)).toEqual({ kind: 'found', node: COORDINATOR });
    expect(l.node).toEqual(COORDINATOR);
    expect(l.poll(true, NOW)).toBeNull();
    expect(l.markUnknown(NOW + 5)).toBe(true);
    expect(l.markUnknown(NOW + 5)).toBe(false);
    expect(l.node).toBeNull();
    expect(l.nextLookupAt(true)).toBe(NOW + 5);
    expect(l.poll(true, NOW + 5)?.id).toBe(42);
  });

  it('picks its own group out of a v4+ coordinators array', () => {
    const { lookup: l } = lookup();
    const r = l.poll(true, NOW);
    if (!r) throw new Error('no lookup sent');
    const outcome = l.onResponse(
      r,
      {
        coordinators: [
          { key: 'other-group', nodeId: 1, host: 'broker-1', port: 9092, errorCode: 0, errorMessage: null },
          { key: GROUP, nodeId: 2, host: 'broker-2', port: 9092, errorCode: 0, errorMessage: null },
        ],
      },
      NOW,
    );
    expect(outcome).toEqual({ kind: 'found', node: OTHER_COORDINATOR });
  });

  it('ignores an answer to a lookup it no longer waits for', () => {
    const { lookup: l, events } = lookup();
    const r = l.poll(true, NOW);
    if (!r) throw new Error('no lookup sent');
    expect(l.onResponse({ ...r, id: 7 }, new Error('late'), NOW)).toEqual({ kind: 'ignored' });
    expect(events.take()).toEqual([]);
    expect(l.node).toBeNull();
    expect(l.onResponse(r, findCoordinatorOk(), NOW).kind).toBe('found');
    expect(l.onResponse(r, findCoordinatorOk(OTHER_COORDINATOR), NOW)).toEqual({ kind: 'ignored' });
    expect(l.node).toEqual(COORDINATOR);
  });

  it('backs off exponentially after failures, reporting COORDINATOR_NOT_AVAILABLE for a success without a node', () => {
    const { lookup: l, events } = lookup();
    const first = l.poll(true, NOW);
    if (!first) throw new Error('no lookup sent');
    const outcome = l.onResponse(first, findCoordinatorError(ErrorCode.NONE), NOW);
    expect(outcome.kind).toBe('retrying');
    if (outcome.kind !== 'retrying') return;
    expect(outcome.error).toBeInstanceOf(GroupBrokerError);
    expect((outcome.error as GroupBrokerError).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    // Jitter 0.5 scales by exactly 1: 100 ms, then 200 ms.
    expect(l.nextLookupAt(true)).toBe(NOW + BACKOFF_MS);
    expect(l.poll(true, NOW + BACKOFF_MS - 1)).toBeNull();
    const second = l.poll(true, NOW + BACKOFF_MS);
    if (!second) throw new Error('no second lookup sent');
    const cause = new Error('connection refused');
    expect(l.onResponse(second, cause, NOW + BACKOFF_MS)).toEqual({ kind: 'retrying', error: cause });
    expect(l.nextLookupAt(true)).toBe(NOW + 3 * BACKOFF_MS);
    // Both failures went to the member's events, in order.
    expect(events.take()).toEqual([
      { type: 'error', error: outcome.error },
      { type: 'error', error: cause },
    ]);
  });

  it('is denied for good on GROUP_AUTHORIZATION_FAILED, with the broker error and the fatal error', () => {
    const { lookup: l, events } = lookup();
    const r = l.poll(true, NOW);
    if (!r) throw new Error('no lookup sent');
    const outcome = l.onResponse(r, findCoordinatorError(ErrorCode.GROUP_AUTHORIZATION_FAILED), NOW);
    // The member decides what a refusal means; nothing is reported for it here.
    expect(events.take()).toEqual([]);
    expect(outcome.kind).toBe('denied');
    if (outcome.kind !== 'denied') return;
    expect(outcome.error).toBeInstanceOf(GroupBrokerError);
    expect(outcome.error.errorName).toBe('GROUP_AUTHORIZATION_FAILED');
    expect(outcome.fatal).toBeInstanceOf(GroupFatalError);
    expect(outcome.fatal.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    expect(outcome.fatal.message).toBe(`FindCoordinator for group ${GROUP} failed`);
  });

  it('names the codes that say the coordinator moved', () => {
    expect(isCoordinatorMoved(ErrorCode.NOT_COORDINATOR)).toBe(true);
    expect(isCoordinatorMoved(ErrorCode.COORDINATOR_NOT_AVAILABLE)).toBe(true);
    expect(isCoordinatorMoved(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)).toBe(false);
    expect(isCoordinatorMoved(ErrorCode.NONE)).toBe(false);
  });
});

describe('MemberRequest', () => {
  it('holds the requests of both members in one union, each with the API key of its name', () => {
    const classic = new ClassicGroupMember({ groupId: GROUP, assignors: [new RangeAssignor()] });
    const kip848 = new ConsumerProtocolMember({ groupId: GROUP, memberId: 'm' });
    classic.subscribe(['payments'], NOW);
    kip848.subscribe(['payments'], NOW);
    const requests: MemberRequest[] = [...classic.poll(NOW).requests, ...kip848.poll(NOW).requests];
    const [classicFind, kip848Find] = requests;
    if (classicFind?.api !== 'FindCoordinator' || kip848Find?.api !== 'FindCoordinator') {
      throw new Error(`expected two lookups, got ${requests.map((r) => r.api).join(', ')}`);
    }
    classic.onResponse(classicFind, findCoordinatorOk(), NOW);
    kip848.onResponse(kip848Find, findCoordinatorOk(), NOW);
    requests.push(...classic.poll(NOW).requests, ...kip848.poll(NOW).requests);
    expect(requests.map((r) => [r.api, r.apiKey, r.target])).toEqual([
      ['FindCoordinator', MEMBER_API_KEYS.FindCoordinator, { kind: 'any' }],
      ['FindCoordinator', MEMBER_API_KEYS.FindCoordinator, { kind: 'any' }],
      ['JoinGroup', MEMBER_API_KEYS.JoinGroup, { kind: 'coordinator', node: COORDINATOR }],
      [
        'ConsumerGroupHeartbeat',
        MEMBER_API_KEYS.ConsumerGroupHeartbeat,
        { kind: 'coordinator', node: COORDINATOR },
      ],
    ]);
    expect([MEMBER_API_KEYS.JoinGroup, MEMBER_API_KEYS.ConsumerGroupHeartbeat]).toEqual([11, 68]);
  });
});
