import { describe, expect, it } from 'vitest';
import {
  acknowledgementBatches,
  type PendingAcknowledgement,
  PendingAcknowledgements,
} from './acknowledgements.js';
import { AckCode } from './share-records.js';

let seq = 0;
function ack(offset: number, code: AckCode = AckCode.accept, lockExpiresAt = 10_000): PendingAcknowledgement {
  return { offset, code, lockExpiresAt, seq: ++seq };
}

const wire = (acks: PendingAcknowledgement[]) =>
  acknowledgementBatches(acks).map((b) => [Number(b.firstOffset), Number(b.lastOffset), b.acknowledgeTypes]);

describe('acknowledgement batches', () => {
  it.each([
    ['consecutive offsets of one type: one batch, one type', [ack(5), ack(6), ack(7)], [[5, 7, [1]]]],
    [
      'consecutive offsets of mixed types: one batch, a type per offset',
      [ack(5), ack(6, AckCode.release), ack(7, AckCode.reject), ack(8, AckCode.gap)],
      [[5, 8, [1, 2, 3, 0]]],
    ],
    [
      'a hole between offsets: two batches',
      [ack(1), ack(2), ack(4)],
      [
        [1, 2, [1]],
        [4, 4, [1]],
      ],
    ],
    [
      'offsets in any order come out sorted',
      [ack(9), ack(3, AckCode.release), ack(8)],
      [
        [3, 3, [2]],
        [8, 9, [1]],
      ],
    ],
    [
      'an offset given twice keeps its first type',
      [ack(4, AckCode.reject), ack(4), ack(5, AckCode.reject)],
      [[4, 5, [3]]],
    ],
    ['nothing: no batch', [], []],
  ])('%s', (_name, acks, expected) => {
    expect(wire(acks)).toEqual(expected);
  });

  it('carries offsets past 2^32 exactly, as int64', () => {
    const [batch] = acknowledgementBatches([ack(2 ** 40), ack(2 ** 40 + 1)]);
    expect(batch).toEqual({ firstOffset: 2n ** 40n, lastOffset: 2n ** 40n + 1n, acknowledgeTypes: [1] });
  });
});

describe('PendingAcknowledgements', () => {
  it('keeps acknowledgements per partition, and takes those whose lock ran out', () => {
    const p = new PendingAcknowledgements();
    const early = ack(1, AckCode.accept, 100);
    const late = ack(2, AckCode.accept, 500);
    p.add('t:0', early);
    p.add('t:0', late);
    p.add('t:1', ack(7, AckCode.release, 100));
    expect(p.partitions).toBe(2);
    expect(p.oldestSeq()).toBe(early.seq);
    const expired = p.takeExpired(100);
    expect([...expired.keys()].sort()).toEqual(['t:0', 't:1']);
    expect(expired.get('t:0')).toEqual([early]);
    expect(p.keys()).toEqual(['t:0']);
    expect(p.peek('t:0')).toEqual([late]);
    expect(p.take('t:0')).toEqual([late]);
    expect(p.partitions).toBe(0);
    expect(p.oldestSeq()).toBe(Number.POSITIVE_INFINITY);
  });
});
