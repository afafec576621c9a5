import { STEP_ORDER, type StartupRequest, type StartupStep } from '../e2e/trace/steps.js';
import { formatNumber } from './markdown.js';

/** One client's traced start. */
export interface ClientTrace {
  readonly client: string;
  readonly label: string;
  /** From the client's own report: creating the consumer to holding the first record. */
  readonly firstRecordMs?: number;
  readonly steps: readonly StartupStep[];
  readonly requests: readonly StartupRequest[];
  /** Why this client has no trace. */
  readonly error?: string;
}

/** The file `apps/bench/results/<date>-startup.json`. */
export interface StartupResults {
  readonly schema: 1;
  readonly startedAt: string;
  readonly kafka: string;
  /** e.g. `Node 24.22.3 (LTS Krypton)`. */
  readonly node: string;
  readonly scenario: string;
  /** How the traffic was recorded. */
  readonly method: string;
  readonly loadAverage: readonly number[];
  readonly clients: readonly ClientTrace[];
}

function ms(value: number | undefined): string {
  return value === undefined ? '–' : formatNumber(value, 3);
}

/**
 * @returns a table with one row per step some client took (in the order of the start-up path) and
 *   one column per client: when the step was done, in ms since the client's start.
 */
export function sideBySide(traces: readonly ClientTrace[]): string[] {
  const ok = traces.filter((t) => t.error === undefined);
  const names = STEP_ORDER.filter((name) => ok.some((t) => t.steps.some((s) => s.step === name)));
  const lines = [
    `| step | ${ok.map((t) => t.label).join(' | ')} |`,
    `|---|${ok.map(() => '---:').join('|')}|`,
  ];
  for (const name of names) {
    lines.push(
      `| ${name} | ${ok.map((t) => ms(t.steps.find((s) => s.step === name)?.doneMs)).join(' | ')} |`,
    );
  }
  return lines;
}

/** @returns one client's step table: when each step was sent and done, and the time it added. */
export function stepTable(trace: ClientTrace): string[] {
  return [
    '| step | conn | request | sent ms | done ms | gap ms |',
    '|---|---:|---|---:|---:|---:|',
    ...trace.steps.map(
      (s) =>
        `| ${s.step} | ${s.connection ?? ''} | ${s.detail ?? ''} | ${ms(s.sentMs)} | ${ms(s.doneMs)} | ${ms(s.gapMs)} |`,
    ),
  ];
}

/** @returns every request a client sent before its first record, with its round trip. */
export function requestTable(trace: ClientTrace): string[] {
  return [
    '| sent ms | answered ms | round trip ms | conn | API | version | correlation id |',
    '|---:|---:|---:|---:|---|---:|---:|',
    ...trace.requests.map(
      (r) =>
        `| ${ms(r.sentMs)} | ${ms(r.answeredMs)} | ${ms(r.answeredMs === undefined ? undefined : r.answeredMs - r.sentMs)} | ` +
        `${r.connection} | ${r.apiName}${r.hasRecords === true ? ' (records)' : ''} | ${r.apiVersion} | ${r.correlationId} |`,
    ),
  ];
}

/** @returns the Markdown report of a start-up trace. */
export function startupMarkdown(results: StartupResults): string {
  const lines = [
    `# Start-up trace, ${results.startedAt.slice(0, 10)}`,
    '',
    `Kafka ${results.kafka} (1 broker, local); ${results.node} for the Node clients; topic ${results.scenario}, ` +
      `fresh group per client; load average ${results.loadAverage.map((x) => x.toFixed(1)).join(' ')} at the start. ` +
      `${results.method}`,
    '',
    'Times are ms since the client created its consumer (module loading and the runtime start are outside). A ' +
      "request step is done when its response's last byte arrived; `connect` when the broker's SYN-ACK came; " +
      "`first record` is the client's own clock. The gap is what a step added after the one before it: a gap much " +
      "longer than the step's own round trip (done minus sent) is time the client spent before sending it.",
    '',
    '## Side by side (done ms)',
    '',
    ...sideBySide(results.clients),
    '',
  ];
  for (const trace of results.clients) {
    lines.push(`## ${trace.label}`, '');
    if (trace.error !== undefined) {
      lines.push(`No trace: ${trace.error.split('\n')[0]}`, '');
      continue;
    }
    lines.push(
      ...stepTable(trace),
      '',
      'Every request before the first record:',
      '',
      ...requestTable(trace),
      '',
    );
  }
  return lines.join('\n');
}
