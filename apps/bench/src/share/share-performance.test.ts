import { describe, expect, it } from 'vitest';
import { parseShareConsumerPerformance } from './share-performance.js';

describe('parseShareConsumerPerformance', () => {
  it("reads the records, bytes and time of the tool's summary (Kafka 4.4's format)", () => {
    const stdout = [
      'Starting share consumer/consumers...',
      'start.time, end.time, data.consumed.in.MB, MB.sec, nMsg.sec, data.consumed.in.nMsg, fetch.time.ms',
      '2026-12-05 00:03:21:843, 2026-12-05 00:03:31:415, 19.0735, 1.9926, 20894.2750, 200000, 9572',
    ].join('\n');
    expect(parseShareConsumerPerformance(stdout)).toEqual({
      records: 200_000,
      bytes: 20_000_014,
      totalMs: 9572,
    });
  });

  it('says nothing when the tool printed no summary, or a row that does not read', () => {
    expect(
      parseShareConsumerPerformance('WARNING: Exiting before consuming the expected number of records'),
    ).toBeUndefined();
    expect(
      parseShareConsumerPerformance(
        'start.time, end.time, data.consumed.in.MB, MB.sec, nMsg.sec, data.consumed.in.nMsg, fetch.time.ms\n',
      ),
    ).toBeUndefined();
  });
});
