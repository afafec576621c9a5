/**
 * What every client run of the end-to-end benchmark is given and what it answers, shared by the parent
 * runner and the child programs (Node clients here, franz-go and Java through their own flags).
 */

/** Fetch settings every client gets, in Java's names and units. */
export interface FetchSettings {
  /** `fetch.max.bytes` */
  readonly fetchMaxBytes: number;
  /** `max.partition.fetch.bytes` */
  readonly maxPartitionFetchBytes: number;
  /** `fetch.min.bytes` */
  readonly fetchMinBytes: number;
  /** `fetch.max.wait.ms` */
  readonly fetchMaxWaitMs: number;
}

/** Java's defaults, which every peer can be set to. */
export const FETCH_SETTINGS: FetchSettings = {
  fetchMaxBytes: 52_428_800,
  maxPartitionFetchBytes: 1_048_576,
  fetchMinBytes: 1,
  fetchMaxWaitMs: 500,
};

/** How a client variant takes its partitions and which client options go over the shared ones. */
export interface ClientVariant {
  /** `subscribe`: group membership in `groupId`; `assign`: every partition by hand, no group. */
  readonly mode: 'subscribe' | 'assign';
  readonly config: Readonly<Record<string, unknown>>;
  /** Where to load @runnel/consumer from (a file URL of its dist/index.js); absent: the workspace's build. */
  readonly module?: string;
}

/**
 * One client run: read `records` records of `topic` from the earliest offset, in group `groupId`
 * (a client stops at the first batch that reaches the count, so 1 means "until the first record").
 */
export interface ClientRunSpec {
  readonly brokers: string;
  readonly topic: string;
  /** The topic's partition count (for clients that assign partitions by hand). */
  readonly partitions: number;
  readonly groupId: string;
  readonly records: number;
  readonly fetch: FetchSettings;
  /** The run fails when not done by then. */
  readonly timeoutMs: number;
  /** Where a Node peer's packages are installed (a dir holding `node_modules`). */
  readonly peerDir?: string;
  /** The package a client program with a KafkaJS-shaped API loads (`kafkajs`, `@runnel/kafkajs`). */
  readonly module?: string;
  /** Runnel's variant; absent means subscribe with the default options. */
  readonly variant?: ClientVariant;
}

/** The JSON line a client prints when it has read every record. Times are the client's own clock. */
export interface ClientReport {
  readonly client: string;
  readonly records: number;
  /** Key plus value bytes of the records read. */
  readonly bytes: number;
  /** From creating the consumer to holding the first record (connect, join, first fetch). */
  readonly firstRecordMs: number | null;
  /** From the first record to the last. */
  readonly consumeMs: number;
  /** From creating the consumer to holding the last record. */
  readonly totalMs: number;
  /**
   * The wall clock when the consumer was created, in ms since the epoch (fractional), so a packet
   * capture of the run can be lined up with it; absent for clients that do not say.
   */
  readonly startedAtMs?: number;
}

/**
 * Reads a client's JSON report from its stdout: the last line that parses as one.
 *
 * @returns the report, or undefined when no line is a report.
 */
export function parseClientReport(stdout: string): ClientReport | undefined {
  const lines = stdout.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith('{')) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (isReport(value)) return value;
  }
  return undefined;
}

function isReport(value: unknown): value is ClientReport {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  return (
    typeof r.client === 'string' &&
    finite(r.records) &&
    finite(r.bytes) &&
    (r.firstRecordMs === null || finite(r.firstRecordMs)) &&
    finite(r.consumeMs) &&
    finite(r.totalMs) &&
    (r.startedAtMs === undefined || finite(r.startedAtMs))
  );
}
