import type { Phase } from './client-adapter.js';
import type { ProcessUsage } from './measure.js';
import type { Scenario } from './scenarios.js';
import type { ClientReport, FetchSettings } from './spec.js';
import { median, ratio } from './stats.js';

/** One client run of one scenario. */
export interface RunRecord {
  readonly scenario: string;
  readonly client: string;
  /** `throughput`: the whole topic; `first-record`: until the first record. */
  readonly phase: Phase;
  /** 0-based repetition. */
  readonly rep: number;
  readonly ok: boolean;
  /** Why the run failed (exit status and the tail of stderr). */
  readonly error?: string;
  readonly report?: ClientReport;
  readonly usage?: ProcessUsage;
}

/** A client as the results list it. */
export interface ClientEntry {
  readonly id: string;
  readonly label: string;
  readonly checksCrc: boolean;
  readonly notes: string;
  readonly available: boolean;
  readonly reason?: string;
}

/** The medians of one client in one scenario, and Runnel's ratios against it. */
export interface Cell {
  readonly scenario: string;
  readonly client: string;
  /** Successful runs the medians are taken over. */
  readonly runs: number;
  readonly failures: number;
  /** Records over the time from creating the consumer to the last record (join and first fetch included). */
  readonly recordsPerSec?: number;
  /** Key and value MiB over the same time. */
  readonly mbPerSec?: number;
  /** Records over the time from the first record to the last: the rate once data flows. */
  readonly steadyRecordsPerSec?: number;
  /** Whole-process CPU (start-up, join and close included) per record, in microseconds. */
  readonly cpuUsPerRecord?: number;
  readonly peakRssMiB?: number;
  readonly firstRecordMs?: number;
  /** Runnel's records/s over this client's (above 1: Runnel is faster). */
  readonly runnelThroughputRatio?: number;
  /** Runnel's CPU per record over this client's (below 1: Runnel uses less). */
  readonly runnelCpuRatio?: number;
  /** Runnel's peak RSS over this client's (below 1: Runnel uses less). */
  readonly runnelRssRatio?: number;
}

/** The median time to first record of one client in one scenario, from its `first-record` runs. */
export interface FirstRecordCell {
  readonly scenario: string;
  readonly client: string;
  readonly runs: number;
  readonly failures: number;
  readonly firstRecordMs?: number;
  /** The fastest and slowest run, to show the spread. */
  readonly minMs?: number;
  readonly maxMs?: number;
}

/** How a throughput topic was sized: each read of the calibration client and what it led to. */
export interface DatasetSizing {
  /** The client whose untimed reads sized the topic (the fastest peer); also the page-cache warm-up. */
  readonly client: string;
  readonly steps: readonly { readonly records: number; readonly readMs?: number; readonly error?: string }[];
  /** Records in the topic at the end, which every client then reads unless `prefixes` names it. */
  readonly records: number;
  /** True when the topic reached `MAX_TOPIC_BYTES` before the read was steady-state long. */
  readonly capped: boolean;
  /**
   * Clients that would read the whole topic for longer than the read limit, and the records each read
   * instead (a prefix sized from an untimed probe read of an eighth of the topic).
   */
  readonly prefixes?: Readonly<Record<string, number>>;
  /**
   * The read limit (`--max-read-seconds`, in ms) `prefixes` were sized under: kept with the scenario,
   * since a joined file's runs may each have had their own.
   */
  readonly readLimitMs?: number;
  /**
   * How often the sizing client read the whole topic, untimed, between timed runs: after each prefix
   * read and each run of 30 s or more (`settleRead`); absent in results from before it did.
   */
  readonly settleReads?: number;
}

/** The Node release every Node client ran on. */
export interface NodeEntry {
  readonly version: string;
  readonly lts: string | null;
  /** How it was chosen: `--node` or the default. */
  readonly choice: string;
}

/** The file `apps/bench/results/<date>.json`. */
export interface BenchResults {
  readonly schema: 2;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly quick: boolean;
  readonly repetitions: number;
  readonly machine: {
    readonly cpus: number;
    readonly loadAverageAtStart: readonly number[];
    readonly loadAverageAtEnd: readonly number[];
    /** The Node that ran the harness (not the clients: see `node`). */
    readonly harnessNode: string;
    readonly platform: string;
  };
  /** The Node every Node client ran on; undefined when no end-to-end scenario ran. */
  readonly node?: NodeEntry;
  /** The shortest read of the fastest client a throughput topic is sized for, in ms. */
  readonly steadyStateMs: number;
  /**
   * The longest timed read of one client, in ms (0: none); absent in files written before it existed,
   * when every client read the whole topic. The measurement is the same rate either way, so parts with
   * different limits may be joined.
   */
  readonly maxReadMs?: number;
  readonly kafka: { readonly version: string; readonly brokers: 1 };
  readonly fetch: FetchSettings;
  readonly producer: string;
  readonly measurement: string;
  readonly clients: readonly ClientEntry[];
  readonly scenarios: readonly (Scenario & { readonly fill?: unknown; readonly sizing?: DatasetSizing })[];
  readonly runs: readonly RunRecord[];
  /** Throughput medians. */
  readonly cells: readonly Cell[];
  readonly firstRecord: readonly FirstRecordCell[];
  readonly micro: readonly MicroResult[];
  /** Present when joined from runs of parts of the matrix (`merge.js`): each part, oldest first. */
  readonly mergedFrom?: readonly MergedPart[];
}

