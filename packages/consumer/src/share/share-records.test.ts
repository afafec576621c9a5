import { TimestampType } from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import type { ConsumerRecord } from '../batch.js';
import { IllegalStateError } from '../errors.js';
import {
  AcquisitionLockTimeoutError,
  InvalidAcknowledgeTypeError,
  RecordAlreadyAcknowledgedError,
  RecordNotAcquiredError,
} from './share-errors.js';
import { AckCode, ackCodeOf, ShareDelivery } from './share-records.js';

const LOCK_EXPIRES_AT = 50_000;
const owner = {};

function record(offset: number): ConsumerRecord {
  return {
    topic: 'jobs',
    partition: 2,
    offset,
    leaderEpoch: 0,
    timestamp: 1_700_000_000_000,
    timestampType: TimestampType.createTime,
    key: null,
    value: new TextEncoder().encode(`job-${offset}`),
    headers: [],
  };
}

/** A delivery of offsets 10..12 (delivery counts 1, 2, 1) and what it sent. */
function delivery() {
  const sent: [number, AckCode][] = [];
  const d = new ShareDelivery(
    owner,
    'jobs',
    2,
    [
      { record: record(10), deliveryCount: 1 },
      { record: record(11), deliveryCount: 2 },
      { record: record(12), deliveryCount: 1 },
    ],
    LOCK_EXPIRES_AT,
    600,
    (_d, offset, code) => sent.push([offset, code]),
  );
  return { d, sent, records: d.batch.records };
}

describe('a share delivery', () => {
  it('hands out the records with their delivery counts, views of the fetched record', () => {
    const { d } = delivery();
    expect(d.batch).toMatchObject({
      topic: 'jobs',
      partition: 2,
      firstOffset: 10,
      lastOffset: 12,
      lockExpiresAt: LOCK_EXPIRES_AT,
    });
    expect(
      d.batch.records.map((r) => [r.offset, r.deliveryCount, new TextDecoder().decode(r.value!)]),
    ).toEqual([
      [10, 1, 'job-10'],
      [11, 2, 'job-11'],
      [12, 1, 'job-12'],
    ]);
  });

  it('sends each acknowledgement once, with its wire code', () => {
    const { d, sent, records } = delivery();
    const at = ShareDelivery.of(records[1], owner);
    expect(at.delivery).toBe(d);
    d.acknowledge(at.index, ackCodeOf('release'), 1_000);
    d.acknowledge(0, ackCodeOf('reject'), 1_000);
    expect(sent).toEqual([
      [11, AckCode.release],
      [10, AckCode.reject],
    ]);
    expect(d.unacknowledged).toBe(1);
  });

  it('refuses a second acknowledgement of a record, saying how it was acknowledged, and sends nothing', () => {
    const { d, sent } = delivery();
    d.acknowledge(1, AckCode.accept, 1_000);
    const error = (() => {
      try {
        d.acknowledge(1, AckCode.reject, 1_000);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RecordAlreadyAcknowledgedError);
    expect(error).toMatchObject({ code: 'ERR_RECORD_ALREADY_ACKNOWLEDGED', offset: 11, previous: 'accept' });
    expect(sent).toEqual([[11, AckCode.accept]]);
  });

  it('refuses an acknowledgement once the acquisition lock ran out, and records nothing', () => {
    const { d, sent } = delivery();
    expect(() => d.acknowledge(0, AckCode.accept, LOCK_EXPIRES_AT)).toThrow(AcquisitionLockTimeoutError);
    expect(() => d.acknowledge(0, AckCode.accept, LOCK_EXPIRES_AT)).toThrow(/no longer this consumer's/);
    expect(sent).toEqual([]);
    expect(d.unacknowledged).toBe(3);
  });

  it.each([
    ['another consumer', () => delivery().records[0], {}],
    ['a copy of a record', () => ({ ...delivery().records[0] }), owner],
    ['a plain record', () => record(10), owner],
    ['something else', () => 42, owner],
  ])('refuses %s as not acquired by this consumer', (_name, make, who) => {
    expect(() => ShareDelivery.of(make(), who)).toThrow(RecordNotAcquiredError);
  });

  it('refuses a record of a finished delivery', () => {
    const { d, records } = delivery();
    d.finish('implicit', 1_000);
    expect(() => ShareDelivery.of(records[0], owner)).toThrow(RecordNotAcquiredError);
  });

  it.each(['ACCEPT', 'renew', 'gap', '', 1, null, undefined])(
    'refuses the acknowledgement type %j',
    (type) => {
      expect(() => ackCodeOf(type)).toThrow(InvalidAcknowledgeTypeError);
    },
  );

  it('implicit mode: finishing accepts what the user did not acknowledge', () => {
    const { d, sent } = delivery();
    d.acknowledge(1, AckCode.release, 1_000);
    expect(d.finish('implicit', 1_000)).toBe(0);
    expect(sent).toEqual([
      [11, AckCode.release],
      [10, AckCode.accept],
      [12, AckCode.accept],
    ]);
    expect(d.finished).toBe(true);
  });

  it('explicit mode: finishing with records not acknowledged throws IllegalStateError and changes nothing', () => {
    const { d, sent } = delivery();
    d.acknowledge(0, AckCode.accept, 1_000);
    expect(() => d.finish('explicit', 1_000)).toThrow(IllegalStateError);
    expect(() => d.finish('explicit', 1_000)).toThrow(
      /2 record\(s\) of jobs-2 \(offsets 10-12\) are not acknowledged/,
    );
    expect(d.finished).toBe(false);
    d.acknowledge(1, AckCode.accept, 1_000);
    d.acknowledge(2, AckCode.reject, 1_000);
    d.finish('explicit', 1_000);
    expect(d.finished).toBe(true);
    expect(sent.map(([o]) => o)).toEqual([10, 11, 12]);
  });

  it('a failed handler: implicit mode accepts the records before the failure and releases the rest', () => {
    const { d, sent } = delivery();
    d.release('implicit', 1_000, 1);
    expect(sent).toEqual([
      [10, AckCode.accept],
      [11, AckCode.release],
      [12, AckCode.release],
    ]);
  });

  it('a failed handler or a close: explicit mode releases every record the user did not acknowledge', () => {
    const { d, sent } = delivery();
    d.acknowledge(0, AckCode.accept, 1_000);
    d.release('explicit', 1_000, 2);
    expect(sent).toEqual([
      [10, AckCode.accept],
      [11, AckCode.release],
      [12, AckCode.release],
    ]);
  });

  it.each(['implicit', 'explicit'] as const)(
    'past the lock, finishing (%s) sends nothing and counts the records, which are no longer ours',
    (mode) => {
      const { d, sent } = delivery();
      expect(d.finish(mode, LOCK_EXPIRES_AT + 1)).toBe(3);
      expect(sent).toEqual([]);
      expect(d.finished).toBe(true);
    },
  );
});
