import { describe, expect, it } from 'vitest';
import { AckedRecords } from './acked.js';
import { checkDelivery, type MemberLife } from './check.js';
import type { ConsumerEvent, ProducerEvent } from './events.js';
import { RULES } from './rules.js';

const T = 'orders';

/** Acknowledged offsets 0..n-1 for each partition given as `{ partition: n }`. */
function acked(perPartition: Record<number, number>): AckedRecords {
  const events: ProducerEvent[] = [];
  for (const [p, n] of Object.entries(perPartition)) {
    for (let offset = 0; offset < n; offset++) {
      events.push({
        name: 'producer_send_success',
        timestamp: 0,
        topic: T,
        partition: Number(p),
        offset,
        key: null,
        value: `${offset}`,
      });
    }
  }
  return AckedRecords.from(events);
}

/** Builds one life's events with increasing timestamps from `start`, `step` apart. */
function life(name: string, start: number, build: (e: EventBuilder) => void, step = 10): MemberLife {
  const events: ConsumerEvent[] = [];
  let t = start;
  const at = () => (t += step);
  const tps = (ps: number[]) => ps.map((partition) => ({ topic: T, partition }));
  const e: EventBuilder = {
    assigned: (...ps) => events.push({ name: 'partitions_assigned', timestamp: at(), partitions: tps(ps) }),
    revoked: (...ps) => events.push({ name: 'partitions_revoked', timestamp: at(), partitions: tps(ps) }),
    lost: (...ps) => events.push({ name: 'partitions_lost', timestamp: at(), partitions: tps(ps) }),
    consumed: (partition, min, max) =>
      events.push({
        name: 'records_consumed',
        timestamp: at(),
        count: max - min + 1,
        partitions: [{ topic: T, partition, count: max - min + 1, minOffset: min, maxOffset: max }],
      }),
    committed: (partition, offset, success = true) =>
      events.push({
        name: 'offsets_committed',
        timestamp: at(),
        success,
        offsets: [{ topic: T, partition, offset }],
      }),
    seek: (partition, offset) => events.push({ name: 'seek', timestamp: at(), topic: T, partition, offset }),
    shutdown: () => events.push({ name: 'shutdown_complete', timestamp: at() }),
  };
  events.push({ name: 'startup_complete', timestamp: at() });
  build(e);
  return { name, events };
}

interface EventBuilder {
  assigned(...partitions: number[]): void;
  revoked(...partitions: number[]): void;
  lost(...partitions: number[]): void;
  consumed(partition: number, min: number, max: number): void;
  committed(partition: number, offset: number, success?: boolean): void;
  seek(partition: number, offset: number): void;
  shutdown(): void;
}

/**
 * Member m1 of partition 0: `before` runs after the assignment, then the consumer reports the log
 * truncated to offset 5 (at t=500), then `after` runs.
 */
function truncatedLife(before: (e: EventBuilder) => void, after: (e: EventBuilder) => void): MemberLife[] {
  return [
    {
      name: 'm1',
      events: [
        ...life('m1', 0, (e) => {
          e.assigned(0);
          before(e);
        }).events,
        { name: 'truncation', timestamp: 500, topic: T, partition: 0, offset: 5 },
        ...life('m1', 500, after).events.slice(1),
      ],
    },
  ];
}

/** A second member that takes partition 0 over, consumes from `start` to 9 and stops cleanly. */
function nextOwner(start: number): MemberLife {
  return life('m2', 100, (e) => {
    e.assigned(0);
    batch(e, 0, start, 9);
    e.shutdown();
  });
}

/** Consumes `min..max` and commits `max + 1`, as the verifiable consumer does after each batch. */
function batch(e: EventBuilder, partition: number, min: number, max: number): void {
  e.consumed(partition, min, max);
  e.committed(partition, max + 1);
}

