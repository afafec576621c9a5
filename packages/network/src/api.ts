import type { Reader, Writer } from '@runnel/codec';
import { readResponseBody, requestHeaderVersion, responseHeaderVersion } from '@runnel/protocol';
import type { RequestSpec } from './connection.js';

/**
 * The parts of one of @runnel/protocol's API objects (`ApiDefinition`) that the network layer uses.
 * Declared structurally so that any API object of that package fits.
 */
export interface KafkaApi<Request, Response> {
  readonly apiKey: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The first flexible version; null when no version is flexible. */
  readonly flexibleMinVersion: number | null;
  readonly request: {
    /** Writes `message` as the body of a request of `version`. @throws EncodeError on a value the version cannot carry. */
    write(writer: Writer, message: Request, version: number): void;
  };
  readonly response: {
    /** @returns the response body of `version` read from `input`. @throws DecodeError on malformed bytes. */
    decode(input: Reader, version: number): Response;
  };
}

/** The request type of an API object. */
export type RequestOf<A> = A extends KafkaApi<infer Q, unknown> ? Q : never;
/** The response type of an API object. */
export type ResponseOf<A> = A extends KafkaApi<unknown, infer R> ? R : never;

/** Options of one request beyond the message itself. */
export interface ApiRequestOptions {
  /** Overrides the connection's request timeout (e.g. a Fetch long poll needs maxWait + margin). */
  timeoutMs?: number;
  /** The broker sends no response (Produce with acks=0): resolve once written. */
  noResponse?: boolean;
}

/**
 * Adapts an API object, a message and a version to what {@link Connection.send} takes.
 * @returns the request spec; encoding happens later, inside `send`.
 */
export function apiRequest<Q, R>(
  api: KafkaApi<Q, R>,
  message: Q,
  version: number,
  options: ApiRequestOptions = {},
): RequestSpec<R> {
  return {
    apiKey: api.apiKey,
    apiVersion: version,
    requestHeaderVersion: requestHeaderVersion(api, version),
    responseHeaderVersion: responseHeaderVersion(api, version),
    writeBody: (writer) => api.request.write(writer, message, version),
    readBody: options.noResponse ? null : (reader) => readResponseBody(api, version, reader),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  };
}
