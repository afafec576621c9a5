/**
 * The shared core on its own, under a toy protocol whose table is handed in (as a share-group member
 * will hand in its own): transitions checked against the table, a reset losing what the consumer
 * holds, leaving with and without a request, failing, and stalling.
 */
import { ErrorCode, type TopicPartition } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { GroupFatalError, IllegalTransitionError } from '../errors.js';
import type { BrokerNode, GroupApis, MemberRequest } from '../requests.js';
import {
  COORDINATOR,
  findCoordinatorOk,
  GROUP,
  MEMBER_CONFIG,
  tp,
} from '../test-support/scripted-coordinator.js';
import { readGroupMemberConfig } from './member-config.js';
import { MemberCore } from './member-core.js';
import { type MemberStates, StateMachine } from './state-machine.js';

type ToyState = 'OUT' | 'IN' | 'LOST' | 'PREPARE_LEAVING' | 'LEAVING' | 'STALE' | 'FATAL';

const TOY_STATES: MemberStates<ToyState> = {
  validPrevious: {
    OUT: ['PREPARE_LEAVING', 'LEAVING'],
    IN: ['OUT', 'LOST', 'STALE'],
    LOST: ['IN'],
    PREPARE_LEAVING: ['IN', 'LOST'],
    LEAVING: ['PREPARE_LEAVING'],
    STALE: ['IN'],
    FATAL: ['IN', 'LOST', 'PREPARE_LEAVING'],
  },
  initial: 'OUT',
  fatal: 'FATAL',
  prepareLeaving: 'PREPARE_LEAVING',
  leaving: 'LEAVING',
  stale: 'STALE',
};

interface ToyApis {
  FindCoordinator: GroupApis['FindCoordinator'];
  LeaveGroup: GroupApis['LeaveGroup'];
}

/** A member of a protocol with one request, the leave, and a table of seven states. */
class ToyMember extends MemberCore<ToyState, ToyApis, { heartbeat: undefined }> {
  readonly fatalFrom: ToyState[] = [];
  /** Whether the toy protocol wants a leave request sent (a static member would not). */
  sendsLeave = true;
  /** The toy protocol's doubt deadline (see `MemberCore.doubtDeadline`). */
  doubtAt: number | null = null;

  constructor() {
    super(TOY_STATES, readGroupMemberConfig(MEMBER_CONFIG));
  }

  protected override settleProtocolState(now: number): void {
    if (this.state === 'LOST') this.startJoining(now);
  }

  override startJoining(now: number): void {
    this.transitionTo('IN');
    void now;
  }

  protected override leaveRequestWanted(): boolean {
    return this.sendsLeave;
  }

  override finishLeaving(): void {
    this.enterInitial();
  }

  protected override needsCoordinator(): boolean {
    return !this.isIn('OUT', 'LEAVING', 'FATAL');
  }

  protected override doubtDeadline(): number | null {
    return this.doubtAt;
  }

  protected override collectRequests(): void {}

  protected override considerDeadlines(): void {}

  protected override leaveRequest(node: BrokerNode): MemberRequest<ToyApis> {
    return this.request(
      'LeaveGroup',
      [0, 5],
      { kind: 'coordinator', node },
      { groupId: GROUP, memberId: 'm' },
    );
  }

  protected override onFatal(from: ToyState): void {
    this.fatalFrom.push(from);
  }

  /** Joins (OUT -> IN), learns the coordinator, and hands the consumer `held`. */
  joinHolding(held: TopicPartition[], now: number): void {
    this.transitionTo('IN');
    const [find] = this.poll(now).requests;
    if (find?.api !== 'FindCoordinator') throw new Error('expected FindCoordinator');
    this.onFindCoordinator(find, findCoordinatorOk(), now);
    this.held = held;
  }
}

const NOW = 5_000;

describe('the state machine', () => {
  it('enters a state the table lists the current one for, and throws on any other, staying put', () => {
    const machine = new StateMachine(TOY_STATES);
    expect(machine.state).toBe('OUT');
    expect(machine.canEnter('LEAVING')).toBe(false);
    expect(() => machine.transitionTo('LEAVING')).toThrow(IllegalTransitionError);
    expect(machine.state).toBe('OUT');
    machine.transitionTo('IN');
    expect(machine.state).toBe('IN');
    const error = (() => {
      try {
        machine.transitionTo('OUT');
      } catch (e) {
        return e as IllegalTransitionError;
      }
      return null;
    })();
    expect(error).toMatchObject({ code: 'ERR_ILLEGAL_TRANSITION', from: 'IN', to: 'OUT' });
    expect(machine.state).toBe('IN');
  });
});

describe('reset of membership', () => {
  it('enters the given state and hands what the consumer held back as lost, to be acknowledged', () => {
    const m = new ToyMember();
    m.joinHolding([tp('payments', 1), tp('payments', 0)], NOW);
    m.resetTo('LOST');
    expect(m.state).toBe('LOST');
    expect(m.held).toEqual([]);
    const events = m.poll(NOW).events;
    expect(events).toEqual([
      { type: 'partitionsLost', id: expect.any(Number), partitions: [tp('payments', 0), tp('payments', 1)] },
    ]);
    expect(m.events.awaitingAcknowledgement).toBe(true);
    const [lost] = events;
    m.acknowledge(lost && 'id' in lost ? lost.id : -1, NOW);
    expect(m.state).toBe('IN');
  });

  it('raises nothing when the consumer held nothing, and throws where the table forbids the state', () => {
    const m = new ToyMember();
    expect(() => m.resetTo('LOST')).toThrow(IllegalTransitionError);
    m.joinHolding([], NOW);
    m.resetTo('LOST');
    expect(m.poll(NOW).events).toEqual([]);
  });
});

