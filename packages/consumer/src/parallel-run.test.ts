import { sleep } from '@runnel/network';
import { FakeClock } from '@runnel/network/testing';
import { describe, expect, it } from 'vitest';
import { AssignedPartition } from './assigned-partition.js';
import type { ConsumerBatch, ConsumerRecord, OffsetAndEpoch } from './batch.js';
import type { Delivery } from './fetch-buffer.js';
import { MaxPollCheck } from './max-poll.js';
import { ParallelRun, type ParallelSettings } from './parallel-run.js';
import { RunRegistry } from './run-loop.js';
import { checkPartitionOrdering, parallelSettings } from './run-options.js';

/** A seeded PRNG (mulberry32), so that a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const text = new TextEncoder();

function record(p: AssignedPartition, offset: number, key: string | null): ConsumerRecord {
  return {
    topic: p.topic,
    partition: p.partition,
    offset,
    leaderEpoch: 2,
    timestamp: 0,
    timestampType: 'create',
    key: key === null ? null : text.encode(key),
    value: null,
    headers: [],
  } as unknown as ConsumerRecord;
}

/**
 * The fetcher as the parallel run sees it: batches of a partition handed out one at a time, the
 * partition busy from a take until handed on; the consumed position and the seeks it is told of.
 */
class FakeDeliveries {
  readonly settled: OffsetAndEpoch[] = [];
  readonly rewound: OffsetAndEpoch[] = [];
  released = 0;
  private readonly queue: Delivery[] = [];
  private wake: (() => void) | null = null;

  feed(p: AssignedPartition, records: ConsumerRecord[], next: number): void {
    const batch = { topic: p.topic, partition: p.partition, records } as unknown as ConsumerBatch;
    this.queue.push({
      batch,
      partition: p,
      generation: p.generation,
      next: { offset: next, leaderEpoch: 2 },
      heldBytes: 0,
    });
    this.wake?.();
  }

