import { type AckedRecords, partitionKey } from './acked.js';
import type { ConsumedRange, ConsumerEvent, EventPartition } from './events.js';
import type { Rule } from './rules.js';

/** One run of one verifiable consumer process, from start to exit, with every event it printed. */
export interface MemberLife {
  /** Names the run in violations, e.g. `m2#1` (member 2, its second start). */
  readonly name: string;
  readonly events: readonly ConsumerEvent[];
  /**
   * False when the process failed (a non-zero exit, a fatal error) even though it printed
   * `shutdown_complete`: its partitions were not handed over with a commit, so it counts as killed.
   */
  readonly cleanExit?: boolean;
}

/** One broken invariant. */
export interface Violation {
  readonly rule: Rule;
  readonly member: string;
  /** `topic-partition`. */
  readonly partition: string;
  /** The timestamp of the event that broke it (0 for end-of-run checks). */
  readonly timestamp: number;
  readonly detail: string;
}

/** The checker's verdict over one scenario. */
export interface DeliveryReport {
  /** Records VerifiableProducer saw acknowledged. */
  readonly produced: number;
  /** Distinct records (partition, offset) the group consumed. */
  readonly consumedDistinct: number;
  /** Deliveries beyond the first of a record. */
  readonly duplicates: number;
  /** Acknowledged records nobody consumed. */
  readonly lost: number;
  /** How many times each rule was broken. */
  readonly counts: Readonly<Partial<Record<Rule, number>>>;
  /** The first violations of each rule (at most `maxViolationsPerRule`). */
  readonly violations: readonly Violation[];
  readonly verdict: 'PASS' | 'FAIL';
}

export interface CheckOptions {
  /** Violations kept per rule in the report (all are counted); default 20. */
  readonly maxViolationsPerRule?: number;
  /**
   * Acknowledged records whose loss is not the consumer's doing (records an unclean leader election
   * truncated, or a scenario deleted): they count as never written, so they are neither required nor
   * a gap or a skip when passed over, nor in `produced`.
   */
  readonly excusedLoss?: (partition: string, offset: number) => boolean;
}

interface Tenure {
  /** The next offset this owner expects; undefined until its first batch. */
  position: number | undefined;
  /** Set by a seek until the next batch, which must start there. */
  seekTo: number | undefined;
  /**
   * Set by a truncation until the next batch: the position before it. A commit up to there is of
   * records consumed before the truncation, and carries their leader epoch (KIP-320), so whoever
   * starts from it validates it against the log and finds the truncation too.
   */
  truncatedFrom?: number | undefined;
  /** Whether this tenure's last commit was reported failed (no later success). */
  commitFailed?: boolean;
}

interface LifeState {
  readonly name: string;
  readonly owned: Map<string, Tenure>;
  readonly cleanExit: boolean;
}

/** How the last tenure of a partition ended, for the next owner's first batch. */
interface TenureEnd {
  readonly clean: boolean;
  readonly position: number;
  readonly member: string;
}

/** Every life's events in one timeline: by timestamp, each life's own events kept in their order. */
function timeline(lives: readonly MemberLife[]): Array<{ life: number; event: ConsumerEvent }> {
  const items = lives.flatMap((life, i) => life.events.map((event, seq) => ({ life: i, seq, event })));
  items.sort((a, b) => a.event.timestamp - b.event.timestamp || a.life - b.life || a.seq - b.seq);
  return items;
}

/** Walks the group's events once and applies every rule; see {@link checkDelivery}. */
class Walk {
  readonly violations: Violation[] = [];
  readonly counts: Partial<Record<Rule, number>> = {};
  /** Per partition: how often each offset was delivered. */
  readonly delivered = new Map<string, Map<number, number>>();
  private readonly committed = new Map<string, number>();
  /**
   * The highest offset that may have been committed since the last commit reported successful: a
   * commit reported as failed may still have been written (its response was lost, a retry refused),
   * and a killed member may have committed its position without printing it. The group's real
   * position at a handoff is the last success or one of those.
   */
  private readonly maybeCommitted = new Map<string, number>();
  private readonly lastEnd = new Map<string, TenureEnd>();

  constructor(
    private readonly acked: AckedRecords,
    /** Every life's state, for what other holders of a partition may have committed. */
    private readonly states: readonly LifeState[],
    private readonly maxPerRule: number,
  ) {}

  violate(rule: Rule, member: string, partition: string, timestamp: number, detail: string): void {
    const n = (this.counts[rule] ?? 0) + 1;
    this.counts[rule] = n;
    if (n <= this.maxPerRule) this.violations.push({ rule, member, partition, timestamp, detail });
  }

