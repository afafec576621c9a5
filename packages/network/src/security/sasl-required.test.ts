import { apis, responseHeaderVersion } from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterClient } from '../cluster-client.js';
import { type FakeClient, FakeKafkaServer, type FakeRequest } from '../testing/fake-kafka-server.js';
import { AuthenticationError, SaslRequiredError } from './errors.js';

const SASL_HANDSHAKE = 17;
const API_VERSIONS = 18;
const METADATA = 3;
const ILLEGAL_SASL_STATE = 34;

/** Writes the encoded response of `apiKey` at the request's version, header included. */
function answer(client: FakeClient, request: FakeRequest, message: unknown): void {
  const api = apis.get(request.apiKey)!;
  const body = api.response.encode(message as never, request.apiVersion);
  const headerVersion = responseHeaderVersion(api, request.apiVersion);
  // Header v1 adds an empty tagged-field section after the correlation id.
  client.respond(request.correlationId, headerVersion >= 1 ? Buffer.concat([Buffer.of(0), body]) : body);
}

const apiVersionsResponse = {
  errorCode: 0,
  throttleTimeMs: 0,
  apiKeys: [
    { apiKey: API_VERSIONS, minVersion: 0, maxVersion: 3 },
    { apiKey: METADATA, minVersion: 0, maxVersion: 12 },
    { apiKey: SASL_HANDSHAKE, minVersion: 0, maxVersion: 1 },
  ],
};

function metadataResponse(port: number) {
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }],
    clusterId: 'fake',
    controllerId: 1,
    topics: [],
  };
}

/**
 * A broker that answers ApiVersions and then, per connection (numbered from 0), does what `script`
 * says with each other request: answer it, or close the connection without an answer.
 */
async function scriptedBroker(
  script: (connection: number, request: FakeRequest) => 'close' | { message: unknown },
): Promise<FakeKafkaServer> {
  let connections = 0;
  const server: FakeKafkaServer = await FakeKafkaServer.start((client) => {
    const n = connections++;
    client.onRequest = (request, c) => {
      if (request.apiKey === API_VERSIONS) {
        answer(c, request, apiVersionsResponse);
        return;
      }
      const step = script(n, request);
      if (step === 'close') c.socket.end();
      else answer(c, request, step.message);
    };
  });
  return server;
}

describe('a client without SASL on a listener that requires it', () => {
  let server: FakeKafkaServer | undefined;
  let client: ClusterClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
    client = undefined;
    server = undefined;
  });

  function clientOf(s: FakeKafkaServer): ClusterClient {
    client = new ClusterClient({
      bootstrapServers: `${s.host}:${s.port}`,
      retryBackoffMs: 20,
      defaultDeadlineMs: 10_000,
      reconnectBackoffMs: 10,
    });
    return client;
  }

  it('fails with SaslRequiredError naming the enabled mechanisms once a probe confirms the listener wants SASL', async () => {
    // A SASL listener: anything but ApiVersions and SaslHandshake before authentication closes the connection.
    server = await scriptedBroker((_n, request) =>
      request.apiKey === SASL_HANDSHAKE
        ? { message: { errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-512'] } }
        : 'close',
    );
    const started = performance.now();
    const error = await clientOf(server)
      .refreshMetadata()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(SaslRequiredError);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as SaslRequiredError).code).toBe('ERR_SASL_REQUIRED');
    expect((error as SaslRequiredError).enabledMechanisms).toEqual(['PLAIN', 'SCRAM-SHA-512']);
    expect((error as SaslRequiredError).message).toContain('requires SASL');
    // One connection met the close, the second one probed; nothing retried after that.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.clients.map((c) => c.requests.map((r) => r.apiKey))).toEqual([
      [API_VERSIONS, METADATA],
      [API_VERSIONS, SASL_HANDSHAKE],
    ]);
  });

  it('treats a close that a plaintext listener explains with ILLEGAL_SASL_STATE as a restart, and retries', async () => {
    const port = () => server!.port;
    // Connection 0 is cut by a "restart"; the next one answers the probe as a plaintext broker does.
    server = await scriptedBroker((n, request) => {
      if (n === 0) return 'close';
      if (request.apiKey === SASL_HANDSHAKE)
        return { message: { errorCode: ILLEGAL_SASL_STATE, mechanisms: [] } };
      return { message: metadataResponse(port()) };
    });
    const metadata = await clientOf(server).refreshMetadata();
    expect([...metadata.brokers.keys()]).toEqual([1]);
    expect(server.clients.map((c) => c.requests.map((r) => r.apiKey))).toEqual([
      [API_VERSIONS, METADATA],
      [API_VERSIONS, SASL_HANDSHAKE, METADATA],
    ]);
  });

  it('does not probe after a close that followed an answer, since the listener served a request', async () => {
    let metadataRequests = 0;
    server = await scriptedBroker((_n, request) => {
      if (request.apiKey === SASL_HANDSHAKE) return { message: { errorCode: 0, mechanisms: ['PLAIN'] } };
      // The bootstrap connection, node 1's as well once metadata names node 1 at its address, serves
      // two Metadata and is cut at its third, which the next connection serves without a probe.
      metadataRequests++;
      return metadataRequests === 3 ? 'close' : { message: metadataResponse(server!.port) };
    });
    const c = clientOf(server);
    await c.refreshMetadata();
    await c.refreshMetadata();
    await c.refreshMetadata();
    expect(server.clients.map((x) => x.requests.map((r) => r.apiKey))).toEqual([
      [API_VERSIONS, METADATA, METADATA, METADATA],
      [API_VERSIONS, METADATA],
    ]);
  });
});
