import { describe, expect, it } from 'vitest';
import { barChartSvg, escapeXml, niceCeiling, shortNumber } from './svg.js';

describe('niceCeiling', () => {
  it('rounds up to 1, 2 or 5 times a power of ten', () => {
    expect([0.7, 1, 1.2, 3, 7, 120, 1_900_000].map(niceCeiling)).toEqual([1, 1, 2, 5, 10, 200, 2_000_000]);
  });

  it('is 1 for no positive maximum', () => {
    expect(niceCeiling(0)).toBe(1);
    expect(niceCeiling(Number.NaN)).toBe(1);
  });
});

describe('shortNumber', () => {
  it('abbreviates thousands and millions to three significant digits', () => {
    expect([950, 12_500, 1_234_567, 0.5].map(shortNumber)).toEqual(['950', '12.5k', '1.23M', '0.5']);
  });
});

describe('escapeXml', () => {
  it("escapes XML's special characters", () => {
    expect(escapeXml(`<a & 'b' "c">`)).toBe('&#60;a &#38; &#39;b&#39; &#34;c&#34;&#62;');
  });
});

describe('barChartSvg', () => {
  const chart = {
    title: 'Records/s',
    unit: 'records/s',
    groups: ['100B none p1', '1KiB lz4 p16'],
    series: [
      { name: 'Runnel', values: [1000, 2000] },
      { name: 'KafkaJS <2>', values: [500, undefined] },
    ],
  };

  it('draws one bar per value, none for a missing one, scaled to a nice maximum', () => {
    const svg = barChartSvg(chart);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<title>/g)).toHaveLength(3);
    // The tallest bar (2000 of a 2000 axis) spans the whole 260 px plot.
    expect(svg).toContain('height="260.0" fill="#0072B2"><title>Runnel, 1KiB lz4 p16: 2k records/s');
    expect(svg).toContain('KafkaJS &#60;2&#62;');
  });

  it('rejects a series whose values do not match the groups', () => {
    expect(() => barChartSvg({ ...chart, series: [{ name: 'x', values: [1] }] })).toThrow(RangeError);
  });
});
