import { DecodeError, Writer } from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import { Fetch, type FetchResponse, JoinGroup, type JoinGroupResponse, Metadata } from './index.js';
import { DECODE_COST_RATIO } from './runtime.js';

function joinGroupResponse(members: JoinGroupResponse['members']): JoinGroupResponse {
  return {
    errorCode: 0,
    generationId: 1,
    protocolType: 'consumer',
    protocolName: 'range',
    leader: 'a',
    skipAssignment: false,
    memberId: 'a',
    members,
  };
}

describe('decoding cost', () => {
  it('refuses a JoinGroup response whose members cost far more memory than their bytes, before decoding them', () => {
    // Five bytes a member (an empty id, no instance id, one byte of metadata) would become an object and
    // a view of about 170 bytes each: 34 times the input.
    const members = Array.from({ length: 100_000 }, () => ({
      memberId: '',
      groupInstanceId: null,
      metadata: Uint8Array.of(1),
    }));
    const bytes = JoinGroup.response.encode(joinGroupResponse(members), 9);
    expect(bytes.length).toBeLessThan(600_000);
    const error = (() => {
      try {
        JoinGroup.response.decode(bytes, 9);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as Error).message).toContain(`${DECODE_COST_RATIO}x its size`);
  });

  it('decodes members with empty metadata into one shared empty view, so they stay within the bound', () => {
    const members = Array.from({ length: 50_000 }, () => ({
      memberId: '',
      groupInstanceId: null,
      metadata: new Uint8Array(0),
    }));
    const decoded = JoinGroup.response.decode(JoinGroup.response.encode(joinGroupResponse(members), 9), 9);
    expect(decoded.members).toHaveLength(50_000);
    expect(decoded.members[0]!.metadata).toHaveLength(0);
    expect(decoded.members[0]!.metadata).toBe(decoded.members[49_999]!.metadata);
  });

  it('decodes a real-sized JoinGroup response of a large group', () => {
    const subscription = new Uint8Array(60).fill(7);
    const members = Array.from({ length: 2_000 }, (_, i) => ({
      memberId: `consumer-orders-${i}-6f1c2d0e-8a4b-4b8e-9a51-3d1b0c7e2f44`,
      groupInstanceId: null,
      metadata: subscription,
    }));
    const decoded = JoinGroup.response.decode(JoinGroup.response.encode(joinGroupResponse(members), 9), 9);
    expect(decoded.members.map((m) => m.metadata.length)).toEqual(Array(2_000).fill(60));
  });

  it('decodes the metadata of a cluster with one replica per partition (the densest real answer)', () => {
    const partitions = Array.from({ length: 20_000 }, (_, partitionIndex) => ({
      errorCode: 0,
      partitionIndex,
      leaderId: 1,
      leaderEpoch: 0,
      replicaNodes: [1],
      isrNodes: [1],
      offlineReplicas: [],
    }));
    const bytes = Metadata.response.encode(
      {
        brokers: [{ nodeId: 1, host: 'b', port: 9092, rack: null }],
        clusterId: 'c',
        controllerId: 1,
        topics: [
          { errorCode: 0, name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', isInternal: false, partitions },
        ],
      },
      12,
    );
    expect(Metadata.response.decode(bytes, 12).topics[0]!.partitions).toHaveLength(20_000);
  });

  it('refuses a struct flooded with unknown tagged fields, each kept as an object and a view', () => {
    const body = Fetch.response.encode(
      { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [] } as FetchResponse,
      12,
    );
    // Replace the empty tagged-field section at the end with 40 000 empty fields of rising tags.
    const w = new Writer(200_000);
    w.writeRaw(body.subarray(0, body.length - 1));
    w.writeUnsignedVarInt(40_000);
    for (let tag = 0; tag < 40_000; tag++) w.writeUnsignedVarInt(tag).writeUnsignedVarInt(0);
    expect(() => Fetch.response.decode(w.finish(), 12)).toThrow(/memory/);
  });
});
