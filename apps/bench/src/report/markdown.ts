import type { BenchResults, Cell } from '../e2e/results.js';

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

/**
 * Writes the human summary of a run: the settings, then one table per scenario with each client's
 * medians and Runnel's ratio against it, then the clients that could not run and why.
 *
 * @returns Markdown text.
 */
export function markdownSummary(results: BenchResults, chartFile?: string): string {
  const label = new Map(results.clients.map((c) => [c.id, c.label]));
  const crc = new Map(results.clients.map((c) => [c.id, c.checksCrc]));
  const lines: string[] = [];
  lines.push(
    `# End-to-end consumer benchmark, ${results.startedAt.slice(0, 10)}${results.quick ? ' (--quick)' : ''}`,
    '',
    `Kafka ${results.kafka.version} (1 broker, local), ${results.machine.cpus} CPUs, load average ` +
      `${results.machine.loadAverageAtStart.map((x) => x.toFixed(1)).join(' ')} at start and ` +
      `${results.machine.loadAverageAtEnd.map((x) => x.toFixed(1)).join(' ')} at the end (the machine is shared: ` +
      'compare ratios measured side by side, not absolute figures).',
    `Median of ${results.repetitions} interleaved runs per cell. Fetch settings for every client: ` +
      `fetch.max.bytes ${results.fetch.fetchMaxBytes}, max.partition.fetch.bytes ${results.fetch.maxPartitionFetchBytes}, ` +
      `fetch.min.bytes ${results.fetch.fetchMinBytes}, fetch.max.wait.ms ${results.fetch.fetchMaxWaitMs}; ` +
      'group subscription from the earliest offset, auto-commit off, read_uncommitted.',
    `${results.producer}`,
    `${results.measurement}`,
    '',
  );
  if (chartFile !== undefined) lines.push(`![MB/s per client and scenario](${chartFile})`, '');
  for (const scenario of results.scenarios) {
    const cells = results.cells.filter((c) => c.scenario === scenario.id);
    if (cells.length === 0) continue;
    lines.push(
      `## ${scenario.id}: ${scenario.records.toLocaleString('en-US')} records of ${scenario.recordSize} B, ` +
        `${scenario.compression}, ${scenario.partitions} partition${scenario.partitions === 1 ? '' : 's'}`,
      '',
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
