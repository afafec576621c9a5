import { ErrorCode } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { GroupBrokerError, GroupFatalError } from '../errors.js';
import { MemberEvents } from './member-events.js';

const tp = (topic: string, partition: number) => ({ topic, partition });

describe('MemberEvents', () => {
  it('hands out increasing ids, sorts the partitions of revocations and losses, and keeps the order', () => {
    const events = new MemberEvents();
    expect(events.raise('partitionsRevoked', [tp('b', 0), tp('a', 2), tp('a', 1)])).toBe(1);
    expect(
      events.raiseAssigned({
        partitions: [tp('c', 0)],
        assignment: [tp('c', 0)],
        generationId: 4,
        memberId: 'm',
      }),
    ).toBe(2);
    expect(events.raise('partitionsLost', [tp('c', 0)])).toBe(3);
    expect(events.take()).toEqual([
      { type: 'partitionsRevoked', id: 1, partitions: [tp('a', 1), tp('a', 2), tp('b', 0)] },
      {
        type: 'partitionsAssigned',
        id: 2,
        partitions: [tp('c', 0)],
        assignment: [tp('c', 0)],
        generationId: 4,
        memberId: 'm',
      },
      { type: 'partitionsLost', id: 3, partitions: [tp('c', 0)] },
    ]);
    expect(events.take()).toEqual([]);
  });

  it('waits for every raised event until it is acknowledged once, and for none after forgetting them', () => {
    const events = new MemberEvents();
    expect(events.awaitingAcknowledgement).toBe(false);
    const revoked = events.raise('partitionsRevoked', []);
    const lost = events.raise('partitionsLost', []);
    expect(events.acknowledge(revoked)).toBe(true);
    expect(events.acknowledge(revoked)).toBe(false);
    expect(events.acknowledge(99)).toBe(false);
    expect(events.awaitingAcknowledgement).toBe(true);
    events.forgetAcknowledgements();
    expect(events.awaitingAcknowledgement).toBe(false);
    expect(events.acknowledge(lost)).toBe(false);
  });

  it('reports a failed answer as its Error or as the broker error of its code, and a success not at all', () => {
    const events = new MemberEvents();
    const cause = new Error('connection reset');
    events.reportFailure('LeaveGroup', cause);
    events.reportFailure('LeaveGroup', { errorCode: ErrorCode.NONE });
    events.reportFailure('ConsumerGroupHeartbeat', {
      errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
      errorMessage: 'gone',
    });
    const fatal = new GroupFatalError('fenced', ErrorCode.FENCED_INSTANCE_ID);
    events.fatal(fatal);
    const [first, second, third, ...rest] = events.take();
    expect(rest).toEqual([]);
    expect(first).toEqual({ type: 'error', error: cause });
    expect(second?.type).toBe('error');
    const error = second?.type === 'error' ? second.error : null;
    expect(error).toBeInstanceOf(GroupBrokerError);
    expect(error?.message).toBe('ConsumerGroupHeartbeat failed with UNKNOWN_MEMBER_ID: gone');
    expect(third).toEqual({ type: 'fatal', error: fatal });
    expect(events.awaitingAcknowledgement).toBe(false);
  });
});
