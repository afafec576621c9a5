import { DecodeError } from '@runnel/codec';
import { ShareAcknowledge, ShareFetch } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import type { PendingAcknowledgement } from './acknowledgements.js';
import { AckCode } from './share-records.js';
import {
  acquiredRanges,
  MAX_ACQUIRED_OFFSETS,
  shareAcknowledgeBody,
  shareFetchBody,
} from './share-requests.js';
import type { SessionPartition } from './share-session.js';

const member = { groupId: 'workers', memberId: 'm-1' };
const sizes = { maxWaitMs: 500, minBytes: 1, maxBytes: 1_000_000, maxRecords: 500 };
const part = (topic: string, partition: number): SessionPartition => ({
  key: `${topic}:${partition}`,
  topicId: topic === 'jobs' ? 'AAAAAAAAAAAAAAAAAAAAAQ' : 'AAAAAAAAAAAAAAAAAAAAAg',
  topic,
  partition,
});
const ack = (offset: number, code: AckCode): PendingAcknowledgement => ({
  offset,
  code,
  lockExpiresAt: 1,
  seq: offset,
});

describe('ShareFetch and ShareAcknowledge bodies', () => {
  it('lists the partitions to add and those with acknowledgements, by topic id, and the forgotten ones', () => {
    const body = shareFetchBody(
      member,
      4,
      sizes,
      [part('jobs', 1)],
      [part('mail', 0)],
      [{ partition: part('jobs', 0), acks: [ack(10, AckCode.accept), ack(11, AckCode.release)] }],
    );
    expect(body).toMatchObject({
      groupId: 'workers',
      memberId: 'm-1',
      shareSessionEpoch: 4,
      maxRecords: 500,
      batchSize: 500,
    });
    expect(body.topics).toEqual([
      {
        topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
        partitions: [
          { partitionIndex: 1, acknowledgementBatches: [] },
          {
            partitionIndex: 0,
            acknowledgementBatches: [{ firstOffset: 10n, lastOffset: 11n, acknowledgeTypes: [1, 2] }],
          },
        ],
      },
    ]);
    expect(body.forgottenTopicsData).toEqual([{ topicId: 'AAAAAAAAAAAAAAAAAAAAAg', partitions: [0] }]);
    // Both versions Kafka 4.4 offers take it; v1 is the first version of share groups as released.
    for (const version of [1, 2]) {
      const decoded = ShareFetch.request.decode(ShareFetch.request.encode(body, version), version);
      expect(decoded.topics).toMatchObject(body.topics);
      expect(decoded.forgottenTopicsData).toMatchObject(body.forgottenTopicsData);
    }
  });

  it('carries acknowledgements alone at an epoch, -1 closing the session', () => {
    const body = shareAcknowledgeBody(member, -1, [
      { partition: part('mail', 3), acks: [ack(7, AckCode.reject)] },
    ]);
    expect(body).toEqual({
      groupId: 'workers',
      memberId: 'm-1',
      shareSessionEpoch: -1,
      topics: [
        {
          topicId: 'AAAAAAAAAAAAAAAAAAAAAg',
          partitions: [
            {
              partitionIndex: 3,
              acknowledgementBatches: [{ firstOffset: 7n, lastOffset: 7n, acknowledgeTypes: [3] }],
            },
          ],
        },
      ],
    });
    expect(
      ShareAcknowledge.request.decode(ShareAcknowledge.request.encode(body, 2), 2).shareSessionEpoch,
    ).toBe(-1);
  });
});

describe('acquired ranges from a ShareFetch answer', () => {
  const r = (first: bigint, last: bigint, deliveryCount = 1) => ({
    firstOffset: first,
    lastOffset: last,
    deliveryCount,
  });

  it('reads them as numbers, sorted', () => {
    expect(acquiredRanges([r(10n, 12n, 2), r(0n, 3n)])).toEqual([
      { first: 0, last: 3, deliveryCount: 1 },
      { first: 10, last: 12, deliveryCount: 2 },
    ]);
  });

  it.each([
    ['a reversed range', [r(5n, 4n)]],
    ['a negative offset', [r(-1n, 4n)]],
    ['overlapping ranges', [r(0n, 5n), r(5n, 6n)]],
    ['a delivery count of 0', [r(0n, 1n, 0)]],
    ['more offsets than any share partition holds in flight', [r(0n, BigInt(MAX_ACQUIRED_OFFSETS))]],
    ['a range the size of the offset space', [r(0n, 2n ** 62n)]],
  ])('refuses %s with a DecodeError before sizing anything by it', (_name, ranges) => {
    expect(() => acquiredRanges(ranges)).toThrow(DecodeError);
  });
});