  async next(signal: AbortSignal | undefined): Promise<Delivery | null> {
    for (;;) {
      if (signal?.aborted) return null;
      const i = this.queue.findIndex((d) => !d.partition.busy && !d.partition.revoking);
      if (i >= 0) {
        const [delivery] = this.queue.splice(i, 1);
        delivery!.partition.busy = true;
        return delivery!;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }

  handOn(p: AssignedPartition): void {
    p.busy = false;
    this.wake?.();
  }

  release(): void {
    this.released++;
  }

  settle(p: AssignedPartition, generation: number, position: OffsetAndEpoch): void {
    if (p.generation === generation && !p.revoked) p.consumed = position;
    this.settled.push(position);
  }

  rewindTo(_p: AssignedPartition, _generation: number, position: OffsetAndEpoch): void {
    this.rewound.push(position);
  }
}

interface Harness {
  readonly clock: FakeClock;
  readonly deliveries: FakeDeliveries;
  readonly stop: AbortController;
  readonly done: Promise<unknown>;
  /** Advances the fake clock a millisecond at a time until `until` holds. */
  drive(until: () => boolean): Promise<void>;
}

function harness(
  settings: Omit<ParallelSettings, 'retries' | 'retryBackoffMs'> & Partial<ParallelSettings>,
  clock = new FakeClock(),
): Harness {
  const deliveries = new FakeDeliveries();
  const stop = new AbortController();
  const host = {
    deliveries,
    maxPoll: new MaxPollCheck(clock, 300_000, () => {}),
    runs: new RunRegistry(),
    clock,
  };
  const run = new ParallelRun(host, { retries: 0, retryBackoffMs: 100, ...settings }, stop);
  const done = run.run().then(
    () => 'resolved',
    (error: unknown) => error,
  );
  return {
    clock,
    deliveries,
    stop,
    done,
    async drive(until) {
      for (let i = 0; i < 200_000 && !until(); i++) {
        await new Promise((resolve) => setImmediate(resolve));
        clock.advance(1);
      }
      expect(until()).toBe(true);
    },
  };
}

describe("run with ordering 'key'", () => {
  it('keeps each key in offset order, runs each record once, stays within maxInFlight, and commits only what is done', async () => {
    for (const seed of [1, 2, 3]) {
      const random = prng(seed);
      const clock = new FakeClock();
      const p = new AssignedPartition('t', 0);
      const started = new Map<string, number[]>();
      const finished = new Set<number>();
      let inFlight = 0;
      let most = 0;
      const running = new Set<string>();
      let overlaps = 0;
      const h = harness(
        {
          ordering: 'key',
          maxInFlight: 20,
          eachRecord: async (r) => {
            inFlight++;
            most = Math.max(most, inFlight);
            const key = new TextDecoder().decode(r.key!);
            // The record before it of the same key has finished: no two of one key overlap.
            if (running.has(key)) overlaps++;
            running.add(key);
            started.set(key, [...(started.get(key) ?? []), r.offset]);
            await sleep(clock, Math.floor(random() * 21));
            running.delete(key);
            finished.add(r.offset);
            inFlight--;
          },
        },
        clock,
      );
      // 1,000 records over 50 keys in batches of 100, offsets with a gap after each batch.
      let offset = 0;
      for (let b = 0; b < 10; b++) {
        const records = Array.from({ length: 100 }, () =>
          record(p, offset++, `k${Math.floor(random() * 50)}`),
        );
        offset += 2;
        h.deliveries.feed(p, records, offset);
      }
      // Every watermark the run settles on lies at or below every record not yet done.
      const settledChecks: boolean[] = [];
      const check = h.deliveries.settle.bind(h.deliveries);
      h.deliveries.settle = (part, generation, position) => {
        let fine = true;
        for (let o = 0; o < position.offset; o++) if (o % 102 < 100 && !finished.has(o)) fine = false;
        settledChecks.push(fine);
        check(part, generation, position);
      };
      await h.drive(() => finished.size === 1000);
      h.stop.abort();
      expect(await h.done).toBe('resolved');
      expect(settledChecks.length).toBeGreaterThan(0);
      expect(settledChecks.every(Boolean)).toBe(true);
      let total = 0;
      for (const offsets of started.values()) {
        expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
        total += offsets.length;
      }
      expect(total).toBe(1000);
      expect(overlaps).toBe(0);
      expect(most).toBeLessThanOrEqual(20);
      expect(most).toBeGreaterThan(10);
      expect(p.consumed).toEqual({ offset: 1020, leaderEpoch: 2 });
      expect(p.unfinished).toBe(0);
      expect(h.deliveries.released).toBe(10);
      expect(h.deliveries.rewound).toEqual([]);
    }
  });

  it('runs records with a null key each on its own', async () => {
    const clock = new FakeClock();
    const p = new AssignedPartition('t', 0);
    let inFlight = 0;
    let most = 0;
    const h = harness(
      {
        ordering: 'key',
        maxInFlight: 8,
        eachRecord: async () => {
          most = Math.max(most, ++inFlight);
          await sleep(clock, 5);
          inFlight--;
        },
      },
      clock,
    );
    h.deliveries.feed(
      p,
      Array.from({ length: 8 }, (_, o) => record(p, o, null)),
      8,
    );
    await h.drive(() => p.consumed?.offset === 8);
    expect(most).toBe(8);
    h.stop.abort();
    expect(await h.done).toBe('resolved');
  });

  it('holds a partition back once maxInFlight of its records wait to start', async () => {
    const clock = new FakeClock();
    const p = new AssignedPartition('t', 0);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const h = harness({ ordering: 'key', maxInFlight: 4, eachRecord: () => gate }, clock);
    // One key: one runs, the rest wait in its lane.
    h.deliveries.feed(
      p,
      Array.from({ length: 6 }, (_, o) => record(p, o, 'same')),
      6,
    );
    h.deliveries.feed(p, [record(p, 6, 'other')], 7);
    await h.drive(() => p.unfinished === 6);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(p.busy).toBe(true);
    expect(p.unfinished).toBe(6);
    release();
    await h.drive(() => p.consumed?.offset === 7);
    expect(p.busy).toBe(false);
    h.stop.abort();
    expect(await h.done).toBe('resolved');
  });
});

describe("run with ordering 'none'", () => {
  it('stops with the first failure, never commits past it, and moves the partition back to its watermark', async () => {
    const clock = new FakeClock();
    const p = new AssignedPartition('t', 0);
    const failure = new Error('record 7 failed');
    const ran = new Set<number>();
    const h = harness(
      {
        ordering: 'none',
        maxInFlight: 4,
        eachRecord: async (r) => {
          ran.add(r.offset);
          await sleep(clock, r.offset === 7 ? 3 : 10);
          if (r.offset === 7) throw failure;
        },
      },
      clock,
    );
    h.deliveries.feed(
      p,
      Array.from({ length: 40 }, (_, o) => record(p, o, null)),
      40,
    );
    await h.drive(() => h.deliveries.rewound.length > 0);
    expect(await h.done).toBe(failure);
    expect(Math.max(...h.deliveries.settled.map((s) => s.offset))).toBeLessThanOrEqual(7);
    expect(h.deliveries.rewound).toEqual([{ offset: 7, leaderEpoch: 2 }]);
    expect(p.consumed).toEqual({ offset: 7, leaderEpoch: 2 });
    expect(ran.size).toBeLessThan(40);
    expect(p.unfinished).toBe(0);
    expect(h.deliveries.released).toBe(1);
  });

  it('retries a failing record with a doubling backoff, then goes on', async () => {
    const clock = new FakeClock();
    const p = new AssignedPartition('t', 0);
    const tries: number[] = [];
    const h = harness(
      {
        ordering: 'none',
        maxInFlight: 2,
        retries: 2,
        retryBackoffMs: 100,
        eachRecord: (r) => {
          if (r.offset !== 1) return;
          tries.push(clock.now());
          if (tries.length < 3) throw new Error('not yet');
        },
      },
      clock,
    );
    h.deliveries.feed(p, [record(p, 0, null), record(p, 1, null), record(p, 2, null)], 3);
    await h.drive(() => p.consumed?.offset === 3);
    expect(tries[1]! - tries[0]!).toBe(100);
    expect(tries[2]! - tries[1]!).toBe(200);
    h.stop.abort();
    expect(await h.done).toBe('resolved');
  });

  it('rejects with the error once the retries are spent', async () => {
    const p = new AssignedPartition('t', 0);
    const failure = new Error('always');
    let tries = 0;
    const h = harness({
      ordering: 'none',
      maxInFlight: 2,
      retries: 1,
      retryBackoffMs: 10,
      eachRecord: () => {
        tries++;
        throw failure;
      },
    });
    h.deliveries.feed(p, [record(p, 0, null)], 1);
    let ended = false;
    void h.done.then(() => {
      ended = true;
    });
    await h.drive(() => ended);
    expect(await h.done).toBe(failure);
    expect(tries).toBe(2);
    // Nothing passed: the epoch of the record before it is not known.
    expect(h.deliveries.rewound).toEqual([{ offset: 0, leaderEpoch: -1 }]);
  });

  it('leaves a record waiting to be tried again undone when the run is stopped, and resolves', async () => {
    const clock = new FakeClock();
    const p = new AssignedPartition('t', 0);
    let tries = 0;
    const h = harness(
      {
        ordering: 'none',
        maxInFlight: 2,
        retries: 5,
        retryBackoffMs: 1_000,
        eachRecord: (r) => {
          if (r.offset !== 1) return;
          tries++;
          throw new Error('down');
        },
      },
      clock,
    );
    h.deliveries.feed(p, [record(p, 0, null), record(p, 1, null), record(p, 2, null)], 3);
    await h.drive(() => tries === 1 && p.consumed?.offset === 1);
    h.stop.abort();
    expect(await h.done).toBe('resolved');
    expect(tries).toBe(1);
    expect(h.deliveries.rewound).toEqual([{ offset: 1, leaderEpoch: 2 }]);
    expect(p.unfinished).toBe(0);
  });

  it('starts nothing more of a revoking partition and lets its running records finish', async () => {
    const clock = new FakeClock();
    const p = new AssignedPartition('t', 0);
    const ran: number[] = [];
    const h = harness(
      {
        ordering: 'none',
        maxInFlight: 5,
        eachRecord: async (r) => {
          ran.push(r.offset);
          await sleep(clock, 10);
        },
      },
      clock,
    );
    h.deliveries.feed(
      p,
      Array.from({ length: 50 }, (_, o) => record(p, o, null)),
      50,
    );
    await h.drive(() => ran.length === 5);
    p.revoking = true;
    await h.drive(() => p.unfinished === 0);
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    expect(p.consumed).toEqual({ offset: 5, leaderEpoch: 2 });
    // Lost: a result after release moves nothing.
    h.stop.abort();
    expect(await h.done).toBe('resolved');
  });
});

describe('run options of the parallel orderings', () => {
  const eachRecord = () => {};
  it.each([
    [{ ordering: 'sideways' }, /ordering must be/],
    [{ ordering: 'key', eachBatch: eachRecord }, /needs eachRecord, not eachBatch/],
    [{ ordering: 'key' }, /needs eachRecord/],
    [{ ordering: 'none', eachRecord, concurrency: 2 }, /concurrency applies to ordering 'partition'/],
    [{ ordering: 'key', eachRecord, maxInFlight: 0 }, /maxInFlight must be an integer of at least 1/],
    [{ ordering: 'key', eachRecord, retries: 1.5 }, /retries must be/],
    [{ ordering: 'key', eachRecord, retryBackoffMs: -1 }, /retryBackoffMs must be/],
  ])('refuses %o with a TypeError naming the option', (options, message) => {
    expect(() => parallelSettings(options as never)).toThrow(TypeError);
    expect(() => parallelSettings(options as never)).toThrow(message);
  });

  it.each(['maxInFlight', 'retries', 'retryBackoffMs'])(
    "refuses %s under ordering 'partition' with a TypeError naming it",
    (name) => {
      expect(() => checkPartitionOrdering({ eachRecord, [name]: 1 })).toThrow(
        new TypeError(`${name} applies to ordering 'key' or 'none', not 'partition'`),
      );
      expect(() =>
        checkPartitionOrdering({ eachRecord, ordering: 'partition', concurrency: 2 }),
      ).not.toThrow();
    },
  );

  it('applies the defaults', () => {
    expect(parallelSettings({ ordering: 'key', eachRecord })).toMatchObject({
      ordering: 'key',
      maxInFlight: 16,
      retries: 0,
      retryBackoffMs: 100,
    });
  });
});