  apply(state: LifeState, event: ConsumerEvent): void {
    switch (event.name) {
      case 'partitions_assigned':
        for (const tp of event.partitions) {
          const key = partitionKey(tp);
          if (!state.owned.has(key)) state.owned.set(key, { position: undefined, seekTo: undefined });
        }
        return;
      case 'partitions_revoked':
      case 'partitions_lost':
        for (const tp of event.partitions) {
          const key = partitionKey(tp);
          // A revocation hands over at the position only when its last commit went through: one the
          // coordinator refused (REBALANCE_IN_PROGRESS while the group waits for a dead leader) leaves
          // the group's offset at the last success, where the next owner rightly starts.
          const committedAll = state.owned.get(key)?.commitFailed !== true;
          this.endTenure(state, key, event.name === 'partitions_revoked' && committedAll);
        }
        return;
      case 'shutdown_complete':
        for (const key of [...state.owned.keys()]) this.endTenure(state, key, state.cleanExit);
        return;
      case 'records_consumed':
        for (const range of event.partitions) this.consumed(state, range, event.timestamp);
        return;
      case 'offsets_committed':
        for (const o of event.offsets) {
          const key = partitionKey(o);
          const tenure = state.owned.get(key);
          if (tenure !== undefined) tenure.commitFailed = !event.success;
          if (event.success) this.commit(state, o, o.offset, event.timestamp);
          else this.maybeCommitted.set(key, Math.max(this.maybeCommitted.get(key) ?? 0, o.offset));
        }
        return;
      case 'seek':
      case 'truncation': {
        const tenure = state.owned.get(partitionKey(event));
        if (tenure === undefined) return;
        // A commit of the batch handed out before the truncation may still be on its way.
        if (event.name === 'truncation' && tenure.position !== undefined && tenure.position > event.offset)
          tenure.truncatedFrom = tenure.position;
        tenure.position = tenure.seekTo = event.offset;
        return;
      }
      default:
        return;
    }
  }

  /** A life that ended without `shutdown_complete` was killed: its tenures end without a clean stop. */
  endLife(state: LifeState): void {
    for (const key of [...state.owned.keys()]) this.endTenure(state, key, false);
  }

  private endTenure(state: LifeState, key: string, clean: boolean): void {
    const tenure = state.owned.get(key);
    state.owned.delete(key);
    // A tenure that consumed nothing leaves the previous end in place: the position did not move.
    if (tenure?.position !== undefined) {
      this.lastEnd.set(key, { clean, position: tenure.position, member: state.name });
      // A killed member may have committed its position without living to print it.
      if (!clean) this.maybeCommitted.set(key, Math.max(this.maybeCommitted.get(key) ?? 0, tenure.position));
    }
  }

  private consumed(state: LifeState, range: ConsumedRange, timestamp: number): void {
    const key = partitionKey(range);
    const { minOffset: min, maxOffset: max } = range;
    let counts = this.delivered.get(key);
    if (counts === undefined) this.delivered.set(key, (counts = new Map()));
    for (let o = min; o <= max; o++) counts.set(o, (counts.get(o) ?? 0) + 1);

    const tenure = state.owned.get(key);
    const who = state.name;
    if (tenure === undefined) {
      this.violate(
        'consumed-unassigned',
        who,
        key,
        timestamp,
        `offsets ${min}..${max} while not owning ${key}`,
      );
      return;
    }
    if (tenure.seekTo !== undefined) {
      if (min !== tenure.seekTo) {
        this.violate(
          'stale-after-seek',
          who,
          key,
          timestamp,
          `sought ${tenure.seekTo}, next batch starts at ${min}`,
        );
      }
    } else if (tenure.position === undefined) {
      this.handoff(who, key, min, timestamp);
    } else if (min < tenure.position) {
      this.violate(
        'replay-in-tenure',
        who,
        key,
        timestamp,
        `position ${tenure.position}, batch starts at ${min}`,
      );
    } else if (min > tenure.position) {
      const skipped = this.acked.countBetween(key, tenure.position, min);
      if (skipped > 0) {
        this.violate(
          'gap-in-tenure',
          who,
          key,
          timestamp,
          `${skipped} acked records in [${tenure.position}, ${min}) skipped`,
        );
      }
    }
    tenure.position = max + 1;
    tenure.seekTo = undefined;
    tenure.truncatedFrom = undefined;
  }

