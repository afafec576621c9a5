import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CooperativeStickyAssignor } from './cooperative-sticky-assignor.js';
import { AssignorError } from './errors.js';
import { RangeAssignor } from './range-assignor.js';
import { RoundRobinAssignor } from './round-robin-assignor.js';
import { StickyAssignor } from './sticky-assignor.js';
import {
  decodeCooperativeStickyUserData,
  decodeStickyUserData,
  encodeCooperativeStickyUserData,
  encodeStickyUserData,
} from './sticky-user-data.js';
import { previousOwners, randomGroup, spread, unassignedCount, violations } from './test-support/cases.js';
import type { GroupAssignment, GroupSubscription, MemberSubscription, SubscribedTopic } from './types.js';

function topic(name: string, n: number, racks?: (i: number) => string[]): SubscribedTopic {
  return {
    topic: name,
    partitions: Array.from({ length: n }, (_, partition) => ({
      partition,
      replicaRacks: racks?.(partition) ?? [],
    })),
  };
}

function names(assignment: GroupAssignment, member: string): string[] {
  return assignment.get(member)!.partitions.map((tp) => `${tp.topic}-${tp.partition}`);
}

describe('RangeAssignor', () => {
  it('gives each member a contiguous range per topic, the first members one extra', () => {
    const group: GroupSubscription = {
      members: [
        { memberId: 'C1', topics: ['t0', 't1'] },
        { memberId: 'C0', topics: ['t0', 't1'] },
      ],
      topics: [topic('t0', 3), topic('t1', 3)],
    };
    const a = new RangeAssignor().assign(group);
    expect(names(a, 'C0')).toEqual(['t0-0', 't0-1', 't1-0', 't1-1']);
    expect(names(a, 'C1')).toEqual(['t0-2', 't1-2']);
  });

  it('orders static members by group.instance.id before dynamic ones', () => {
    const group: GroupSubscription = {
      members: [
        { memberId: 'a', topics: ['t'] },
        { memberId: 'b', groupInstanceId: 'z', topics: ['t'] },
        { memberId: 'c', groupInstanceId: 'y', topics: ['t'] },
      ],
      topics: [topic('t', 3)],
    };
    const a = new RangeAssignor().assign(group);
    expect([names(a, 'c'), names(a, 'b'), names(a, 'a')]).toEqual([['t-0'], ['t-1'], ['t-2']]);
  });

  it('places partitions on consumers of the same rack when the quotas allow it', () => {
    const group: GroupSubscription = {
      members: [
        { memberId: 'a', rackId: 'r1', topics: ['t'] },
        { memberId: 'b', rackId: 'r0', topics: ['t'] },
      ],
      topics: [topic('t', 4, (p) => [`r${p % 2}`])],
    };
    const a = new RangeAssignor().assign(group);
    expect(names(a, 'a')).toEqual(['t-1', 't-3']);
    expect(names(a, 'b')).toEqual(['t-0', 't-2']);
  });
});

describe('RoundRobinAssignor', () => {
  it('deals sorted partitions to subscribed members in turn', () => {
    const group: GroupSubscription = {
      members: [
        { memberId: 'C0', topics: ['t0'] },
        { memberId: 'C1', topics: ['t0', 't1'] },
        { memberId: 'C2', topics: ['t0', 't1', 't2'] },
      ],
      topics: [topic('t0', 1), topic('t1', 2), topic('t2', 3)],
    };
    const a = new RoundRobinAssignor().assign(group);
    expect(names(a, 'C0')).toEqual(['t0-0']);
    expect(names(a, 'C1')).toEqual(['t1-0']);
    expect(names(a, 'C2')).toEqual(['t1-1', 't2-0', 't2-1', 't2-2']);
  });
});

describe('input checks', () => {
  it('rejects duplicate member ids with an AssignorError', () => {
    const group: GroupSubscription = {
      members: [
        { memberId: 'a', topics: ['t'] },
        { memberId: 'a', topics: ['t'] },
      ],
      topics: [topic('t', 1)],
    };
    for (const assignor of [
      new RangeAssignor(),
      new RoundRobinAssignor(),
      new StickyAssignor(),
      new CooperativeStickyAssignor(),
    ]) {
      expect(() => assignor.assign(group)).toThrow(AssignorError);
    }
  });

  it('assigns nothing to an empty group, and an empty list to members of topics without metadata', () => {
    for (const make of [
      () => new RangeAssignor(),
      () => new RoundRobinAssignor(),
      () => new StickyAssignor(),
      () => new CooperativeStickyAssignor(),
    ]) {
      expect(make().assign({ members: [], topics: [topic('t', 3)] }).size).toBe(0);
      const a = make().assign({ members: [{ memberId: 'a', topics: ['missing'] }], topics: [] });
      expect([...a]).toEqual([['a', { partitions: [] }]]);
    }
  });

  it('rejects partitions that are not numbered 0..n-1', () => {
    const group: GroupSubscription = {
      members: [{ memberId: 'a', topics: ['t'] }],
      topics: [{ topic: 't', partitions: [{ partition: 0 }, { partition: 2 }] }],
    };
    expect(() => new StickyAssignor().assign(group)).toThrow(AssignorError);
  });
});

