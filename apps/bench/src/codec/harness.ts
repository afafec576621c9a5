/**
 * How the codec benchmark times a contender: process CPU time (on a shared machine the wall clock
 * also counts the time other processes held the cores), after a warm-up that lasts a minimum time and
 * then until the contender's speed has settled, interleaved with the other contenders, median of the
 * rounds.
 *
 * Why the warm-up settles instead of running one sample: the peers' decoders allocate an object
 * (and Buffers) per record, and V8 needs one to two seconds of such work to tier them up and grow the
 * young generation; after a single 100 ms warm-up sample, @platformatic/kafka's first samples read
 * 2,279, 1,431 and 1,146 ns per 100-byte record, against about 300 once settled (Node 24). No forced
 * GC between samples either: with one before each sample, KafkaJS's decoder spent 40-60 ms of every
 * 300 ms sample in major GCs it otherwise did not have, and read about 25 % slower.
 */

export interface HarnessOptions {
  /** Interleaved rounds; each result is the median. */
  rounds: number;
  /** CPU milliseconds per sample. */
  sampleMs: number;
  /** The least CPU milliseconds a contender warms up for, settled or not. */
  minWarmupMs: number;
  /** The most CPU milliseconds a contender warms up for. */
  maxWarmupMs: number;
}

const cpuMicros = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * Runs `fn` repeatedly for about `sampleMs` of this process's CPU time. Calls are timed in groups
 * of at least a millisecond, so the cost of reading the clock does not count.
 * @returns CPU nanoseconds per call.
 */
export async function sample(fn: () => unknown, sampleMs: number): Promise<number> {
  let sink = 0;
  let group = 1;
  for (;;) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < group; i++) {
      const r = fn();
      sink += typeof r === 'number' ? r : Number(await r);
    }
    if (process.hrtime.bigint() - t >= 1_000_000n) break;
    group *= 2;
  }
  let calls = 0;
  const start = cpuMicros();
  let elapsed = 0;
  while (elapsed < sampleMs * 1000) {
    for (let i = 0; i < group; i++) {
      const r = fn();
      sink += typeof r === 'number' ? r : Number(await r);
    }
    calls += group;
    elapsed = cpuMicros() - start;
  }
  if (sink === -1) console.log('unreachable');
  return (elapsed * 1000) / calls;
}

/** @returns the median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Warms `fn` up for at least `minMs`, then until two consecutive 200 ms samples agree within 10 %, or
 * `maxMs` has passed. The floor is there because a settled pair is not always the steady state: KafkaJS's
 * decoder (16 KiB batches of 100 B records, Node 24) holds at 1,200-1,400 ns per record for 2-3 s, where
 * consecutive samples agree, then drops to 700-800 once V8 has grown the young generation for it.
 * @returns the CPU milliseconds spent.
 */
export async function warmUp(fn: () => unknown, minMs: number, maxMs: number): Promise<number> {
  const slice = 200;
  let previous = await sample(fn, slice);
  let spent = slice;
  while (spent < maxMs) {
    const next = await sample(fn, slice);
    spent += slice;
    if (spent >= minMs && Math.abs(next - previous) <= 0.1 * previous) break;
    previous = next;
  }
  return spent;
}

/**
 * Measures every contender: each warmed up until it settles, then round after round A, B, C, ... so
 * that drift in machine load hits all of them alike.
 * @returns CPU nanoseconds per call of each contender, the median of the rounds.
 */
export async function interleaved(
  contenders: Record<string, () => unknown>,
  options: HarnessOptions,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (const fn of Object.values(contenders)) await warmUp(fn, options.minWarmupMs, options.maxWarmupMs);
  for (let round = 0; round < options.rounds; round++) {
    for (const [name, fn] of Object.entries(contenders)) {
      samples[name]!.push(await sample(fn, options.sampleMs));
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}
