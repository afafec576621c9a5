/*
 * Reads V8's .cpuprofile (what `node --cpu-prof` writes): a call tree of nodes, each with its call
 * frame, plus the sampled node id of every tick and the microseconds between ticks.
 */

/** The parts of a .cpuprofile this module reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      /** 0-based. */
      readonly lineNumber: number;
    };
    readonly hitCount?: number;
  }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** One function's self time. */
export interface SelfTime {
  readonly functionName: string;
  /** `url:line` (1-based line); empty for V8's pseudo-frames such as `(garbage collector)`. */
  readonly location: string;
  readonly selfMs: number;
  /** Share of the busy sampled time (every tick but `(idle)`), 0..1. */
  readonly share: number;
}

/**
 * Sums each function's self time: the time of every tick whose sampled frame is that function,
 * frames of the same function (name, script, line) merged across call paths. Idle ticks (the
 * process waiting for I/O) are left out.
 *
 * @param stripPrefix removed from the start of script URLs to shorten them.
 * @returns functions by self time, largest first.
 * @throws TypeError when the value is not a CPU profile.
 */
export function selfTimes(profile: CpuProfile, stripPrefix = ''): SelfTime[] {
  if (!Array.isArray(profile?.nodes)) throw new TypeError('not a .cpuprofile: no nodes');
  const nodeTime = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    // timeDeltas[i] is the gap before tick i, so tick i stands for the time until tick i + 1.
    for (let i = 0; i < samples.length; i++) {
      const micros = i + 1 < deltas.length ? deltas[i + 1]! : 0;
      nodeTime.set(samples[i]!, (nodeTime.get(samples[i]!) ?? 0) + Math.max(0, micros));
    }
  } else {
    const ticks = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
    const perTick = ticks === 0 ? 0 : (profile.endTime - profile.startTime) / ticks;
    for (const node of profile.nodes) nodeTime.set(node.id, (node.hitCount ?? 0) * perTick);
  }
  const byFunction = new Map<string, { functionName: string; location: string; micros: number }>();
  let total = 0;
  for (const node of profile.nodes) {
    const micros = nodeTime.get(node.id) ?? 0;
    const frame = node.callFrame;
    if (micros === 0 || frame.functionName === '(idle)') continue;
    total += micros;
    const functionName = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const url = frame.url.startsWith(stripPrefix) ? frame.url.slice(stripPrefix.length) : frame.url;
    const location = url === '' ? '' : `${url}:${frame.lineNumber + 1}`;
    const key = `${functionName}\u0000${location}`;
    const entry = byFunction.get(key) ?? { functionName, location, micros: 0 };
    entry.micros += micros;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()]
    .sort((a, b) => b.micros - a.micros)
    .map((e) => ({
      functionName: e.functionName,
      location: e.location,
      selfMs: e.micros / 1000,
      share: total === 0 ? 0 : e.micros / total,
    }));
}

/** @returns the top `count` entries as an aligned text table. */
export function formatSelfTimes(entries: readonly SelfTime[], count: number): string {
  const rows = entries.slice(0, count);
  const lines = ['  self ms   share  function  (location)'];
  for (const e of rows) {
    lines.push(
      `${e.selfMs.toFixed(1).padStart(9)} ${(e.share * 100).toFixed(1).padStart(6)}%  ${e.functionName}${e.location === '' ? '' : `  (${e.location})`}`,
    );
  }
  return lines.join('\n');
}
