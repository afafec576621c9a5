import { describe, expect, it } from 'vitest';
import { parseConsumerPerformance } from './java-performance.js';

const OUTPUT = `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-11-30 17:05:44:130, 2026-11-30 17:05:48:509, 19.5313, 4.4602, 20000, 4567.2528, 2875, 1504, 12.9862, 13297.8723
`;

describe('parseConsumerPerformance', () => {
  it('reads records, bytes and times from the summary row by column name', () => {
    expect(parseConsumerPerformance(`WARN something\n${OUTPUT}`)).toEqual({
      client: 'java',
      records: 20_000,
      bytes: Math.round(19.5313 * 1024 * 1024),
      firstRecordMs: null,
      consumeMs: 1504,
      totalMs: 2875 + 1504,
    });
  });

  it('finds nothing without a summary or with a truncated row', () => {
    expect(parseConsumerPerformance('Exception in thread "main"')).toBeUndefined();
    expect(parseConsumerPerformance(OUTPUT.split('\n')[0]!)).toBeUndefined();
  });
});
