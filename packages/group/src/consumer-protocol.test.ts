import { DecodeError, Writer } from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from './consumer-protocol.js';

describe('the consumer protocol embedded in JoinGroup and SyncGroup', () => {
  it('round-trips a subscription with owned partitions, generation and rack at version 3', () => {
    const s = {
      topics: ['a', 'b'],
      userData: new Uint8Array([1, 2, 3]),
      ownedPartitions: [
        { topic: 'a', partition: 0 },
        { topic: 'a', partition: 2 },
        { topic: 'b', partition: 1 },
      ],
      generationId: 7,
      rackId: 'rack-1',
    };
    const bytes = encodeSubscription(s);
    expect([bytes[0], bytes[1]]).toEqual([0, 3]);
    expect(decodeSubscription(bytes)).toEqual(s);
  });

  it('reads a version 0 subscription (Java clients before 2.4) with defaults for the later fields', () => {
    const w = new Writer();
    w.writeInt16(0).writeArrayLength(1).writeString('orders').writeNullableBytes(null);
    expect(decodeSubscription(w.finish())).toEqual({
      topics: ['orders'],
      userData: null,
      ownedPartitions: [],
      generationId: -1,
      rackId: null,
    });
  });

  it('reads a subscription of a newer version as version 3, ignoring the fields appended later', () => {
    const v3 = encodeSubscription({
      topics: ['t'],
      userData: null,
      ownedPartitions: [],
      generationId: 2,
      rackId: null,
    });
    const v4 = new Uint8Array([...v3, 0xaa, 0xbb]);
    v4[1] = 4;
    expect(decodeSubscription(v4).generationId).toBe(2);
  });

  it('round-trips an assignment and reads empty bytes as an empty assignment', () => {
    const a = { partitions: [{ topic: 't', partition: 3 }], userData: null };
    expect(decodeAssignment(encodeAssignment(a))).toEqual(a);
    expect(decodeAssignment(new Uint8Array(0))).toEqual({ partitions: [], userData: null });
  });

  it('rejects truncated bytes, negative versions and impossible counts with a DecodeError', () => {
    const bytes = encodeSubscription({
      topics: ['t'],
      userData: null,
      ownedPartitions: [],
      generationId: 2,
      rackId: null,
    });
    expect(() => decodeSubscription(bytes.subarray(0, bytes.length - 3))).toThrow(DecodeError);
    expect(() => decodeSubscription(new Uint8Array([0xff, 0xff, 0, 0, 0, 0]))).toThrow(DecodeError);
    // A topic count of 2^31-1 with 0 bytes left must fail before anything is allocated for it.
    expect(() => decodeAssignment(new Uint8Array([0, 0, 0x7f, 0xff, 0xff, 0xff]))).toThrow(DecodeError);
  });
});
