/*
 * A small SVG writer for grouped bar charts: one group per scenario, one bar per client. It writes
 * plain SVG 1.1 with inline attributes (no CSS, no scripts) so it renders on GitHub and in any browser.
 */

/** One series of bars: a client and its value in each group (undefined: no bar). */
export interface BarSeries {
  readonly name: string;
  readonly values: readonly (number | undefined)[];
}

export interface BarChart {
  readonly title: string;
  /** Label under each group. */
  readonly groups: readonly string[];
  readonly series: readonly BarSeries[];
  /** Axis label, e.g. `records/s`. */
  readonly unit: string;
}

/** Colour-blind-safe palette (Okabe and Ito). */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

/** @returns the text with XML's special characters escaped. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * @returns a "nice" axis maximum at or above `max`: 1, 2 or 5 times a power of ten (1 for max <= 0).
 */
export function niceCeiling(max: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/** @returns a short human form of a number: `950`, `12.5k`, `1.2M`. */
export function shortNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e3) return `${trim(value / 1e3)}k`;
  return trim(value);
}

function trim(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

/**
 * Draws a grouped bar chart.
 *
 * @returns the SVG document.
 * @throws RangeError when a series has a different number of values than there are groups.
 */
export function barChartSvg(chart: BarChart): string {
  for (const s of chart.series) {
    if (s.values.length !== chart.groups.length) {
      throw new RangeError(
        `series ${s.name} has ${s.values.length} values for ${chart.groups.length} groups`,
      );
    }
  }
  const bar = 16;
  const gap = 24;
  const left = 70;
  const top = 50;
  const plotHeight = 260;
  const groupWidth = Math.max(1, chart.series.length) * bar + gap;
  const plotWidth = Math.max(groupWidth * chart.groups.length, 200);
  const legendHeight = 20 * Math.ceil(chart.series.length / 3);
  const width = Math.max(left + plotWidth + 20, left + 3 * 200);
  const height = top + plotHeight + 70 + legendHeight;
  const max = niceCeiling(
    Math.max(0, ...chart.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined))),
  );
  const y = (value: number) => top + plotHeight - (value / max) * plotHeight;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(chart.title)}</text>`,
    `<text x="14" y="${top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 14 ${top + plotHeight / 2})">${escapeXml(chart.unit)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const value = (max * i) / 4;
    const at = y(value).toFixed(1);
    out.push(
      `<line x1="${left}" x2="${left + plotWidth}" y1="${at}" y2="${at}" stroke="#dddddd"/>`,
      `<text x="${left - 6}" y="${at}" text-anchor="end" dominant-baseline="middle">${shortNumber(value)}</text>`,
    );
  }
  chart.groups.forEach((group, g) => {
    const x0 = left + g * groupWidth + gap / 2;
    chart.series.forEach((s, i) => {
      const value = s.values[g];
      if (value === undefined) return;
      const x = x0 + i * bar;
      const yTop = y(value);
      out.push(
        `<rect x="${x}" y="${yTop.toFixed(1)}" width="${bar - 2}" height="${(top + plotHeight - yTop).toFixed(1)}" fill="${PALETTE[i % PALETTE.length]}"><title>${escapeXml(`${s.name}, ${group}: ${shortNumber(value)} ${chart.unit}`)}</title></rect>`,
      );
    });
    out.push(
      `<text x="${x0 + (chart.series.length * bar) / 2}" y="${top + plotHeight + 16}" text-anchor="middle">${escapeXml(group)}</text>`,
    );
  });
  out.push(
    `<line x1="${left}" x2="${left + plotWidth}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="#333333"/>`,
  );
  chart.series.forEach((s, i) => {
    const x = left + (i % 3) * 200;
    const yy = top + plotHeight + 40 + Math.floor(i / 3) * 20;
    out.push(
      `<rect x="${x}" y="${yy - 9}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`,
      `<text x="${x + 18}" y="${yy + 1}">${escapeXml(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
