import { describe, expect, it } from 'vitest';
import { EventFormatError, parseConsumerEvent, parseProducerEvent } from './events.js';
import { formatReportLine } from './report.js';

describe('parseConsumerEvent', () => {
  it('reads the events the verifiable consumer prints', () => {
    expect(
      parseConsumerEvent(
        '{"timestamp":5,"name":"records_consumed","count":3,"partitions":[{"topic":"t","partition":1,"count":3,"minOffset":7,"maxOffset":9}]}',
      ),
    ).toEqual({
      name: 'records_consumed',
      timestamp: 5,
      count: 3,
      partitions: [{ topic: 't', partition: 1, count: 3, minOffset: 7, maxOffset: 9 }],
    });
    expect(
      parseConsumerEvent(
        '{"timestamp":6,"name":"offsets_committed","offsets":[{"topic":"t","partition":1,"offset":10}],"success":false,"error":"x"}',
      ),
    ).toEqual({
      name: 'offsets_committed',
      timestamp: 6,
      success: false,
      error: 'x',
      offsets: [{ topic: 't', partition: 1, offset: 10 }],
    });
    expect(
      parseConsumerEvent(
        '{"timestamp":3,"name":"record_data","topic":"t","partition":1,"offset":4,"key":null,"value":"17"}',
      ),
    ).toEqual({ name: 'record_data', timestamp: 3, topic: 't', partition: 1, offset: 4, value: '17' });
    expect(parseConsumerEvent('{"timestamp":1,"name":"partitions_lost","partitions":[]}')).toEqual({
      name: 'partitions_lost',
      timestamp: 1,
      partitions: [],
    });
    expect(parseConsumerEvent('{"timestamp":2,"name":"process_stats","rss":1}')).toEqual({
      name: 'other',
      timestamp: 2,
      raw: { timestamp: 2, name: 'process_stats', rss: 1 },
    });
  });

  it('reads a log event that reports a log truncation as a truncation to the divergence point', () => {
    const line =
      '{"timestamp":9,"name":"log","level":"warn","message":"log truncation detected","fields":{"topic":"t","partition":0,"position":120,"truncatedTo":100}}';
    expect(parseConsumerEvent(line)).toEqual({
      name: 'truncation',
      timestamp: 9,
      topic: 't',
      partition: 0,
      offset: 100,
    });
    expect(
      parseConsumerEvent('{"timestamp":9,"name":"log","level":"info","message":"x","fields":{}}'),
    ).toMatchObject({
      name: 'other',
    });
  });

  it('skips lines that are not JSON and refuses JSON events that lack a field', () => {
    expect(parseConsumerEvent('[kafka] some log line')).toBeUndefined();
    expect(() => parseConsumerEvent('{"name":"records_consumed","count":1}')).toThrow(EventFormatError);
    expect(() => parseConsumerEvent('{"name":"records_consumed","count":1}')).toThrow(
      /"partitions" must be a list/,
    );
    expect(() => parseConsumerEvent('{"oops"')).toThrow(/not JSON/);
    expect(() => parseConsumerEvent('{"no":"name"}')).toThrow(/needs a string "name"/);
  });
});

describe('parseProducerEvent', () => {
  it("reads VerifiableProducer's acknowledged and failed sends", () => {
    expect(
      parseProducerEvent(
        '{"timestamp":1,"name":"producer_send_success","key":null,"value":"17","offset":4,"topic":"t","partition":2}',
      ),
    ).toEqual({
      name: 'producer_send_success',
      timestamp: 1,
      topic: 't',
      partition: 2,
      offset: 4,
      key: null,
      value: '17',
    });
    expect(
      parseProducerEvent(
        '{"timestamp":1,"name":"producer_send_error","exception":"class X","message":"timed out","topic":"t","key":null,"value":"3"}',
      ),
    ).toEqual({ name: 'producer_send_error', topic: 't', message: 'timed out' });
  });
});

describe('formatReportLine', () => {
  it('prints scenario, protocol, produced, consumed distinct, duplicates, lost and verdict', () => {
    const line = formatReportLine('latency', 'consumer', {
      produced: 10,
      consumedDistinct: 9,
      duplicates: 2,
      lost: 1,
      counts: { lost: 1, 'gap-in-tenure': 1 },
      violations: [],
      verdict: 'FAIL',
    });
    expect(line).toBe(
      'scenario=latency protocol=consumer produced=10 consumed_distinct=9 duplicates=2 lost=1 verdict=FAIL broken=lost:1,gap-in-tenure:1',
    );
  });
});