describe('the membership in doubt', () => {
  it('falls in doubt at the protocol’s deadline, wakes the driver for it, and only while something is held', () => {
    const m = new ToyMember();
    m.joinHolding([tp('payments', 0)], NOW);
    m.doubtAt = NOW + 1_000;
    expect(m.poll(NOW).nextPollAt).toBe(NOW + 1_000);
    m.poll(NOW + 999);
    expect(m.membershipInDoubt).toBe(false);
    m.poll(NOW + 1_000);
    expect(m.membershipInDoubt).toBe(true);
    // In doubt already: the deadline no longer wakes the driver.
    expect(m.poll(NOW + 1_000).nextPollAt).toBe(Number.POSITIVE_INFINITY);

    const idle = new ToyMember();
    idle.joinHolding([], NOW);
    idle.doubtAt = NOW;
    idle.poll(NOW + 5_000);
    expect(idle.membershipInDoubt).toBe(false);
  });
});

describe('leaving', () => {
  it('revokes, waits for the acknowledgement, sends the leave request, and is out after its answer', () => {
    const m = new ToyMember();
    m.joinHolding([tp('payments', 0)], NOW);
    m.beginLeaving('partitionsRevoked');
    m.settle(NOW);
    expect(m.state).toBe('PREPARE_LEAVING');
    const [revoked] = m.poll(NOW).events;
    expect(revoked).toMatchObject({ type: 'partitionsRevoked', partitions: [tp('payments', 0)] });
    m.acknowledge(revoked && 'id' in revoked ? revoked.id : -1, NOW);
    expect(m.state).toBe('LEAVING');
    const { requests, nextPollAt } = m.poll(NOW);
    expect(requests.map((r) => [r.api, r.target])).toEqual([
      ['LeaveGroup', { kind: 'coordinator', node: COORDINATOR }],
    ]);
    expect(nextPollAt).toBe(Number.POSITIVE_INFINITY);
    const leave = requests[0]!;
    expect(m.onLeaveAnswer(leave.id + 1, 'LeaveGroup', { errorCode: 0 })).toBe(false);
    expect(m.onLeaveAnswer(leave.id, 'LeaveGroup', { errorCode: ErrorCode.UNKNOWN_MEMBER_ID })).toBe(true);
    expect(m.state).toBe('OUT');
    // Leaving is best effort: the broker's error is reported, and the member is out all the same.
    expect(m.poll(NOW).events.map((e) => e.type)).toEqual(['error']);
  });

  it('sends no request when the protocol wants none, or the coordinator already dropped the member', () => {
    for (const setup of [
      (m: ToyMember) => {
        m.sendsLeave = false;
      },
      (m: ToyMember) => m.skipLeaveRequest(),
    ]) {
      const m = new ToyMember();
      m.joinHolding([], NOW);
      m.beginLeaving('partitionsRevoked');
      setup(m);
      expect(m.leaveRequestSkipped).toBe(m.sendsLeave);
      m.settle(NOW);
      expect(m.state).toBe('OUT');
      expect(m.poll(NOW).requests).toEqual([]);
    }
  });

  it('finishes at once when the coordinator is unknown by the time the request is due', () => {
    const m = new ToyMember();
    m.joinHolding([], NOW);
    m.beginLeaving('partitionsLost');
    m.settle(NOW);
    expect(m.state).toBe('LEAVING');
    m.markCoordinatorUnknown(NOW);
    expect(m.poll(NOW).requests.map((r) => r.api)).toEqual([]);
    expect(m.state).toBe('OUT');
  });
});

describe('failing and stalling', () => {
  it('fails only where the table allows FATAL, forgets the acknowledgements, and reports the error last', () => {
    const m = new ToyMember();
    const error = new GroupFatalError('denied', ErrorCode.GROUP_AUTHORIZATION_FAILED);
    m.fail(error);
    expect(m.state).toBe('OUT');
    expect(m.fatalError).toBeNull();
    m.joinHolding([tp('payments', 0)], NOW);
    m.resetTo('LOST');
    m.fail(error);
    expect(m.state).toBe('FATAL');
    expect(m.fatalFrom).toEqual(['LOST']);
    expect(m.fatalError).toBe(error);
    expect(m.events.awaitingAcknowledgement).toBe(false);
    expect(m.poll(NOW).events.map((e) => e.type)).toEqual(['partitionsLost', 'fatal']);
    m.fail(new GroupFatalError('again', null));
    expect(m.fatalError).toBe(error);
  });

  it('stalls past the max poll interval: sends the leave unanswered, loses what is held, rejoins on a poll', () => {
    const m = new ToyMember();
    m.joinHolding([tp('payments', 0)], NOW);
    m.pollInterval.record(NOW);
    expect(m.pollInterval.expired(NOW + MEMBER_CONFIG.maxPollIntervalMs)).toBe(false);
    expect(m.pollInterval.expired(NOW + MEMBER_CONFIG.maxPollIntervalMs + 1)).toBe(true);
    expect(m.pollInterval.deadline).toBe(NOW + MEMBER_CONFIG.maxPollIntervalMs + 1);
    const leave = m.request(
      'LeaveGroup',
      [0, 5],
      { kind: 'coordinator', node: COORDINATOR },
      {
        groupId: GROUP,
        memberId: 'm',
      },
    );
    m.stall(leave, ['STALE']);
    expect(m.state).toBe('STALE');
    const { requests, events } = m.poll(NOW);
    expect(requests).toEqual([leave]);
    expect(events.map((e) => e.type)).toEqual(['partitionsLost']);
    const [lost] = events;
    m.acknowledge(lost && 'id' in lost ? lost.id : -1, NOW);
    expect(m.state).toBe('STALE');
    m.recordPoll(NOW + 1);
    expect(m.state).toBe('IN');
  });
});