describe('sticky user data', () => {
  it('round-trips a previous assignment and generation in the v1 layout', () => {
    const bytes = encodeStickyUserData(
      [
        { topic: 't', partition: 1 },
        { topic: 'u', partition: 0 },
        { topic: 't', partition: 4 },
      ],
      7,
    );
    expect(Buffer.from(bytes).toString('hex')).toBe(
      `00000002` +
        `0001${Buffer.from('t').toString('hex')}00000002` +
        `0000000100000004` +
        `0001${Buffer.from('u').toString('hex')}00000001` +
        `00000000` +
        `00000007`,
    );
    expect(decodeStickyUserData(bytes)).toEqual({
      partitions: [
        { topic: 't', partition: 1 },
        { topic: 't', partition: 4 },
        { topic: 'u', partition: 0 },
      ],
      generation: 7,
    });
  });

  it('reads the v0 layout as an assignment without generation', () => {
    const v1 = encodeStickyUserData([{ topic: 't', partition: 3 }], 5);
    expect(decodeStickyUserData(v1.subarray(0, v1.length - 4))).toEqual({
      partitions: [{ topic: 't', partition: 3 }],
      generation: undefined,
    });
  });

  it('treats undecodable bytes as no previous assignment in generation -1, without allocating by the count', () => {
    expect(decodeStickyUserData(Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0, 1))).toEqual({
      partitions: [],
      generation: -1,
    });
    expect(decodeStickyUserData(null)).toEqual({ partitions: [], generation: undefined });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const d = decodeStickyUserData(bytes);
        expect(Array.isArray(d.partitions)).toBe(true);
      }),
    );
  });

  it('carries the cooperative generation in four bytes', () => {
    expect(decodeCooperativeStickyUserData(encodeCooperativeStickyUserData(12))).toBe(12);
    expect(decodeCooperativeStickyUserData(Uint8Array.of(1))).toBe(-1);
  });
});

const shape = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  maxMembers: fc.integer({ min: 1, max: 15 }),
  maxTopics: fc.integer({ min: 1, max: 6 }),
  maxPartitions: fc.integer({ min: 1, max: 20 }),
});

const eager = [
  ['range', () => new RangeAssignor()],
  ['roundrobin', () => new RoundRobinAssignor()],
  ['sticky', () => new StickyAssignor()],
] as const;

describe.each(eager)('%s properties', (name, make) => {
  it('assigns every subscribed partition exactly once, only to a subscriber', () => {
    fc.assert(
      fc.property(shape, ({ seed, ...s }) => {
        const group = randomGroup(seed, { assignor: name, ...s });
        const a = make().assign(group);
        expect(violations(group, a)).toEqual([]);
        expect(unassignedCount(group, a)).toBe(0);
        expect([...a.keys()].sort()).toEqual(group.members.map((m) => m.memberId).sort());
      }),
      { numRuns: 150 },
    );
  });
});

/** A group whose members all subscribe to the same topics, without racks. */
function uniformGroup(
  seed: number,
  s: { maxMembers: number; maxTopics: number; maxPartitions: number },
  assignor: 'sticky' | 'cooperative-sticky' | 'roundrobin',
): GroupSubscription {
  const g = randomGroup(seed, { assignor, ...s });
  const topics = g.topics.map((t) => ({
    ...t,
    partitions: t.partitions.map((p) => ({ partition: p.partition })),
  }));
  const all = topics.map((t) => t.topic);
  return { topics, members: g.members.map((m) => ({ ...m, topics: all, rackId: null })) };
}

describe('balance', () => {
  it.each(['roundrobin', 'sticky'] as const)(
    '%s gives members of equal subscriptions counts within one of each other',
    (name) => {
      fc.assert(
        fc.property(shape, ({ seed, ...s }) => {
          const group = uniformGroup(seed, s, name);
          const assignor = name === 'roundrobin' ? new RoundRobinAssignor() : new StickyAssignor();
          expect(spread(assignor.assign(group))).toBeLessThanOrEqual(1);
        }),
        { numRuns: 150 },
      );
    },
  );
});

