import type { DeliveryReport } from './check.js';

/**
 * The one line a scenario prints: scenario, protocol, records produced, consumed distinct,
 * duplicates, lost, verdict (and, on FAIL, the broken rules with their counts).
 *
 * @returns e.g. `scenario=latency protocol=consumer produced=6000 consumed_distinct=6000 duplicates=0 lost=0 verdict=PASS`.
 */
export function formatReportLine(scenario: string, protocol: string, report: DeliveryReport): string {
  const fields = [
    `scenario=${scenario}`,
    `protocol=${protocol}`,
    `produced=${report.produced}`,
    `consumed_distinct=${report.consumedDistinct}`,
    `duplicates=${report.duplicates}`,
    `lost=${report.lost}`,
    `verdict=${report.verdict}`,
  ];
  const broken = Object.entries(report.counts).map(([rule, n]) => `${rule}:${n}`);
  if (broken.length > 0) fields.push(`broken=${broken.join(',')}`);
  return fields.join(' ');
}

/** @returns the report's violations, one per line, for a failure message. */
export function formatViolations(report: DeliveryReport): string {
  return report.violations
    .map((v) => `${v.rule} ${v.partition} ${v.member} @${v.timestamp}: ${v.detail}`)
    .join('\n');
}
