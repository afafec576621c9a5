import { ErrorCode } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { GroupConfigError } from '../errors.js';
import type { GroupApis } from '../requests.js';
import {
  BACKOFF_MS,
  connectionLost,
  eventTypes,
  Harness,
  heartbeat,
  joinOk,
  joinOkSkippingAssignment,
  metadataFor,
  type Protocol,
  partitions,
  syncOk,
  TOPIC,
} from '../test-support/harness.js';
import { partitionCounts } from './classic-partition-watch.js';

const MAX_AGE_MS = 5_000;

/** A leader of members a (itself) and b, both on TOPIC, that assigned from `counts` and is STABLE. */
function stableLeader(protocol: Protocol = 'eager', counts: Record<string, number> = { [TOPIC]: 3 }) {
  const h = new Harness(protocol, { metadataMaxAgeMs: MAX_AGE_MS });
  h.startJoining();
  const members = ['a', 'b'].map((memberId) => ({ memberId, topics: [TOPIC] }));
  h.respond('JoinGroup', joinOk({ memberId: 'a', leader: 'a', members }, h.protocolName));
  h.respond('Metadata', metadataFor(counts));
  h.respond('SyncGroup', syncOk(partitions(0, 1)));
  h.ackAll();
  expect(h.member.state).toBe('STABLE');
  return h;
}

/** Moves the clock by `ms` a heartbeat interval at a time, answering every heartbeat. @returns the other APIs asked. */
function live(h: Harness, ms: number): string[] {
  const asked: string[] = [];
  for (let left = ms; left > 0; left -= 1_000) {
    h.advance(Math.min(1_000, left));
    while (h.outstanding.some((r) => r.api === 'Heartbeat')) h.respond('Heartbeat', heartbeat());
    asked.push(...h.outstanding.map((r) => r.api).filter((api) => !asked.includes(api)));
  }
  return asked;
}

/** A Metadata answer in which `name` carries `errorCode`. */
function topicError(name: string, errorCode: number): GroupApis['Metadata']['response'] {
  const answer = metadataFor({ [name]: 0 });
  return { ...answer, topics: answer.topics.map((t) => ({ ...t, errorCode })) };
}

