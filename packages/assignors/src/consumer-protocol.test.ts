import { DecodeError } from '@runnel/codec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from './consumer-protocol.js';

describe('consumer protocol subscription metadata', () => {
  it('round-trips every field at version 3, topics sorted as Java sends them', () => {
    const bytes = encodeSubscription({
      topics: ['orders', 'audit'],
      userData: Uint8Array.of(1, 2),
      ownedPartitions: [
        { topic: 'orders', partition: 2 },
        { topic: 'audit', partition: 0 },
        { topic: 'orders', partition: 1 },
      ],
      generationId: 9,
      rackId: 'az1',
    });
    expect(decodeSubscription('m-1', 'i-1', bytes)).toEqual({
      memberId: 'm-1',
      groupInstanceId: 'i-1',
      topics: ['audit', 'orders'],
      userData: Uint8Array.of(1, 2),
      ownedPartitions: [
        { topic: 'audit', partition: 0 },
        { topic: 'orders', partition: 1 },
        { topic: 'orders', partition: 2 },
      ],
      generationId: 9,
      rackId: 'az1',
    });
  });

  it('writes version 3 unless told otherwise, the version Java writes', () => {
    const bytes = encodeSubscription({ topics: ['t'] });
    expect([bytes[0], bytes[1]]).toEqual([0, 3]);
    expect([...encodeAssignment({ partitions: [] }).subarray(0, 2)]).toEqual([0, 3]);
  });

  it('leaves out what version 0 lacks: owned partitions, generation and rack read as defaults', () => {
    const bytes = encodeSubscription(
      { topics: ['t'], ownedPartitions: [{ topic: 't', partition: 0 }], generationId: 4, rackId: 'r' },
      0,
    );
    expect(Buffer.from(bytes).toString('hex')).toBe('0000' + '00000001' + '0001' + '74' + 'ffffffff');
    const s = decodeSubscription('m', null, bytes);
    expect([s.ownedPartitions, s.generationId, s.rackId]).toEqual([[], -1, null]);
  });

  it('reads a newer version as the newest known one, since versions only append fields', () => {
    const bytes = encodeSubscription({ topics: ['t'], generationId: 3, rackId: 'r' }, 3);
    const future = Uint8Array.from([...bytes, 0, 0, 0, 0]);
    future[1] = 5;
    expect(decodeSubscription('m', null, future)).toMatchObject({
      topics: ['t'],
      generationId: 3,
      rackId: 'r',
    });
  });

  it('rejects a negative version and truncated bytes with DecodeError', () => {
    expect(() => decodeSubscription('m', null, Uint8Array.of(0xff, 0xff, 0, 0, 0, 0))).toThrow(DecodeError);
    const bytes = encodeSubscription({ topics: ['orders'], generationId: 1 }, 2);
    expect(() => decodeSubscription('m', null, bytes.subarray(0, bytes.length - 2))).toThrow(DecodeError);
  });

  it('never crashes on arbitrary bytes: it decodes or throws DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
        try {
          decodeSubscription('m', null, bytes);
          decodeAssignment(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });
});

describe('consumer protocol assignment metadata', () => {
  it('round-trips partitions grouped by topic and user data', () => {
    const bytes = encodeAssignment({
      partitions: [
        { topic: 'a', partition: 1 },
        { topic: 'b', partition: 0 },
        { topic: 'a', partition: 0 },
      ],
      userData: Uint8Array.of(7),
    });
    expect(decodeAssignment(bytes)).toEqual({
      partitions: [
        { topic: 'a', partition: 1 },
        { topic: 'a', partition: 0 },
        { topic: 'b', partition: 0 },
      ],
      userData: Uint8Array.of(7),
    });
  });

  it('reads empty bytes as an empty assignment', () => {
    expect(decodeAssignment(new Uint8Array(0))).toEqual({ partitions: [], userData: null });
  });

  it('rejects a topic count larger than the bytes left with DecodeError, before allocating for it', () => {
    expect(() => decodeAssignment(Uint8Array.of(0, 0, 0x7f, 0xff, 0xff, 0xff))).toThrow(DecodeError);
  });
});
