import { DecodeError, Reader, Writer } from '@runnel/codec';
import type { ApiDefinition } from './api.js';
import {
  RequestHeader,
  ResponseHeader,
  type ResponseHeader as ResponseHeaderMessage,
} from './generated/index.js';

const API_VERSIONS_KEY = 18;

type AnyApi = Pick<ApiDefinition<unknown, unknown>, 'apiKey' | 'flexibleMinVersion'>;

function isFlexible(api: AnyApi, version: number): boolean {
  return api.flexibleMinVersion !== null && version >= api.flexibleMinVersion;
}

/**
 * @returns the request header version for `api` at `version`: 2 when the version is flexible
 *   (tagged fields in the header), else 1. (Version 0, without a client id, was only used by
 *   ControlledShutdown v0, which Kafka 4 removed.)
 */
export function requestHeaderVersion(api: AnyApi, version: number): number {
  return isFlexible(api, version) ? 2 : 1;
}

/**
 * @returns the response header version for `api` at `version`: 1 when flexible, else 0 — except
 *   ApiVersions, whose response always has header v0 so that a client can read it before it knows
 *   which versions the broker speaks.
 */
export function responseHeaderVersion(api: AnyApi, version: number): number {
  if (api.apiKey === API_VERSIONS_KEY) return 0;
  return isFlexible(api, version) ? 1 : 0;
}

/** The request header fields a caller chooses. */
export interface RequestFrameOptions {
  readonly correlationId: number;
  /** Sent in every header version this package writes; null sends Kafka's null string. */
  readonly clientId: string | null;
}

/**
 * Encodes a whole request as it goes on the wire: a 4-byte size, the request header of the right
 * version, and the body.
 * @returns the frame.
 * @throws EncodeError when the version is not valid for the API or the body cannot be encoded.
 */
export function encodeRequestFrame<Req>(
  api: ApiDefinition<Req, unknown>,
  version: number,
  body: Req,
  options: RequestFrameOptions,
): Uint8Array {
  const w = new Writer(512);
  const size = w.reserveInt32();
  RequestHeader.write(
    w,
    {
      requestApiKey: api.apiKey,
      requestApiVersion: version,
      correlationId: options.correlationId,
      clientId: options.clientId,
    },
    requestHeaderVersion(api, version),
  );
  api.request.write(w, body, version);
  w.patchInt32(size, w.length - 4);
  return w.finish();
}

/**
 * @returns the correlation id of a response payload (the bytes after the size prefix), which is the
 *   first field of every response header version.
 * @throws DecodeError when the payload is shorter than 4 bytes.
 */
export function responseCorrelationId(payload: Uint8Array): number {
  return new Reader(payload).readInt32();
}

/** A decoded response: its header and body. */
export interface DecodedResponse<Res> {
  readonly header: ResponseHeaderMessage;
  readonly body: Res;
  /** The version the body was decoded at (differs from the requested one only for ApiVersions). */
  readonly version: number;
}

/**
 * Decodes a response payload (the bytes after the 4-byte size) of `api` sent in answer to a request
 * of `version`. For ApiVersions it applies Kafka's fallback: a broker that does not support the
 * requested ApiVersions version answers with a version 0 body, so when the body does not decode
 * exactly at `version`, it is decoded again at 0.
 * @returns header, body and the version used.
 * @throws DecodeError when the payload is truncated, malformed, or has bytes left over.
 */
export function decodeResponse<Res>(
  api: ApiDefinition<unknown, Res>,
  version: number,
  payload: Uint8Array,
): DecodedResponse<Res> {
  const r = new Reader(payload);
  const header = ResponseHeader.decode(r, responseHeaderVersion(api, version));
  const bodyStart = r.offset;
  if (api.apiKey === API_VERSIONS_KEY && version > 0) {
    try {
      const body = api.response.decode(r, version);
      if (r.remaining === 0) return { header, body, version };
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
    r.offset = bodyStart;
    const body = api.response.decode(r, 0);
    expectEnd(r, api.name);
    return { header, body, version: 0 };
  }
  const body = api.response.decode(r, version);
  expectEnd(r, api.name);
  return { header, body, version };
}

function expectEnd(r: Reader, name: string): void {
  if (r.remaining !== 0) {
    throw new DecodeError(`${name} response has ${r.remaining} bytes after its body`, r.offset);
  }
}
