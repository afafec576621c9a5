import type { BenchResults, Cell } from '../e2e/results.js';
import { SETTLE_AFTER_MS } from '../e2e/scenarios.js';
import { median } from '../e2e/stats.js';

/** @returns a number with at most `digits` significant digits and thousands separators; `–` for none. */
export function formatNumber(value: number | undefined, digits = 3): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const rounded = Number(value.toPrecision(digits));
  return rounded.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

/** @returns a ratio as `1.23x`, or `–`. */
export function formatRatio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(2)}x`;
}

/** @returns the line that says which Node the Node clients ran on, or undefined when none ran. */
export function nodeLine(results: BenchResults): string | undefined {
  const node = results.node;
  if (node === undefined) return undefined;
  const release = node.lts === null ? 'Current, not LTS' : `LTS ${node.lts}`;
  return (
    `Every Node client (Runnel included) ran on Node ${node.version} (${release}; ${node.choice}); ` +
    `the harness on ${results.machine.harnessNode}.`
  );
}

/**
 * @returns the time-to-first-record table: one row per scenario, one column per client that took part
 *   (Runnel's protocol variants first), each the median of that client's first-record runs in ms.
 */
export function firstRecordTable(results: BenchResults): string[] {
  const clients = results.clients.filter((c) => results.firstRecord.some((cell) => cell.client === c.id));
  if (clients.length === 0) return [];
  const lines = [
    `| scenario | ${clients.map((c) => c.label).join(' | ')} |`,
    `|---|${clients.map(() => '---:').join('|')}|`,
  ];
  for (const scenario of results.scenarios) {
    const cells = clients.map((c) => {
      const cell = results.firstRecord.find((x) => x.scenario === scenario.id && x.client === c.id);
      if (cell === undefined) return '';
      const failed = cell.failures > 0 ? ` (${cell.failures} failed)` : '';
      return `${formatNumber(cell.firstRecordMs)}${failed}`;
    });
    lines.push(`| ${scenario.id} | ${cells.join(' | ')} |`);
  }
  return lines;
}

/**
 * @returns the line under a throughput scenario's heading: how large its topic was made and whether
 *   the fastest client's median read reached the steady-state time.
 */
export function steadyStateLine(results: BenchResults, scenarioId: string): string | undefined {
  const scenario = results.scenarios.find((s) => s.id === scenarioId);
  const cells = results.cells.filter((c) => c.scenario === scenarioId && c.recordsPerSec !== undefined);
  if (scenario === undefined || cells.length === 0) return undefined;
  const fastest = cells.reduce((a, b) => (b.recordsPerSec! > a.recordsPerSec! ? b : a));
  const labelOf = (id: string) => results.clients.find((c) => c.id === id)?.label ?? id;
  const label = labelOf(fastest.client);
  const readMs = median(
    results.runs
      .filter(
        (r) => r.ok && r.phase === 'throughput' && r.scenario === scenarioId && r.client === fastest.client,
      )
      .map((r) => r.report!.totalMs),
  );
  const mib = (scenario.records * scenario.recordSize) / (1024 * 1024);
  const sizing = scenario.sizing;
  const how = scenario.fixedSize
    ? 'its size set by hand (--records)'
    : sizing === undefined
      ? ''
      : `grown until ${labelOf(sizing.client)} read it for ` +
        `${results.steadyStateMs / 1000} s${sizing.capped ? ', but capped at the size limit first' : ''}`;
  const short = readMs !== undefined && readMs < results.steadyStateMs;
  const prefixes = Object.entries(sizing?.prefixes ?? {}).map(
    ([id, records]) => `${labelOf(id)} the first ${formatNumber(records)} records`,
  );
  return (
    `Topic of ${formatNumber(mib)} MiB of values${how === '' ? '' : `, ${how}`}. ` +
    `The fastest client, ${label}, took ${formatNumber((readMs ?? 0) / 1000)} s (median)` +
    (short
      ? `: **below the ${results.steadyStateMs / 1000} s steady-state time**, start-up weighs in.`
      : '.') +
    (prefixes.length === 0
      ? ''
      : ` Slower than the ${(sizing?.readLimitMs ?? results.maxReadMs ?? 0) / 1000} s read limit over the whole topic, so each ` +
        `timed run read a prefix: ${prefixes.join(', ')} (of ${formatNumber(scenario.records)}).`) +
    (sizing?.settleReads === undefined || sizing.settleReads === 0
      ? ''
      : ` After each prefix read and each run of ${SETTLE_AFTER_MS / 1000} s or more, ${labelOf(sizing.client)} ` +
        `read the whole topic untimed (${sizing.settleReads} settle reads: such a run leaves part of the ` +
        'topic out of the page cache for whoever comes next).')
  );
}

/**
 * @returns the runs per cell as the report says it: `5`, or `3 or 5` for a joined file whose runs had
 *   different counts (the runs column says which cell had which).
 */
export function runsPerCell(results: BenchResults): string {
  const counts = (results.mergedFrom ?? [])
    .filter((p) => p.scenarios.length > 0)
    .map((p) => p.repetitions ?? results.repetitions);
  return [...new Set([results.repetitions, ...counts])].sort((a, b) => a - b).join(' or ');
}

/** @returns the line that says which runs a joined results file was made of. */
export function mergedLine(results: BenchResults): string {
  const parts = results.mergedFrom ?? [];
  const list = parts.map((p) => {
    const what = [
      p.scenarios.join(', '),
      p.replaced === undefined ? '' : `its ${p.replaced.join(', ')} replaced by a later run`,
    ].filter((text) => text !== '');
    return `${p.startedAt.slice(0, 16).replace('T', ' ')} (${what.join('; ')})`;
  });
  return (
    `Joined from ${parts.length} runs: ${list.join('; ')}. Each scenario's clients ran side by side in one ` +
    "run; the load averages are the first run's at its start and the last run's at its end."
  );
}

