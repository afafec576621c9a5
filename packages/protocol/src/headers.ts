/**
 * Kafka's request and response headers and the reading of a response body: the one implementation
 * both @runnel/network's connections (on every request) and this package's own frame helpers use.
 * The header is written by hand rather than through the generated `RequestHeader` codec: it is on
 * every request's path, and its layout has not changed since header v2.
 */
import { DecodeError, Reader, Writer } from '@runnel/codec';
import type { ApiDefinition } from './api.js';
import { ErrorCode } from './generated/error-codes.js';
import { ApiVersions, type ApiVersionsResponse, type ResponseHeader } from './generated/index.js';

type AnyApi = Pick<ApiDefinition<unknown, unknown>, 'apiKey' | 'flexibleMinVersion'>;

/** The parts of an API object that decoding its response body needs. */
type ResponseApi<Res> = Pick<ApiDefinition<unknown, Res>, 'apiKey' | 'name'> & {
  readonly response: { decode(input: Reader, version: number): Res };
};

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
  if (api.apiKey === ApiVersions.apiKey) return 0;
  return isFlexible(api, version) ? 1 : 0;
}

/**
 * Writes a request header. v0: apiKey, apiVersion, correlationId; v1 adds the client id (a nullable
 * string, never compact, even in flexible versions); v2 adds the tagged-field section.
 * @throws EncodeError when a value does not fit its wire type (e.g. a client id over 32767 bytes).
 */
export function writeRequestHeader(
  writer: Writer,
  headerVersion: number,
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
): void {
  writer.writeInt16(apiKey).writeInt16(apiVersion).writeInt32(correlationId);
  if (headerVersion >= 1) writer.writeNullableString(clientId);
  if (headerVersion >= 2) writer.writeTaggedFields(undefined);
}

/**
 * Reads what follows the correlation id in a response header: nothing in v0, the tagged-field section
 * in v1. Unknown tagged fields are skipped (no response header field is defined yet).
 * @throws DecodeError when the section is truncated or malformed.
 */
export function readResponseHeaderRest(reader: Reader, headerVersion: number): void {
  // Skipped in place: kept, each would cost an object and a view, many times its two or more bytes.
  if (headerVersion >= 1) reader.readTaggedFields(skipField);
}

function skipField(_tag: number, reader: Reader, size: number): boolean {
  reader.offset += size;
  return true;
}

/**
 * Decodes the response body of `api` at `version` from `reader`, which must hold nothing after it.
 * @returns the body.
 * @throws DecodeError when the body is truncated or malformed, or bytes are left over (the broker and
 *   Runnel disagree on the version's layout).
 */
export function readResponseBody<Res>(api: ResponseApi<Res>, version: number, reader: Reader): Res {
  const body = api.response.decode(reader, version);
  if (reader.remaining !== 0) {
    throw new DecodeError(
      `${api.name} v${version} response has ${reader.remaining} bytes after its body`,
      reader.offset,
    );
  }
  return body;
}

/**
 * Decodes an ApiVersions response body sent in answer to `version`, with Kafka's fallback: a broker
 * that does not know `version` answers UNSUPPORTED_VERSION in a v0 body, so (as Java's client does)
 * the body is read at `version` first and at v0 when that fails, leaves bytes over, or says
 * UNSUPPORTED_VERSION (keeping the first reading when v0 does not read either).
 * @returns the body and the version it was read at.
 * @throws DecodeError when it reads at neither version.
 */
export function readApiVersionsBody(
  reader: Reader,
  version: number,
): { readonly body: ApiVersionsResponse; readonly version: number } {
  if (version === 0) return { body: readResponseBody(ApiVersions, 0, reader), version: 0 };
  const start = reader.offset;
  let first: ApiVersionsResponse | undefined;
  let firstError: unknown;
  try {
    first = ApiVersions.response.decode(reader, version);
    if (first.errorCode !== ErrorCode.UNSUPPORTED_VERSION && reader.remaining === 0) {
      return { body: first, version };
    }
  } catch (error) {
    firstError = error;
  }
  reader.offset = start;
  try {
    return { body: readResponseBody(ApiVersions, 0, reader), version: 0 };
  } catch (error) {
    if (first) return { body: first, version };
    throw firstError ?? error;
  }
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
  const { correlationId, clientId } = options;
  writeRequestHeader(w, requestHeaderVersion(api, version), api.apiKey, version, correlationId, clientId);
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
  readonly header: ResponseHeader;
  readonly body: Res;
  /** The version the body was decoded at (differs from the requested one only for ApiVersions). */
  readonly version: number;
}

/**
 * Decodes a response payload (the bytes after the 4-byte size) of `api` sent in answer to a request
 * of `version`; an ApiVersions body gets the fallback of `readApiVersionsBody`.
 * @returns header, body and the version used.
 * @throws DecodeError when the payload is truncated, malformed, or has bytes left over.
 */
export function decodeResponse<Res>(
  api: ApiDefinition<unknown, Res>,
  version: number,
  payload: Uint8Array,
): DecodedResponse<Res> {
  const r = new Reader(payload);
  const header = { correlationId: r.readInt32() };
  readResponseHeaderRest(r, responseHeaderVersion(api, version));
  if (api.apiKey === ApiVersions.apiKey) {
    const answer = readApiVersionsBody(r, version);
    return { header, body: answer.body as Res, version: answer.version };
  }
  return { header, body: readResponseBody(api, version, r), version };
}