describe('checkDelivery on good runs', () => {
  it('passes one member that consumes and commits everything, with exact counts', () => {
    const report = checkDelivery(acked({ 0: 10, 1: 5 }), [
      life('m1', 0, (e) => {
        e.assigned(0, 1);
        batch(e, 0, 0, 4);
        batch(e, 1, 0, 4);
        batch(e, 0, 5, 9);
        e.shutdown();
      }),
    ]);
    expect(report).toEqual({
      produced: 15,
      consumedDistinct: 15,
      duplicates: 0,
      lost: 0,
      counts: {},
      violations: [],
      verdict: 'PASS',
    });
  });

  it('passes a clean handoff: the next owner starts exactly where the last one stopped', () => {
    const report = checkDelivery(acked({ 0: 10 }), [
      life('m1', 0, (e) => {
        e.assigned(0);
        batch(e, 0, 0, 4);
        e.revoked(0);
      }),
      nextOwner(5),
    ]);
    expect(report.verdict).toBe('PASS');
    expect(report.duplicates).toBe(0);
  });

  it('passes a hard kill whose records past the last commit are delivered again', () => {
    const report = checkDelivery(acked({ 0: 10 }), [
      life('m1', 0, (e) => {
        e.assigned(0);
        batch(e, 0, 0, 4);
        e.consumed(0, 5, 6); // killed before committing 7
      }),
      nextOwner(5),
    ]);
    expect(report).toMatchObject({ verdict: 'PASS', consumedDistinct: 10, duplicates: 2, lost: 0 });
  });

  it('passes an eager rebalance that hands every partition back to the same member', () => {
    const report = checkDelivery(acked({ 0: 10 }), [
      life('m1', 0, (e) => {
        e.assigned(0);
        batch(e, 0, 0, 4);
        e.revoked(0);
        e.assigned(0);
        batch(e, 0, 5, 9);
        e.shutdown();
      }),
    ]);
    expect(report.verdict).toBe('PASS');
  });

  it('passes a seek back: the replay it causes is counted as duplicates, not as a broken rule', () => {
    const report = checkDelivery(acked({ 0: 10 }), [
      life('m1', 0, (e) => {
        e.assigned(0);
        batch(e, 0, 0, 4);
        e.seek(0, 2);
        batch(e, 0, 2, 9);
        e.shutdown();
      }),
    ]);
    expect(report).toMatchObject({ verdict: 'PASS', duplicates: 3 });
  });

  it('passes a reported truncation: the member continues from the divergence point', () => {
    const lives = truncatedLife(
      (e) => batch(e, 0, 0, 7),
      (e) => {
        batch(e, 0, 5, 9);
        e.shutdown();
      },
    );
    expect(checkDelivery(acked({ 0: 10 }), lives)).toMatchObject({ verdict: 'PASS', duplicates: 3 });
  });

  it('accepts the commit of a batch handed out before a truncation that lands after it (KIP-320 epoch)', () => {
    // The handler of 0..7 commits 8 while the consumer finds the log truncated to 5 meanwhile.
    const truncated = (commitAfter: number) =>
      truncatedLife(
        (e) => e.consumed(0, 0, 7),
        (e) => {
          e.committed(0, commitAfter);
          batch(e, 0, 5, 9);
          e.shutdown();
        },
      );
    expect(checkDelivery(acked({ 0: 10 }), truncated(8))).toMatchObject({ verdict: 'PASS', duplicates: 3 });
    // Past what was consumed before the truncation, it still gives up records.
    expect(checkDelivery(acked({ 0: 10 }), truncated(9)).counts).toEqual({ 'commit-past-position': 1 });
  });

  it('judges a commit after the first batch past a truncation by the position again', () => {
    const lives = truncatedLife(
      (e) => e.consumed(0, 0, 7),
      (e) => {
        e.consumed(0, 5, 5);
        e.committed(0, 8);
        batch(e, 0, 6, 9);
        e.shutdown();
      },
    );
    expect(checkDelivery(acked({ 0: 10 }), lives).counts).toEqual({ 'commit-past-position': 1 });
  });

  it('merges lives by timestamp, whatever order they are given in', () => {
    const lives = [
      nextOwner(5),
      life('m1', 0, (e) => {
        e.assigned(0);
        batch(e, 0, 0, 4);
        e.revoked(0);
      }),
    ];
    expect(checkDelivery(acked({ 0: 10 }), lives).verdict).toBe('PASS');
  });

  it('does not count as a skip at handoff the records a scenario excuses (deleted below the commit)', () => {
    const lives = [
      life('m1', 0, (e) => {
        e.assigned(0);
        batch(e, 0, 0, 2);
        e.shutdown();
      }),
      nextOwner(6),
    ];
    expect(checkDelivery(acked({ 0: 10 }), lives).counts).toEqual({ 'skip-at-handoff': 1, lost: 1 });
    const excused = checkDelivery(acked({ 0: 10 }), lives, { excusedLoss: (_p, o) => o >= 3 && o < 6 });
    expect(excused).toMatchObject({ verdict: 'PASS', produced: 7, lost: 0 });
  });

  it('does not count a loss the scenario excuses (records an unclean election truncated)', () => {
    const lives = [
      life('m1', 0, (e) => {
        e.assigned(0);
        batch(e, 0, 0, 7);
        e.shutdown();
      }),
    ];
    const report = checkDelivery(acked({ 0: 10 }), lives, { excusedLoss: (_p, offset) => offset >= 8 });
    expect(report).toMatchObject({ verdict: 'PASS', produced: 8, lost: 0 });
  });
});