/**
 * Writes the human summary of a run: the settings, the time-to-first-record table, then one table per
 * throughput scenario with each client's medians and Runnel's ratio against it, then the clients that
 * could not run and why.
 *
 * @returns Markdown text.
 */
export function markdownSummary(results: BenchResults, chartFile?: string): string {
  const label = new Map(results.clients.map((c) => [c.id, c.label]));
  const crc = new Map(results.clients.map((c) => [c.id, c.checksCrc]));
  const lines: string[] = [];
  const node = nodeLine(results);
  lines.push(
    `# End-to-end consumer benchmark, ${results.startedAt.slice(0, 10)}${results.quick ? ' (--quick)' : ''}`,
    '',
    `Kafka ${results.kafka.version} (1 broker, local), ${results.machine.cpus} CPUs, load average ` +
      `${results.machine.loadAverageAtStart.map((x) => x.toFixed(1)).join(' ')} at start and ` +
      `${results.machine.loadAverageAtEnd.map((x) => x.toFixed(1)).join(' ')} at the end (the machine is shared: ` +
      'compare ratios measured side by side, not absolute figures).',
    ...(node === undefined ? [] : [node]),
    ...(results.mergedFrom === undefined ? [] : [mergedLine(results)]),
    `Median of ${runsPerCell(results)} interleaved runs per cell. Fetch settings for every client: ` +
      `fetch.max.bytes ${results.fetch.fetchMaxBytes}, max.partition.fetch.bytes ${results.fetch.maxPartitionFetchBytes}, ` +
      `fetch.min.bytes ${results.fetch.fetchMinBytes}, fetch.max.wait.ms ${results.fetch.fetchMaxWaitMs}; ` +
      'group subscription from the earliest offset (unless the client says otherwise), auto-commit off, read_uncommitted.',
    `${results.producer}`,
    `${results.measurement}`,
    '',
  );
  const firstRecord = firstRecordTable(results);
  if (firstRecord.length > 0) {
    lines.push(
      '## Time to first record, ms',
      '',
      'From creating the consumer to holding the first record, on a fresh group (median of runs that stop at ' +
        'the first record; module loading and the runtime start are outside).',
      '',
      ...firstRecord,
      '',
    );
  }
  if (chartFile !== undefined && results.cells.length > 0)
    lines.push(`![MB/s per client and scenario](${chartFile})`, '');
  for (const scenario of results.scenarios) {
    const cells = results.cells.filter((c) => c.scenario === scenario.id);
    if (cells.length === 0) continue;
    const steady = steadyStateLine(results, scenario.id);
    lines.push(
      `## ${scenario.id}: ${scenario.records.toLocaleString('en-US')} records of ${scenario.recordSize} B, ` +
        `${scenario.compression}, ${scenario.partitions} partition${scenario.partitions === 1 ? '' : 's'}`,
      '',
      ...(steady === undefined ? [] : [steady, '']),
      '| client | CRC check | records/s | MB/s | CPU µs/record | peak RSS MiB | first record ms | Runnel/peer records/s | Runnel/peer CPU | runs |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const cell of cells)
      lines.push(row(cell, label.get(cell.client) ?? cell.client, crc.get(cell.client)));
    lines.push('');
  }
  const missing = results.clients.filter((c) => !c.available);
  if (missing.length > 0) {
    lines.push('## Not run', '');
    for (const c of missing) lines.push(`- ${c.label}: ${(c.reason ?? 'not available').split('\n')[0]}`);
    lines.push('');
  }
  lines.push('## Clients', '');
  for (const c of results.clients.filter((x) => x.available)) lines.push(`- ${c.label}: ${c.notes}`);
  lines.push('');
  if (results.micro.length > 0) {
    lines.push('## Micro-benchmarks', '');
    for (const m of results.micro) {
      lines.push(
        `- ${m.name}: ${m.ok ? 'ok' : 'failed'}${m.files.length > 0 ? ` (${m.files.join(', ')})` : ''}`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

function row(cell: Cell, name: string, checksCrc: boolean | undefined): string {
  const isRunnel = cell.client === 'runnel';
  return `| ${name} | ${checksCrc === true ? 'yes' : 'no'} | ${formatNumber(cell.recordsPerSec)} | ${formatNumber(cell.mbPerSec)} | ${formatNumber(cell.cpuUsPerRecord)} | ${formatNumber(cell.peakRssMiB)} | ${formatNumber(cell.firstRecordMs)} | ${isRunnel ? '' : formatRatio(cell.runnelThroughputRatio)} | ${isRunnel ? '' : formatRatio(cell.runnelCpuRatio)} | ${cell.runs}${cell.failures > 0 ? ` (${cell.failures} failed)` : ''} |`;
}
