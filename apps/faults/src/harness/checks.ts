/**
 * Expectations several scenarios share, read from the members' events: how fast consumption resumed
 * after a fault, whether the group rebalanced, whether a commit failed where the user would see it,
 * what the process stats say.
 */
import { SESSION_TIMEOUT_MS } from './protocols.js';
import type { ScenarioRun } from './scenario.js';

/**
 * How long the members took to consume again after `since` (a fault): for every partition with
 * records to read after `since`, the time from when the first of them was there (acknowledged, and
 * not before `since`) to the first batch of that partition consumed after `since`. A partition the
 * producer could not write to is not held against the consumer.
 *
 * @returns the slowest partition's delay in ms (Infinity when one of them never resumed).
 */
export function slowestResume(run: ScenarioRun, since: number): number {
  // Where each partition's consumption stood at `since`.
  const position = new Map<string, number>();
  const first = new Map<string, number>();
  for (const life of run.lives()) {
    for (const event of life.events) {
      if (event.name !== 'records_consumed') continue;
      for (const p of event.partitions) {
        const key = `${p.topic}-${p.partition}`;
        if (event.timestamp <= since) position.set(key, Math.max(position.get(key) ?? 0, p.maxOffset + 1));
        else first.set(key, Math.min(first.get(key) ?? Number.POSITIVE_INFINITY, event.timestamp));
      }
    }
  }
  // When the first record past that position was there to read.
  const available = new Map<string, number>();
  run.producer?.events.forEach((event, i) => {
    const key = `${event.topic}-${event.partition}`;
    if (event.offset < (position.get(key) ?? 0)) return;
    const at = Math.max(since, run.producer!.ackedAt[i]!);
    available.set(key, Math.min(available.get(key) ?? Number.POSITIVE_INFINITY, at));
  });
  let slowest = 0;
  for (const [key, at] of available) {
    slowest = Math.max(slowest, (first.get(key) ?? Number.POSITIVE_INFINITY) - at);
  }
  return slowest;
}

/** @returns a failure when some partition took longer than `limitMs` after `since` to be consumed again. */
export function resumedWithin(run: ScenarioRun, since: number, limitMs: number, what: string): string[] {
  const slowest = slowestResume(run, since);
  return slowest <= limitMs
    ? []
    : [`after ${what}, a partition was consumed again only after ${slowest} ms (limit ${limitMs} ms)`];
}

/** @returns the revocations and losses (as `life: event partitions`) with a timestamp in [from, to]. */
export function rebalancesBetween(run: ScenarioRun, from: number, to: number): string[] {
  const seen: string[] = [];
  for (const life of run.lives()) {
    for (const event of life.events) {
      if (event.name !== 'partitions_revoked' && event.name !== 'partitions_lost') continue;
      if (event.timestamp < from || event.timestamp > to || event.partitions.length === 0) continue;
      seen.push(`${life.name} ${event.name} ${event.partitions.map((p) => p.partition).join(',')}`);
    }
  }
  return seen;
}

/**
 * For a fault that leaves every member's heartbeats hanging on a frozen coordinator until `since` (the
 * thaw), longer than the session timeout: a member that learns within a session timeout after `since`
 * that it lost its partitions was expired before, or without a heartbeat accepted since; what it
 * handed out meanwhile was another member's by then.
 *
 * @returns, for each such life, how many records it handed out between `since` and the loss.
 */
export function deliveredWhileExpired(run: ScenarioRun, since: number): string[] {
  const found: string[] = [];
  for (const life of run.lives()) {
    const lost = life.events.find((e) => e.name === 'partitions_lost' && e.timestamp >= since);
    if (lost === undefined || lost.timestamp - since > SESSION_TIMEOUT_MS) continue;
    let records = 0;
    for (const e of life.events) {
      if (e.name === 'records_consumed' && e.timestamp >= since && e.timestamp < lost.timestamp)
        records += e.count;
    }
    if (records > 0)
      found.push(
        `${life.name} handed out ${records} records in the ${lost.timestamp - since} ms before it learned it was expired`,
      );
  }
  return found;
}

/** @returns the failed commits the members' users saw, as `life: error`. */
export function failedCommits(run: ScenarioRun): string[] {
  return run
    .lives()
    .flatMap((life) =>
      life.events.flatMap((e) =>
        e.name === 'offsets_committed' && !e.success ? [`${life.name}: ${e.error ?? '?'}`] : [],
      ),
    );
}

/** One `process_stats` event of a member. */
export interface ProcessStats {
  readonly life: string;
  readonly timestamp: number;
  readonly rss: number;
  readonly sockets: number;
  readonly eventLoopDelayP99Ms: number;
}

/** @returns every `process_stats` event of every life, in time order. */
export function processStats(run: ScenarioRun): ProcessStats[] {
  const stats: ProcessStats[] = [];
  for (const life of run.lives()) {
    for (const event of life.events) {
      if (event.name !== 'other' || event.raw.name !== 'process_stats') continue;
      const raw = event.raw as { rss: number; sockets: number; eventLoopDelayP99Ms: number };
      stats.push({ life: life.name, timestamp: event.timestamp, ...pick(raw) });
    }
  }
  return stats.sort((a, b) => a.timestamp - b.timestamp);
}

function pick(raw: { rss: number; sockets: number; eventLoopDelayP99Ms: number }) {
  return { rss: raw.rss, sockets: raw.sockets, eventLoopDelayP99Ms: raw.eventLoopDelayP99Ms };
}

/** @returns the `log` events (with `--log-level`) whose fields carry `field`, as `life: message`. */
export function logsWithField(
  run: ScenarioRun,
  field: string,
): Array<{ life: string; message: string; fields: Record<string, unknown> }> {
  const found: Array<{ life: string; message: string; fields: Record<string, unknown> }> = [];
  for (const life of run.lives()) {
    for (const event of life.events) {
      if (event.name !== 'other' || event.raw.name !== 'log') continue;
      const fields = (event.raw.fields ?? {}) as Record<string, unknown>;
      if (field in fields) found.push({ life: life.name, message: String(event.raw.message), fields });
    }
  }
  return found;
}

/** @returns the least-squares slope of RSS over time, in MB per 30 minutes. */
export function rssSlopeMbPer30Min(samples: readonly Pick<ProcessStats, 'timestamp' | 'rss'>[]): number {
  if (samples.length < 2) return 0;
  const t0 = samples[0]!.timestamp;
  const xs = samples.map((s) => (s.timestamp - t0) / 60_000);
  const ys = samples.map((s) => s.rss / 1048576);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 30;
}
