import type { Exchange, KafkaTrace } from './frames.js';

/*
 * The start-up path of one client as steps: from the capture, the first connection and the first
 * request of each API a consumer needs before it holds a record, and from the client's own report,
 * the moment it held the first record. Times are ms since the client created its consumer.
 */

/** One step of the start-up path. */
export interface StartupStep {
  /** e.g. `connect`, `JoinGroup 2`, `first Fetch`, `first record`. */
  readonly step: string;
  /** When the client sent it (SYN, request's first byte); undefined for the first record. */
  readonly sentMs?: number;
  /** When it was answered (SYN-ACK, response's last byte; for the first record, when it was held). */
  readonly doneMs?: number;
  /** `doneMs` minus the previous step's: the time this step added to the path. */
  readonly gapMs?: number;
  /** Connection number (1 = the first the client opened), for requests. */
  readonly connection?: number;
  /** e.g. `v4 #2` (API version, correlation id), for requests. */
  readonly detail?: string;
}

/** A client's requests before its first record, with times relative to its start. */
export interface StartupRequest extends Exchange {
  readonly connection: number;
}

/** The APIs of the start-up path and how many of their first requests count as steps. */
const STEP_APIS: readonly [api: string, count: number][] = [
  ['ApiVersions', 1],
  ['Metadata', 1],
  ['FindCoordinator', 1],
  ['JoinGroup', 2],
  ['SyncGroup', 1],
  ['ConsumerGroupHeartbeat', 2],
  ['OffsetFetch', 1],
  ['OffsetForLeaderEpoch', 1],
  ['ListOffsets', 1],
];

/** Every step name `startupSteps` can give, in the order of the start-up path (for tables). */
export const STEP_ORDER: readonly string[] = [
  'connect',
  ...STEP_APIS.flatMap(([api, count]) =>
    count > 1 ? Array.from({ length: count }, (_, i) => `${api} ${i + 1}`) : [api],
  ),
  'first Fetch',
  'first Fetch with records',
  'first record',
];

/**
 * @returns the trace's requests sent before `untilMs` (absolute), with connection numbers and times
 *   made relative to `startedAtMs`.
 */
export function requestsBefore(trace: KafkaTrace, startedAtMs: number, untilMs: number): StartupRequest[] {
  const numbers = new Map(trace.connections.map((c, i) => [c.stream, i + 1]));
  return trace.exchanges
    .filter((e) => e.sentMs >= startedAtMs && e.sentMs <= untilMs)
    .map((e) => ({
      ...e,
      connection: numbers.get(e.stream) ?? 0,
      sentMs: e.sentMs - startedAtMs,
      ...(e.answeredMs === undefined ? {} : { answeredMs: e.answeredMs - startedAtMs }),
    }));
}

function requestStep(name: string, e: StartupRequest): StartupStep {
  return {
    step: name,
    sentMs: e.sentMs,
    ...(e.answeredMs === undefined ? {} : { doneMs: e.answeredMs }),
    connection: e.connection,
    detail: `v${e.apiVersion} #${e.correlationId}`,
  };
}

/**
 * Picks the start-up steps out of a client's trace: `connect`, the first request of each API of the
 * path (the first two JoinGroups and ConsumerGroupHeartbeats), the first Fetch and, when it came
 * back empty, the first Fetch that returned records, then `first record` from the client's report.
 *
 * @param startedAtMs the wall clock when the client created its consumer (its report says).
 * @param firstRecordMs when it held its first record, relative to that.
 * @returns the steps in the order they were done, each with its gap to the one before.
 */
export function startupSteps(trace: KafkaTrace, startedAtMs: number, firstRecordMs: number): StartupStep[] {
  const requests = requestsBefore(trace, startedAtMs, startedAtMs + firstRecordMs);
  const steps: StartupStep[] = [];
  const connection = trace.connections.find((c) => c.synMs >= startedAtMs);
  if (connection !== undefined) {
    steps.push({
      step: 'connect',
      sentMs: connection.synMs - startedAtMs,
      ...(connection.synAckMs === undefined ? {} : { doneMs: connection.synAckMs - startedAtMs }),
      connection: 1,
    });
  }
  for (const [api, count] of STEP_APIS) {
    const found = requests.filter((e) => e.apiName === api).slice(0, count);
    for (const [i, e] of found.entries()) steps.push(requestStep(count > 1 ? `${api} ${i + 1}` : api, e));
  }
  const fetches = requests.filter((e) => e.apiName === 'Fetch');
  if (fetches[0] !== undefined) steps.push(requestStep('first Fetch', fetches[0]));
  const withRecords = fetches.find((e) => e.hasRecords === true);
  if (withRecords !== undefined && withRecords !== fetches[0]) {
    steps.push(requestStep('first Fetch with records', withRecords));
  }
  steps.push({ step: 'first record', doneMs: firstRecordMs });
  const ordered = steps.sort((a, b) => (a.doneMs ?? a.sentMs ?? 0) - (b.doneMs ?? b.sentMs ?? 0));
  let previous = 0;
  return ordered.map((s) => {
    if (s.doneMs === undefined) return s;
    const gapMs = s.doneMs - previous;
    previous = s.doneMs;
    return { ...s, gapMs };
  });
}
