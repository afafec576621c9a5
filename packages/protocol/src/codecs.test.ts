import { DecodeError, EncodeError, Reader, Writer } from '@runnel/codec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schemas } from './generated/test-support/schemas.js';
import {
  ApiVersions,
  ConsumerGroupHeartbeat,
  ConsumerProtocolSubscription,
  Fetch,
  type FetchRequest,
  JoinGroup,
  type JoinGroupRequest,
  Metadata,
} from './index.js';
import { SampleBuilder } from './test-support/samples.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const joinGroup: JoinGroupRequest = {
  groupId: 'g',
  sessionTimeoutMs: 10_000,
  memberId: '',
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: new Uint8Array([1, 2]) }],
};

describe('generated codecs', () => {
  it('encode a flexible request with compact strings and an empty tagged-field section', () => {
    const bytes = ApiVersions.request.encode({ clientSoftwareName: 'a', clientSoftwareVersion: 'b' }, 3);
    expect(hex(bytes)).toBe('0261026200');
  });

  it('encode a non-flexible request with int16-length strings and int32-length arrays', () => {
    const bytes = JoinGroup.request.encode(joinGroup, 0);
    expect(hex(bytes)).toBe(
      [
        '000167', // groupId 'g'
        '00002710', // sessionTimeoutMs 10000
        '0000', // memberId ''
        '0008636f6e73756d6572', // protocolType 'consumer'
        '00000001', // one protocol
        '000572616e6765', // name 'range'
        '000000020102', // metadata
      ].join(''),
    );
  });

  it('reject a non-default value in a non-ignorable field that the version lacks, naming field and version', () => {
    expect(() => JoinGroup.request.encode({ ...joinGroup, groupInstanceId: 'static-1' }, 4)).toThrowError(
      EncodeError,
    );
    expect(() => JoinGroup.request.encode({ ...joinGroup, groupInstanceId: 'static-1' }, 4)).toThrowError(
      /JoinGroupRequest\.groupInstanceId is not supported at version 4/,
    );
  });

  it('accept the default value in a field that the version lacks', () => {
    expect(hex(JoinGroup.request.encode({ ...joinGroup, groupInstanceId: null }, 4))).toBe(
      hex(JoinGroup.request.encode(joinGroup, 4)),
    );
  });

  it('silently drop an ignorable field that the version lacks', () => {
    expect(hex(JoinGroup.request.encode({ ...joinGroup, rebalanceTimeoutMs: 5000 }, 0))).toBe(
      hex(JoinGroup.request.encode(joinGroup, 0)),
    );
  });

  it('write a field the version has with its default when the caller leaves it out', () => {
    const decoded = JoinGroup.request.decode(JoinGroup.request.encode(joinGroup, 1), 1);
    expect(decoded.rebalanceTimeoutMs).toBe(-1);
  });

  it('fill fields that the decoded version lacks with their defaults', () => {
    const bytes = new Writer()
      .writeInt16(0) // errorCode
      .writeInt32(3) // generationId
      .writeString('range') // protocolName
      .writeString('m1') // leader
      .writeString('m1') // memberId
      .writeArrayLength(0) // members
      .finish();
    expect(JoinGroup.response.decode(bytes, 0)).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      generationId: 3,
      protocolType: null,
      protocolName: 'range',
      leader: 'm1',
      skipAssignment: false,
      memberId: 'm1',
      members: [],
    });
  });

  it('reject null in a field that is nullable only in later versions', () => {
    const response = {
      errorCode: 0,
      generationId: 1,
      protocolName: null,
      leader: '',
      memberId: '',
      members: [],
    };
    expect(() => JoinGroup.response.encode(response, 6)).toThrowError(
      /protocolName cannot be null at version 6/,
    );
    expect(JoinGroup.response.decode(JoinGroup.response.encode(response, 7), 7).protocolName).toBeNull();
  });

  it('write a tagged field only when it differs from its default', () => {
    const base: FetchRequest = {
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [],
    };
    const without = Fetch.request.encode({ ...base, clusterId: null }, 12);
    const withTag = Fetch.request.encode({ ...base, clusterId: 'k' }, 12);
    expect(hex(without)).toBe(hex(Fetch.request.encode(base, 12)));
    expect(hex(without.subarray(without.length - 1))).toBe('00');
    // tag section: 1 field, tag 0, size 2, compact string 'k' (length + 1 = 2, then 'k')
    expect(hex(withTag.subarray(withTag.length - 5))).toBe('010002026b');
    expect(Fetch.request.decode(withTag, 12).clusterId).toBe('k');
  });

  it('keep unknown tagged fields on decode and write them back in tag order', () => {
    const body = ApiVersions.request.encode({ clientSoftwareName: 'a', clientSoftwareVersion: 'b' }, 3);
    // Replace the empty tagged section with two unknown fields, tags 5 and 9.
    const withUnknown = new Uint8Array([...body.subarray(0, body.length - 1), 2, 5, 1, 0xaa, 9, 0]);
    const decoded = ApiVersions.request.decode(withUnknown, 3);
    expect(decoded.unknownTaggedFields?.map((f) => [f.tag, hex(f.data)])).toEqual([
      [5, 'aa'],
      [9, ''],
    ]);
    expect(hex(ApiVersions.request.encode(decoded, 3))).toBe(hex(withUnknown));
  });

  it('mark a nullable struct with a presence byte', () => {
    const response = {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      memberId: 'm',
      memberEpoch: 1,
      heartbeatIntervalMs: 3000,
      assignment: null,
    };
    const nullBytes = ConsumerGroupHeartbeat.response.encode(response, 0);
    const set = ConsumerGroupHeartbeat.response.encode(
      { ...response, assignment: { topicPartitions: [] } },
      0,
    );
    // null: one byte (-1); present: 1, an empty compact array, an empty tagged section.
    expect(hex(nullBytes)).toContain('ff');
    expect(set.length).toBe(nullBytes.length + 2);
    expect(ConsumerGroupHeartbeat.response.decode(nullBytes, 0).assignment).toBeNull();
    expect(ConsumerGroupHeartbeat.response.decode(set, 0).assignment).toEqual({ topicPartitions: [] });
  });

  it('keep records and bytes as views of the input instead of copies', () => {
    const builder = new SampleBuilder(schemas);
    const sample = builder.build('ConsumerProtocolSubscription', 1);
    const bytes = ConsumerProtocolSubscription.encode(sample as never, 1);
    const decoded = ConsumerProtocolSubscription.decode(bytes, 1);
    expect(decoded.userData?.buffer).toBe(bytes.buffer);
  });

  it('refuse a version outside the valid range', () => {
    expect(() => JoinGroup.request.encode(joinGroup, 10)).toThrowError(EncodeError);
    expect(() => JoinGroup.request.decode(new Uint8Array(0), -1)).toThrowError(DecodeError);
  });

  it('throw DecodeError, never another error, for every truncation of a valid message', () => {
    const builder = new SampleBuilder(schemas);
    for (const [api, version] of [
      [Fetch, 17],
      [Fetch, 4],
      [Metadata, 12],
      [JoinGroup, 9],
    ] as const) {
      for (const side of ['request', 'response'] as const) {
        const struct = `${api.name}${side === 'request' ? 'Request' : 'Response'}`;
        const bytes = api[side].encode(builder.build(struct, version) as never, version);
        for (let n = 0; n < bytes.length; n++) {
          expect(
            () => api[side].decode(bytes.slice(0, n), version),
            `${struct} v${version} cut at ${n}`,
          ).toThrowError(DecodeError);
        }
      }
    }
  });

  it('throw only DecodeError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 4, max: 18 }), (bytes, version) => {
        for (const codec of [Fetch.response, Metadata.response, JoinGroup.response]) {
          try {
            codec.decode(new Reader(bytes), Math.min(version, codec === JoinGroup.response ? 9 : version));
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