describe('stickiness', () => {
  it('sticky keeps a balanced previous assignment unchanged when nothing else changed', () => {
    fc.assert(
      fc.property(shape, ({ seed, ...s }) => {
        const group = uniformGroup(seed, s, 'sticky');
        const first = new StickyAssignor().assign(group);
        const next: GroupSubscription = {
          topics: group.topics,
          members: group.members.map((m) => ({
            ...m,
            userData: encodeStickyUserData(first.get(m.memberId)!.partitions, 3),
          })),
        };
        const second = new StickyAssignor().assign(next);
        for (const m of group.members)
          expect(names(second, m.memberId).sort()).toEqual(names(first, m.memberId).sort());
      }),
      { numRuns: 100 },
    );
  });

  it('sticky moves only as many partitions as balance needs when a member joins', () => {
    const members: MemberSubscription[] = ['a', 'b'].map((memberId, i) => ({
      memberId,
      topics: ['t'],
      userData: encodeStickyUserData(
        Array.from({ length: 3 }, (_, k) => ({ topic: 't', partition: i * 3 + k })),
        4,
      ),
    }));
    const a = new StickyAssignor().assign({
      members: [...members, { memberId: 'c', topics: ['t'] }],
      topics: [topic('t', 6)],
    });
    expect(names(a, 'a').length + names(a, 'b').length).toBe(4);
    expect(names(a, 'a').every((p) => ['t-0', 't-1', 't-2'].includes(p))).toBe(true);
    expect(names(a, 'b').every((p) => ['t-3', 't-4', 't-5'].includes(p))).toBe(true);
    expect(names(a, 'c')).toHaveLength(2);
  });
});

describe('cooperative rule', () => {
  it('never assigns a partition to a member while another member validly owns it', () => {
    fc.assert(
      fc.property(shape, ({ seed, ...s }) => {
        const group = randomGroup(seed, { assignor: 'cooperative-sticky', ...s });
        const a = new CooperativeStickyAssignor().assign(group);
        expect(violations(group, a)).toEqual([]);
        const owners = previousOwners(group, (m) => ({
          partitions: m.ownedPartitions ?? [],
          generation: m.generationId ?? -1,
        }));
        for (const [member, assignment] of a) {
          for (const tp of assignment.partitions) {
            const owner = owners.get(`${tp.topic}:${tp.partition}`);
            expect(owner === undefined || owner === member, `${tp.topic}:${tp.partition}`).toBe(true);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('withholds a partition from a member while another member claims it in the same or a newer generation', () => {
    fc.assert(
      fc.property(shape, ({ seed, ...s }) => {
        const group = randomGroup(seed, { assignor: 'cooperative-sticky', ...s });
        const a = new CooperativeStickyAssignor().assign(group);
        for (const [member, assignment] of a) {
          const self = group.members.find((m) => m.memberId === member)!;
          for (const tp of assignment.partitions) {
            const own = (self.ownedPartitions ?? []).some(
              (o) => o.topic === tp.topic && o.partition === tp.partition,
            )
              ? (self.generationId ?? -1)
              : Number.NEGATIVE_INFINITY;
            const rival = group.members.find(
              (m) =>
                m.memberId !== member &&
                (m.generationId ?? -1) >= own &&
                (m.ownedPartitions ?? []).some((o) => o.topic === tp.topic && o.partition === tp.partition),
            );
            expect(rival?.memberId, `${tp.topic}:${tp.partition} to ${member}`).toBeUndefined();
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('hands a moved partition to its new owner in the next rebalance', () => {
    const topics = [topic('t', 4)];
    const owned = (ps: number[]) => ps.map((partition) => ({ topic: 't', partition }));
    const first = new CooperativeStickyAssignor().assign({
      topics,
      members: [
        { memberId: 'a', topics: ['t'], ownedPartitions: owned([0, 1, 2, 3]), generationId: 5 },
        { memberId: 'b', topics: ['t'], ownedPartitions: [], generationId: -1 },
      ],
    });
    expect(names(first, 'a')).toHaveLength(2);
    expect(names(first, 'b')).toEqual([]);
    const kept = first.get('a')!.partitions.map((tp) => tp.partition);
    const second = new CooperativeStickyAssignor().assign({
      topics,
      members: [
        { memberId: 'a', topics: ['t'], ownedPartitions: owned(kept), generationId: 6 },
        { memberId: 'b', topics: ['t'], ownedPartitions: [], generationId: -1 },
      ],
    });
    expect(names(second, 'a').sort()).toEqual(names(first, 'a').sort());
    expect(names(second, 'b').sort()).toEqual(
      ['t-0', 't-1', 't-2', 't-3'].filter((p) => !names(first, 'a').includes(p)),
    );
  });
});