/** One run a joined results file was made of. */
export interface MergedPart {
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The scenarios taken from this run. */
  readonly scenarios: readonly string[];
  /** Scenarios this run also measured that a later run of them replaced (`merge.js --replace`). */
  readonly replaced?: readonly string[];
  /** Its runs per cell; absent in files joined before runs of different counts could be. */
  readonly repetitions?: number;
}

/** One micro-benchmark program the runner started (codec, assignors). */
export interface MicroResult {
  readonly name: string;
  readonly ok: boolean;
  /** Files it wrote, or the tail of its output. */
  readonly files: readonly string[];
  readonly output: string;
}

/** @returns the medians of one client's successful throughput runs of one scenario. */
export function cellOf(scenario: string, client: string, runs: readonly RunRecord[]): Cell {
  const mine = runs.filter((r) => r.scenario === scenario && r.client === client && r.phase === 'throughput');
  const good = mine.filter((r) => r.ok && r.report !== undefined);
  const pick = (f: (r: RunRecord) => number | undefined) =>
    median(good.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x)));
  // A run that read everything in one fetch has a consume time near 0; 1 ms keeps the rate finite.
  const total = (r: RunRecord) => Math.max(r.report!.totalMs, 1) / 1000;
  const steady = (r: RunRecord) => Math.max(r.report!.consumeMs, 1) / 1000;
  return {
    scenario,
    client,
    runs: good.length,
    failures: mine.length - good.length,
    recordsPerSec: pick((r) => r.report!.records / total(r)),
    mbPerSec: pick((r) => r.report!.bytes / (1024 * 1024) / total(r)),
    steadyRecordsPerSec: pick((r) => r.report!.records / steady(r)),
    cpuUsPerRecord: pick((r) =>
      r.usage === undefined ? undefined : (r.usage.cpuMs * 1000) / r.report!.records,
    ),
    peakRssMiB: pick((r) => (r.usage === undefined ? undefined : r.usage.peakRssKiB / 1024)),
    firstRecordMs: pick((r) => r.report!.firstRecordMs ?? undefined),
  };
}

/**
 * @returns every scenario x client cell of the first-record phase (median, fastest and slowest run),
 *   in scenario order, then client order; clients without such runs are left out.
 */
export function firstRecordCells(
  scenarios: readonly string[],
  clients: readonly string[],
  runs: readonly RunRecord[],
): FirstRecordCell[] {
  const cells: FirstRecordCell[] = [];
  for (const scenario of scenarios) {
    for (const client of clients) {
      const mine = runs.filter(
        (r) => r.scenario === scenario && r.client === client && r.phase === 'first-record',
      );
      if (mine.length === 0) continue;
      const times = mine
        .map((r) => (r.ok ? r.report?.firstRecordMs : undefined))
        .filter((x): x is number => typeof x === 'number');
      cells.push({
        scenario,
        client,
        runs: times.length,
        failures: mine.length - times.length,
        ...(times.length === 0
          ? {}
          : { firstRecordMs: median(times)!, minMs: Math.min(...times), maxMs: Math.max(...times) }),
      });
    }
  }
  return cells;
}

/**
 * Computes every scenario x client throughput cell and, for each peer, Runnel's ratios in the same scenario.
 *
 * @returns cells in scenario order, then client order.
 */
export function computeCells(
  scenarios: readonly string[],
  clients: readonly string[],
  runs: readonly RunRecord[],
): Cell[] {
  const cells: Cell[] = [];
  for (const scenario of scenarios) {
    const runnel = cellOf(scenario, 'runnel', runs);
    for (const client of clients) {
      const cell = client === 'runnel' ? runnel : cellOf(scenario, client, runs);
      if (cell.runs === 0 && cell.failures === 0) continue;
      cells.push({
        ...cell,
        runnelThroughputRatio: ratio(runnel.recordsPerSec, cell.recordsPerSec),
        runnelCpuRatio: ratio(runnel.cpuUsPerRecord, cell.cpuUsPerRecord),
        runnelRssRatio: ratio(runnel.peakRssMiB, cell.peakRssMiB),
      });
    }
  }
  return cells;
}