describe("the classic leader's partition-count watch", () => {
  it('reads the counts again every metadataMaxAgeMs and rejoins when a subscribed topic gained partitions', () => {
    const h = stableLeader('eager');
    expect(live(h, MAX_AGE_MS - 1_000)).toEqual([]);
    expect(live(h, 1_000)).toEqual(['Metadata']);
    const check = h.take('Metadata');
    expect(check.target).toEqual({ kind: 'any' });
    expect(check.body.topics).toEqual([{ name: TOPIC }]);
    // The watch looks for what the cached metadata may not show yet: it always asks a broker.
    expect(check.metadataMaxAgeMs).toBeUndefined();
    expect(check.body.allowAutoTopicCreation).toBe(false);
    h.member.onResponse(check, metadataFor({ [TOPIC]: 3 }), h.now);
    const mark = h.events.length;
    expect(live(h, MAX_AGE_MS - 1_000)).toEqual([]);
    expect(h.member.state).toBe('STABLE');

    expect(live(h, 1_000)).toEqual(['Metadata']);
    h.respond('Metadata', metadataFor({ [TOPIC]: 6 }));
    // Eager: everything is revoked first; the JoinGroup follows the acknowledgement and says why.
    expect(h.member.state).toBe('PREPARING_REJOIN');
    expect(eventTypes(h.eventsSince(mark))).toEqual(['partitionsRevoked']);
    h.ackAll();
    const join = h.take('JoinGroup');
    expect(join.body.reason).toBe(`the partition count of ${TOPIC} changed since the assignment`);
  });

  it('under cooperative rebalancing rejoins without revoking anything', () => {
    const h = stableLeader('cooperative');
    live(h, MAX_AGE_MS);
    const mark = h.events.length;
    h.respond('Metadata', metadataFor({ [TOPIC]: 4 }));
    expect(h.member.state).toBe('JOINING');
    expect(eventTypes(h.eventsSince(mark))).toEqual([]);
    expect(h.apis()).toEqual(['JoinGroup']);
  });

  it('rejoins when a subscribed topic that did not exist at the assignment is created', () => {
    const h = stableLeader('eager', {});
    live(h, MAX_AGE_MS);
    h.respond('Metadata', metadataFor({ [TOPIC]: 2 }));
    expect(h.member.state).toBe('PREPARING_REJOIN');
  });

  it('keeps the assignment when an answer only carries a passing topic error, and checks again later', () => {
    const h = stableLeader('eager');
    live(h, MAX_AGE_MS);
    h.respond('Metadata', topicError(TOPIC, ErrorCode.LEADER_NOT_AVAILABLE));
    expect(h.member.state).toBe('STABLE');
    expect(live(h, MAX_AGE_MS)).toEqual(['Metadata']);
  });

  it('retries a check that got no answer after the backoff, not a whole metadataMaxAgeMs later', () => {
    const h = stableLeader('eager');
    live(h, MAX_AGE_MS);
    h.respond('Metadata', connectionLost());
    expect(h.member.state).toBe('STABLE');
    h.advance(BACKOFF_MS);
    expect(h.apis()).toContain('Metadata');
  });

  it('never takes a check answered after the rejoin began for the metadata of the next assignment', () => {
    const h = stableLeader('cooperative');
    live(h, MAX_AGE_MS);
    const late = h.take('Metadata');
    h.member.requestRejoin('asked by the test', h.now);
    h.poll();
    h.respond(
      'JoinGroup',
      joinOk(
        { memberId: 'a', leader: 'a', generationId: 2, members: [{ memberId: 'a', topics: [TOPIC] }] },
        h.protocolName,
      ),
    );
    expect(h.member.state).toBe('ASSIGNING');
    // The check's answer (one partition) arrives now: it must not be what the leader assigns from.
    h.member.onResponse(late, metadataFor({ [TOPIC]: 1 }), h.now);
    h.poll();
    expect(h.member.state).toBe('ASSIGNING');
    h.respond('Metadata', metadataFor({ [TOPIC]: 3 }));
    expect(h.member.state).toBe('SYNCING');
  });

  it('is not run by a follower', () => {
    const h = new Harness('eager', { metadataMaxAgeMs: MAX_AGE_MS });
    h.joinAsFollower(partitions(0));
    expect(live(h, 4 * MAX_AGE_MS)).toEqual([]);
    expect(h.member.state).toBe('STABLE');
  });

  it('takes a static leader that skipped the assignment (KIP-814) from its first check on', () => {
    const h = new Harness('eager', { metadataMaxAgeMs: MAX_AGE_MS, groupInstanceId: 'host-1' });
    h.startJoining();
    h.respond('JoinGroup', joinOkSkippingAssignment());
    h.respond('SyncGroup', syncOk(partitions(0, 1, 2)));
    h.ackAll();
    live(h, MAX_AGE_MS);
    h.respond('Metadata', metadataFor({ [TOPIC]: 3 }));
    expect(h.member.state).toBe('STABLE');
    live(h, MAX_AGE_MS);
    h.respond('Metadata', metadataFor({ [TOPIC]: 5 }));
    expect(h.member.state).toBe('PREPARING_REJOIN');
  });

  it('refuses a metadataMaxAgeMs that is not a positive integer, naming it', () => {
    expect(() => new Harness('eager', { metadataMaxAgeMs: 0 })).toThrow(GroupConfigError);
    expect(() => new Harness('eager', { metadataMaxAgeMs: 0 })).toThrow(/metadataMaxAgeMs/);
  });
});

describe('partitionCounts', () => {
  it('counts partitions per topic, 0 for an unknown topic, and leaves out topics with other errors', () => {
    const answer = metadataFor({ orders: 3, audit: 1 });
    const unknown = topicError('gone', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).topics;
    const electing = topicError('moving', ErrorCode.LEADER_NOT_AVAILABLE).topics;
    const counts = partitionCounts({ ...answer, topics: [...answer.topics, ...unknown, ...electing] });
    expect([...counts]).toEqual([
      ['orders', 3],
      ['audit', 1],
      ['gone', 0],
    ]);
  });
});