  /** The first batch of a tenure, checked against the last commit and how the previous tenure ended. */
  private handoff(who: string, key: string, min: number, timestamp: number): void {
    const committed = this.committed.get(key);
    if (committed !== undefined && min < committed) {
      this.violate(
        'replay-below-commit',
        who,
        key,
        timestamp,
        `group committed ${committed}, first record ${min}`,
      );
    }
    // Another life still holding the partition (killed, or fenced and not yet told) may have
    // committed its position too.
    let upTo = Math.max(committed ?? 0, this.maybeCommitted.get(key) ?? 0);
    for (const other of this.states) {
      if (other.name !== who) upTo = Math.max(upTo, other.owned.get(key)?.position ?? 0);
    }
    if (committed !== undefined && min > upTo) {
      const skipped = this.acked.countBetween(key, upTo, min);
      if (skipped > 0) {
        this.violate(
          'skip-at-handoff',
          who,
          key,
          timestamp,
          `${skipped} acked records in [${upTo}, ${min}) skipped`,
        );
      }
    }
    const last = this.lastEnd.get(key);
    if (last?.clean && min < last.position) {
      this.violate(
        'replay-after-clean-stop',
        who,
        key,
        timestamp,
        `${last.member} stopped cleanly at ${last.position}, ${who} restarted at ${min}`,
      );
    }
    this.lastEnd.delete(key);
  }

  private commit(state: LifeState, tp: EventPartition, offset: number, timestamp: number): void {
    const key = partitionKey(tp);
    const tenure = state.owned.get(key);
    if (tenure === undefined) {
      this.violate(
        'commit-unassigned',
        state.name,
        key,
        timestamp,
        `committed ${offset} without owning ${key}`,
      );
    } else {
      // Past the position is fine over offsets that hold no record (transaction markers, aborted
      // records): only a commit past an acknowledged record not yet consumed gives that record up.
      const position = tenure.position ?? this.committed.get(key) ?? 0;
      const passed = this.acked.countBetween(key, position, offset);
      const beforeTruncation = tenure.truncatedFrom !== undefined && offset <= tenure.truncatedFrom;
      if (passed > 0 && !beforeTruncation) {
        this.violate(
          'commit-past-position',
          state.name,
          key,
          timestamp,
          `committed ${offset} at position ${tenure.position ?? 'none'}, past ${passed} acked records`,
        );
      }
    }
    this.committed.set(key, offset);
    this.maybeCommitted.delete(key);
  }
}

/**
 * Checks a consumer group's events against Kafka's delivery invariants (see `RULES`), with the
 * producer's acknowledged records as the truth of what was written. Events of all lives are merged by
 * timestamp (every process stamps them with the same machine clock), so a handoff is judged against
 * the commits made before it. A life without `shutdown_complete`, or with `cleanExit: false`, counts
 * as killed.
 *
 * @returns the counts and the verdict: PASS when no rule is broken and nothing acknowledged was lost.
 */
export function checkDelivery(
  acked: AckedRecords,
  lives: readonly MemberLife[],
  options: CheckOptions = {},
): DeliveryReport {
  // Excused records count as never written: neither required, nor a gap when skipped.
  const excused = options.excusedLoss;
  const truth = excused === undefined ? acked : acked.without(excused);
  const states: LifeState[] = lives.map((life) => ({
    name: life.name,
    owned: new Map(),
    cleanExit: life.cleanExit ?? true,
  }));
  const walk = new Walk(truth, states, options.maxViolationsPerRule ?? 20);
  for (const { life, event } of timeline(lives)) walk.apply(states[life]!, event);
  lives.forEach((life, i) => {
    if (!life.events.some((e) => e.name === 'shutdown_complete')) walk.endLife(states[i]!);
  });

  let distinct = 0;
  let duplicates = 0;
  for (const counts of walk.delivered.values()) {
    for (const n of counts.values()) {
      distinct++;
      duplicates += n - 1;
    }
  }
  let lost = 0;
  for (const key of truth.partitions()) {
    const counts = walk.delivered.get(key);
    const missing = truth.offsets(key).filter((o) => !counts?.has(o));
    if (missing.length === 0) continue;
    lost += missing.length;
    const sample = missing.slice(0, 5).join(', ');
    walk.violate('lost', '-', key, 0, `${missing.length} acked records never consumed (first: ${sample})`);
  }
  const broken = Object.keys(walk.counts).length > 0;
  return {
    produced: truth.count,
    consumedDistinct: distinct,
    duplicates,
    lost,
    counts: walk.counts,
    violations: walk.violations,
    verdict: broken ? 'FAIL' : 'PASS',
  };
}