describe('checkDelivery fails each rule on a stream that breaks it', () => {
  const cases: Array<{ rule: keyof typeof RULES; lives: MemberLife[]; produced?: Record<number, number> }> = [
    {
      rule: 'consumed-unassigned',
      lives: [
        life('m1', 0, (e) => {
          e.assigned(0);
          batch(e, 0, 0, 9);
          e.revoked(0);
          e.consumed(0, 10, 11); // after revocation
          e.shutdown();
        }),
      ],
      produced: { 0: 12 },
    },
    {
      rule: 'replay-in-tenure',
      lives: [
        life('m1', 0, (e) => {
          e.assigned(0);
          batch(e, 0, 0, 4);
          batch(e, 0, 3, 9);
          e.shutdown();
        }),
      ],
    },
    {
      rule: 'gap-in-tenure',
      lives: [
        life('m1', 0, (e) => {
          e.assigned(0);
          batch(e, 0, 0, 4);
          batch(e, 0, 7, 9);
          e.shutdown();
        }),
        life('m2', 500, (e) => {
          e.assigned(0);
          e.shutdown();
        }),
      ],
    },
    {
      rule: 'stale-after-seek',
      lives: [
        life('m1', 0, (e) => {
          e.assigned(0);
          batch(e, 0, 0, 4);
          e.seek(0, 2);
          batch(e, 0, 5, 9); // a buffered batch from before the seek
          batch(e, 0, 2, 9);
          e.shutdown();
        }),
      ],
    },
    {
      rule: 'commit-unassigned',
      lives: [
        life('m1', 0, (e) => {
          e.assigned(0);
          batch(e, 0, 0, 9);
          e.revoked(0);
          e.committed(0, 10); // after revocation
          e.shutdown();
        }),
      ],
    },
    {
      rule: 'commit-past-position',
      lives: [
        life('m1', 0, (e) => {
          e.assigned(0);
          e.consumed(0, 0, 4);
          e.committed(0, 8);
          batch(e, 0, 5, 9);
          e.shutdown();
        }),
      ],
    },
    {
      rule: 'replay-below-commit',
      lives: [
        life('m1', 0, (e) => {
          e.assigned(0);
          batch(e, 0, 0, 4);
        }),
        nextOwner(3),
      ],
    },
    {
      rule: 'skip-at-handoff',
      lives: [
        life('m1', 0, (e) => {
          e.assigned(0);
          batch(e, 0, 0, 4);
          e.revoked(0);
        }),
        nextOwner(7),
      ],
    },
    {
      rule: 'replay-after-clean-stop',
      lives: [
        life('m1', 0, (e) => {
          e.assigned(0);
          batch(e, 0, 0, 4);
          e.consumed(0, 5, 6); // its revocation should have committed 7
          e.revoked(0);
        }),
        nextOwner(5),
      ],
    },
    {
      rule: 'lost',
      lives: [
        life('m1', 0, (e) => {
          e.assigned(0);
          batch(e, 0, 0, 8);
          e.shutdown();
        }),
      ],
    },
  ];

  it('covers every rule', () => {
    expect(cases.map((c) => c.rule).sort()).toEqual(Object.keys(RULES).sort());
  });

  it.each(cases)('$rule', ({ rule, lives, produced }) => {
    const report = checkDelivery(acked(produced ?? { 0: 10 }), lives);
    expect(report.verdict).toBe('FAIL');
    expect(report.counts[rule]).toBe(1);
    expect(report.violations.find((v) => v.rule === rule)).toMatchObject({ rule, partition: `${T}-0` });
  });

  it('reports a skipped range inside a tenure as lost too, with the offsets', () => {
    const report = checkDelivery(acked({ 0: 10 }), [
      life('m1', 0, (e) => {
        e.assigned(0);
        batch(e, 0, 0, 4);
        batch(e, 0, 7, 9);
        e.shutdown();
      }),
    ]);
    expect(report).toMatchObject({ lost: 2, counts: { 'gap-in-tenure': 1, lost: 1 } });
    expect(report.violations.find((v) => v.rule === 'lost')?.detail).toBe(
      '2 acked records never consumed (first: 5, 6)',
    );
  });

  it('lets the next owner start at the offset of a commit reported failed, which may have been written', () => {
    const lives = (start: number) => [
      life('m1', 0, (e) => {
        e.assigned(0);
        batch(e, 0, 0, 3);
        e.consumed(0, 4, 5);
        e.committed(0, 6, false); // the response was lost, the retry refused: 6 may be the group's offset
      }),
      nextOwner(start),
    ];
    expect(checkDelivery(acked({ 0: 10 }), lives(6)).verdict).toBe('PASS');
    expect(checkDelivery(acked({ 0: 10 }), lives(4)).verdict).toBe('PASS');
    expect(checkDelivery(acked({ 0: 10 }), lives(8)).counts).toEqual({ 'skip-at-handoff': 1, lost: 1 });
  });

  it('accepts a commit past the last record over offsets that hold none (a transaction marker)', () => {
    const events: ProducerEvent[] = [0, 1, 2, 4, 5].map((offset) => ({
      name: 'producer_send_success',
      timestamp: 0,
      topic: T,
      partition: 0,
      offset,
      key: null,
      value: `${offset}`,
    }));
    const report = checkDelivery(AckedRecords.from(events), [
      life('m1', 0, (e) => {
        e.assigned(0);
        e.consumed(0, 0, 2);
        e.committed(0, 4); // offset 3 is the commit marker
        e.consumed(0, 4, 5);
        e.committed(0, 6);
        e.shutdown();
      }),
    ]);
    expect(report.verdict).toBe('PASS');
  });

  it('lets the next owner start at the position of a member killed before it could print its commit', () => {
    const lives = (start: number) => [
      life('m1', 0, (e) => {
        e.assigned(0);
        batch(e, 0, 0, 3);
        e.consumed(0, 4, 5); // its commit of 6 may have landed; the kill came before the event
      }),
      nextOwner(start),
    ];
    expect(checkDelivery(acked({ 0: 10 }), lives(6)).verdict).toBe('PASS');
    expect(checkDelivery(acked({ 0: 10 }), lives(7)).counts).toEqual({ 'skip-at-handoff': 1, lost: 1 });
  });

  it('lets the next owner after a revocation whose last commit was refused start at the last commit that went through', () => {
    const lives = (refused: boolean, start: number) => [
      life('m1', 0, (e) => {
        e.assigned(0);
        batch(e, 0, 0, 3);
        e.consumed(0, 4, 5);
        e.committed(0, 6, !refused); // REBALANCE_IN_PROGRESS: the group waits for a dead leader
        e.revoked(0);
      }),
      nextOwner(start),
    ];
    expect(checkDelivery(acked({ 0: 10 }), lives(true, 4)).verdict).toBe('PASS');
    expect(checkDelivery(acked({ 0: 10 }), lives(true, 3)).counts).toEqual({ 'replay-below-commit': 1 });
    expect(checkDelivery(acked({ 0: 10 }), lives(false, 4)).counts).toEqual({
      'replay-below-commit': 1,
      'replay-after-clean-stop': 1,
    });
  });

  it('counts a life that failed after printing shutdown_complete as killed, not as a clean stop', () => {
    const fenced = life('m1', 0, (e) => {
      e.assigned(0);
      batch(e, 0, 0, 3);
      e.consumed(0, 4, 5);
      e.committed(0, 6, false); // fenced: the commit is refused, the app exits 1 after its close
      e.shutdown();
    });
    const next = nextOwner(4);
    expect(checkDelivery(acked({ 0: 10 }), [fenced, next]).counts).toEqual({ 'replay-after-clean-stop': 1 });
    expect(checkDelivery(acked({ 0: 10 }), [{ ...fenced, cleanExit: false }, next]).verdict).toBe('PASS');
  });

  it('ignores a failed commit: it moves no committed offset', () => {
    const report = checkDelivery(acked({ 0: 10 }), [
      life('m1', 0, (e) => {
        e.assigned(0);
        e.consumed(0, 0, 4);
        e.committed(0, 99, false);
        batch(e, 0, 5, 9);
        e.shutdown();
      }),
    ]);
    expect(report.verdict).toBe('PASS');
  });

  it('keeps at most maxViolationsPerRule violations per rule but counts them all', () => {
    const report = checkDelivery(
      acked({ 0: 10 }),
      [
        life('m1', 0, (e) => {
          for (let i = 0; i < 5; i++) e.consumed(0, i, i);
        }),
      ],
      { maxViolationsPerRule: 2 },
    );
    expect(report.counts['consumed-unassigned']).toBe(5);
    expect(report.violations.filter((v) => v.rule === 'consumed-unassigned')).toHaveLength(2);
  });
});
