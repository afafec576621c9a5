import { DecodeError, Writer } from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import {
  ApiVersions,
  apiVersionsRetryVersion,
  decodeResponse,
  encodeRequestFrame,
  Fetch,
  Metadata,
  RequestHeader,
  requestHeaderVersion,
  responseCorrelationId,
  responseHeaderVersion,
} from './index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('headers', () => {
  it('use request header v2 exactly for flexible versions', () => {
    expect(requestHeaderVersion(Fetch, 11)).toBe(1);
    expect(requestHeaderVersion(Fetch, 12)).toBe(2);
    expect(requestHeaderVersion(ApiVersions, 2)).toBe(1);
    expect(requestHeaderVersion(ApiVersions, 3)).toBe(2);
  });

  it('use response header v1 for flexible versions, except ApiVersions which always uses v0', () => {
    expect(responseHeaderVersion(Metadata, 8)).toBe(0);
    expect(responseHeaderVersion(Metadata, 9)).toBe(1);
    expect(responseHeaderVersion(ApiVersions, 3)).toBe(0);
    expect(responseHeaderVersion(ApiVersions, 4)).toBe(0);
  });

  it('frame a request as size, header and body', () => {
    const frame = encodeRequestFrame(
      ApiVersions,
      3,
      { clientSoftwareName: 'a', clientSoftwareVersion: 'b' },
      { correlationId: 1, clientId: 'c' },
    );
    // size 17 | key 18 | version 3 | correlation 1 | clientId 'c' (int16 length even in v2) | no tags | body
    expect(hex(frame)).toBe('00000011' + '0012' + '0003' + '00000001' + '000163' + '00' + '0261026200');
    const header = RequestHeader.decode(frame.subarray(4), 2);
    expect(header).toEqual({ requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: 'c' });
  });

  it('read the correlation id of any response', () => {
    expect(responseCorrelationId(new Uint8Array([0, 0, 1, 2, 0]))).toBe(258);
  });

  it('decode a flexible response after a header with tagged fields', () => {
    const w = new Writer().writeInt32(7).writeUnsignedVarInt(0);
    Metadata.response.write(
      w,
      { throttleTimeMs: 0, brokers: [], clusterId: 'c', controllerId: 1, topics: [] },
      12,
    );
    const decoded = decodeResponse(Metadata, 12, w.finish());
    expect(decoded.header.correlationId).toBe(7);
    expect(decoded.body.clusterId).toBe('c');
  });

  it('reject bytes left over after a response body', () => {
    const w = new Writer().writeInt32(7).writeInt16(0).writeArrayLength(0).writeInt8(1);
    expect(() => decodeResponse(ApiVersions, 0, w.finish())).toThrowError(DecodeError);
  });

  it('fall back to version 0 when a broker answers a newer ApiVersions request with UNSUPPORTED_VERSION', () => {
    // A v0 body as such a broker sends it: error 35 and its own ApiVersions range 0-3.
    const payload = new Writer()
      .writeInt32(1) // header v0: correlation id
      .writeInt16(35)
      .writeArrayLength(1)
      .writeInt16(18)
      .writeInt16(0)
      .writeInt16(3)
      .finish();
    const decoded = decodeResponse(ApiVersions, 4, payload);
    expect(decoded.version).toBe(0);
    expect(decoded.body.errorCode).toBe(35);
    expect(apiVersionsRetryVersion(decoded.body, 4)).toBe(3);
  });
});
