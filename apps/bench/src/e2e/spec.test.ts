import { describe, expect, it } from 'vitest';
import { parseClientReport } from './spec.js';

const report = {
  client: 'kafkajs',
  records: 10,
  bytes: 1000,
  firstRecordMs: 12.5,
  consumeMs: 3,
  totalMs: 15.5,
};

describe('parseClientReport', () => {
  it('reads the report line among log lines', () => {
    const stdout = `starting\n{"level":"INFO"}\n${JSON.stringify(report)}\n`;
    expect(parseClientReport(stdout)).toEqual(report);
  });

  it('takes the last report when a client printed two', () => {
    const second = { ...report, records: 20 };
    expect(parseClientReport(`${JSON.stringify(report)}\n${JSON.stringify(second)}`)?.records).toBe(20);
  });

  it('accepts a null time to first record', () => {
    expect(parseClientReport(JSON.stringify({ ...report, firstRecordMs: null }))?.firstRecordMs).toBeNull();
  });

  it('finds nothing in output without a well-formed report', () => {
    expect(parseClientReport('')).toBeUndefined();
    expect(parseClientReport('{not json')).toBeUndefined();
    expect(parseClientReport(JSON.stringify({ ...report, records: 'ten' }))).toBeUndefined();
    expect(parseClientReport(JSON.stringify({ ...report, consumeMs: null }))).toBeUndefined();
  });
});
