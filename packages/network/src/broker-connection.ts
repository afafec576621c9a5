import {
  ApiVersions,
  type ApiVersionsResponse,
  apiVersionsRetryVersion,
  brokerVersionRanges,
  clientVersionRanges,
  readApiVersionsBody,
  UnsupportedVersionError,
  type VersionRange,
} from '@runnel/protocol';
import { type ApiRequestOptions, apiRequest, type KafkaApi } from './api.js';
import type { BrokerInfo } from './cluster-metadata.js';
import type { RequestSpec } from './connection.js';
import { isTraced, type RequestMessage, requestChannel } from './diagnostics.js';
import type { ConnectionError } from './errors.js';
import { kafkaError } from './kafka-errors.js';

/** The parts of a {@link Connection} that the broker pool uses; a test may pass its own. */
export interface ConnectionLike {
  readonly broker: string;
  readonly state: 'idle' | 'connecting' | 'ready' | 'closed';
  readonly inFlightCount: number;
  readonly queuedCount: number;
  readonly lastActivityAt: number;
  /**
   * Opens the socket and completes the connection's handshakes.
   * @returns once the connection is ready for requests.
   * @throws ConnectionError (or a subclass such as an authentication error) when it cannot be opened.
   */
  connect(): Promise<void>;
  /**
   * Writes one request.
   * @returns its decoded response.
   * @throws ConnectionError when the connection fails or closes first; RequestTimeoutError past the timeout.
   */
  send<T>(spec: RequestSpec<T>): Promise<T>;
  /** Closes the socket, failing requests still in flight. @returns once it is closed. */
  close(): Promise<void>;
  /**
   * Registers a listener called once when the connection closes for any reason.
   * @returns a function that removes the listener.
   */
  onClose(listener: (error: ConnectionError) => void): () => void;
  /**
   * Runs `task` while other requests wait (see {@link Connection.exclusive}); the pool re-authenticates
   * through it when present, and directly on the connection when a test connection lacks it.
   */
  exclusive?<T>(task: (send: <U>(spec: RequestSpec<U>) => Promise<U>) => Promise<T>): Promise<T>;
  /**
   * Responses received so far, the ApiVersions handshake included; the pool reads it to tell a
   * connection the broker closed before answering anything after the handshake.
   */
  readonly responsesReceived?: number;
}

export type { VersionRange };

/** What Runnel speaks: every API's valid versions, without versions Kafka marks unstable. */
const CLIENT_VERSIONS = clientVersionRanges();

/** Options of {@link BrokerConnection.send}. */
export interface BrokerRequestOptions extends ApiRequestOptions {
  /** Use exactly this version (it must lie in the negotiated range). */
  version?: number;
  /** Use at most this version (e.g. the newest one whose semantics the caller implements). */
  maxVersion?: number;
}

/**
 * A connection that finished its handshake (ApiVersions, then authentication when configured) with a
 * known broker. It picks the version of each request from the ranges the broker announced.
 */
export class BrokerConnection {
  constructor(
    readonly broker: BrokerInfo,
    /** Which traffic this connection carries, e.g. `fetch`, `group`, `default`. */
    readonly purpose: string,
    readonly connection: ConnectionLike,
    /** The broker's ranges by API key, as its ApiVersions response announced them. */
    readonly apiVersions: ReadonlyMap<number, VersionRange>,
    /** The pool that opened it, named in `runnel:request` messages to tell clients apart. */
    readonly pool: object | null = null,
  ) {}

  /**
   * The highest version of `api` that both Runnel and the broker support, capped at `maxVersion`.
   * @throws UnsupportedVersionError (from @runnel/protocol) when there is no common version.
   */
  version(api: KafkaApi<unknown, unknown>, maxVersion?: number): number {
    const broker = this.apiVersions.get(api.apiKey) ?? null;
    const own = CLIENT_VERSIONS.get(api.apiKey);
    const client = own
      ? { minVersion: own.minVersion, maxVersion: Math.min(own.maxVersion, maxVersion ?? own.maxVersion) }
      : { minVersion: api.minVersion, maxVersion: Math.min(api.maxVersion, maxVersion ?? api.maxVersion) };
    const high = Math.min(client.maxVersion, broker?.maxVersion ?? -1);
    if (broker === null || high < Math.max(client.minVersion, broker.minVersion)) {
      throw new UnsupportedVersionError(api.apiKey, api.name, broker, client);
    }
    return high;
  }

  /**
   * Sends `message` at the negotiated (or given) version.
   * @returns the decoded response.
   * @throws UnsupportedVersionError (as a rejection) when no version fits or the given one is not in
   *   the broker's range, and whatever {@link Connection.send} throws.
   */
  send<Q, R>(api: KafkaApi<Q, R>, message: Q, options: BrokerRequestOptions = {}): Promise<R> {
    let version: number;
    try {
      version = options.version ?? this.version(api as KafkaApi<unknown, unknown>, options.maxVersion);
      const range = this.apiVersions.get(api.apiKey);
      if (!range || version < range.minVersion || version > range.maxVersion) {
        throw new UnsupportedVersionError(api.apiKey, api.name, range ?? null, {
          minVersion: version,
          maxVersion: version,
        });
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const spec = apiRequest(api, message, version, options);
    if (!isTraced(requestChannel)) return this.connection.send(spec);
    const { host, port, nodeId } = this.broker;
    const traced: RequestMessage = {
      api: api.name,
      apiKey: api.apiKey,
      apiVersion: version,
      broker: `${host}:${port}`,
      nodeId,
      purpose: this.purpose,
      pool: this.pool,
      requestBytes: 0,
      responseBytes: 0,
      correlationId: -1,
      sentAt: 0,
    };
    return requestChannel.tracePromise(() => this.connection.send({ ...spec, progress: traced }), traced);
  }
}

/** What the client tells the broker about itself in ApiVersions v3+ (shown in broker metrics). */
export interface ClientSoftware {
  name: string;
  version: string;
}

/**
 * Runs the ApiVersions handshake on a fresh connection. Starts at the newest ApiVersions version
 * Runnel knows; a broker that does not know it answers UNSUPPORTED_VERSION in a v0 body naming the
 * ApiVersions versions it does support, and the handshake retries with the newest of those.
 * @returns the broker's version ranges by API key.
 * @throws KafkaProtocolError when the broker answers with another error code; ConnectionError and
 *   the other errors of {@link Connection.send}.
 */
export async function negotiateApiVersions(
  connection: ConnectionLike,
  software: ClientSoftware,
): Promise<Map<number, VersionRange>> {
  let version = ApiVersions.maxVersion;
  for (let attempt = 0; ; attempt++) {
    const response = await connection.send(apiVersionsRequest(version, software));
    const retryVersion = version > 0 && attempt < 3 ? apiVersionsRetryVersion(response, version) : null;
    if (retryVersion !== null) {
      version = retryVersion;
      continue;
    }
    if (response.errorCode !== 0) throw kafkaError(response.errorCode, `ApiVersions v${version}`);
    return brokerVersionRanges(response);
  }
}

function apiVersionsRequest(version: number, software: ClientSoftware): RequestSpec<ApiVersionsResponse> {
  const spec = apiRequest(
    ApiVersions,
    { clientSoftwareName: software.name, clientSoftwareVersion: software.version },
    version,
  );
  // A broker that does not know `version` answers in v0: read as @runnel/protocol's fallback says.
  return { ...spec, readBody: (reader) => readApiVersionsBody(reader, version).body };
}
