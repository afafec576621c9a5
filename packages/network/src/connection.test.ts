import * as net from 'node:net';
import { DecodeError, EncodeError, type Reader, RunnelError, type Writer } from '@runnel/codec';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Connection, type ConnectionOptions, MAX_CORRELATION_ID, type RequestSpec } from './connection.js';
import {
  ConnectionError,
  CorrelationMismatchError,
  FrameTooLargeError,
  RequestTimeoutError,
} from './errors.js';
import { FakeClock } from './testing/fake-clock.js';
import {
  activeResources,
  type FakeClient,
  FakeKafkaServer,
  frame,
  responsePayload,
  settleIo,
} from './testing/fake-kafka-server.js';

/** A request whose body is one int32 and whose response body is one int32. */
function int32Request(value: number, extra: Partial<RequestSpec<number>> = {}): RequestSpec<number> {
  return {
    apiKey: 18,
    apiVersion: 3,
    requestHeaderVersion: 1,
    responseHeaderVersion: 0,
    writeBody: (w: Writer) => {
      w.writeInt32(value);
    },
    readBody: (r: Reader) => r.readInt32(),
    ...extra,
  };
}

function int32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value);
  return out;
}

function bodyInt32(rest: Uint8Array): number {
  return new DataView(rest.buffer, rest.byteOffset, rest.byteLength).getInt32(0);
}

/** A fake broker that answers every request with its own int32 body plus 1000. */
function echoPlus1000(client: FakeClient): void {
  client.onRequest = (req, c) => c.respond(req.correlationId, int32(bodyInt32(req.rest) + 1000));
}

/** Awaits a promise that must reject and returns what it rejected with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let baseline: Record<string, number>;

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe('Connection', () => {
  let server: FakeKafkaServer;
  let clock: FakeClock;
  const connections: Connection[] = [];

  function connect(options: Partial<ConnectionOptions> = {}): Connection {
    const c = new Connection({ host: server.host, port: server.port, clock, ...options });
    connections.push(c);
    return c;
  }

  beforeEach(() => {
    baseline = activeResources();
    clock = new FakeClock(1000);
    unhandled.length = 0;
  });

  afterEach(async () => {
    await Promise.all(connections.map((c) => c.close()));
    connections.length = 0;
    await server?.close();
    await settleIo();
    expect(unhandled).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
    // The test runner keeps short timers of its own (a loaded machine once showed one more Timeout):
    // the counts get a second to come back to the baseline; a handle we leaked would stay.
    const kinds = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'];
    const settled = () => kinds.every((kind) => (activeResources()[kind] ?? 0) <= (baseline[kind] ?? 0));
    for (let wait = 0; wait < 50 && !settled(); wait++) await new Promise((r) => setTimeout(r, 20));
    const now = activeResources();
    for (const kind of kinds) {
      expect(now[kind] ?? 0, `${kind} still active`).toBeLessThanOrEqual(baseline[kind] ?? 0);
    }
  });

  it('writes request header v1 fields and resolves with the decoded response body', async () => {
    server = await FakeKafkaServer.start(echoPlus1000);
    const connection = connect({ clientId: 'my-client', initialCorrelationId: 41 });
    await connection.connect();
    expect(connection.state).toBe('ready');
    await expect(connection.send(int32Request(5))).resolves.toBe(1005);
    const [req] = server.clients[0]!.requests;
    expect(req).toMatchObject({ apiKey: 18, apiVersion: 3, correlationId: 41, clientId: 'my-client' });
    expect([...req!.rest]).toEqual([0, 0, 0, 5]);
  });

  it("notes the correlation id, the sizes on the wire and the wall-clock time written in a request's progress", async () => {
    server = await FakeKafkaServer.start(echoPlus1000);
    const connection = connect({ clientId: 'my-client', initialCorrelationId: 41 });
    const progress = { requestBytes: 0, responseBytes: 0, correlationId: -1, sentAt: 0 };
    await expect(connection.send(int32Request(5, { progress }))).resolves.toBe(1005);
    // Request: size 4, api key 2, version 2, correlation id 4, client id 2 + 9, body 4. Response: 4 + 4 + 4.
    expect(progress).toEqual({
      requestBytes: 27,
      responseBytes: 12,
      correlationId: 41,
      sentAt: clock.wallClockMs(),
    });
  });

  it('ends a v2 request header with an empty tagged-field section and skips tagged fields of a v1 response header', async () => {
    server = await FakeKafkaServer.start((client) => {
      client.onRequest = (req, c) => {
        // correlation id, tagged fields {tag 7: [0xaa]}, body int32 77
        c.writeFrame(Uint8Array.of(...int32(req.correlationId), 1, 7, 1, 0xaa, ...int32(77)));
      };
    });
    const connection = connect({ clientId: null });
    const answer = await connection.send(
      int32Request(9, { requestHeaderVersion: 2, responseHeaderVersion: 1, apiKey: 3, apiVersion: 12 }),
    );
    expect(answer).toBe(77);
    const [req] = server.clients[0]!.requests;
    expect(req?.clientId).toBeNull();
    expect([...req!.rest]).toEqual([0, 0, 0, 0, 9]);
  });

  it('pipelines requests up to the in-flight bound, queues the rest and answers each caller in order', async () => {
    let outstanding = 0;
    let maxOutstanding = 0;
    const held: Array<() => void> = [];
    server = await FakeKafkaServer.start((client) => {
      client.onRequest = (req, c) => {
        outstanding++;
        maxOutstanding = Math.max(maxOutstanding, outstanding);
        held.push(() => {
          outstanding--;
          c.respond(req.correlationId, int32(bodyInt32(req.rest) * 2));
        });
        // Answer in batches, so that the client really has several requests in flight at once.
        if (held.length === 4) for (const answer of held.splice(0)) answer();
      };
    });
    const connection = connect({ maxInFlightRequests: 4 });
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => connection.send(int32Request(i))));
    expect(answers).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    expect(maxOutstanding).toBe(4);
    expect(server.clients[0]!.requests.map((r) => r.correlationId)).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
  });

  it('wraps correlation ids from 2^31-1 back to 0', async () => {
    server = await FakeKafkaServer.start(echoPlus1000);
    const connection = connect({ initialCorrelationId: MAX_CORRELATION_ID - 1 });
    const answers = await Promise.all([1, 2, 3].map((v) => connection.send(int32Request(v))));
    expect(answers).toEqual([1001, 1002, 1003]);
    expect(server.clients[0]!.requests.map((r) => r.correlationId)).toEqual([
      MAX_CORRELATION_ID - 1,
      MAX_CORRELATION_ID,
      0,
    ]);
  });

  it('reads responses that arrive all in one write and responses that arrive a byte at a time', async () => {
    server = await FakeKafkaServer.start((client) => {
      const batch: Uint8Array[] = [];
      client.onRequest = async (req, c) => {
        batch.push(frame(responsePayload(req.correlationId, int32(-bodyInt32(req.rest)))));
        if (batch.length < 3) return;
        const bytes = Buffer.concat(batch.splice(0));
        // The first three answers go out in one write, the next three a byte at a time.
        if (req.correlationId === 2) {
          c.writeRaw(bytes);
          return;
        }
        for (const byte of bytes) {
          c.writeRaw(Uint8Array.of(byte));
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
    });
    const connection = connect({ maxInFlightRequests: 3 });
    const answers = await Promise.all([1, 2, 3, 4, 5, 6].map((v) => connection.send(int32Request(v))));
    expect(answers).toEqual([-1, -2, -3, -4, -5, -6]);
  });

  it('keeps every response whole and its own while later ones arrive, small ones beside large ones', async () => {
    // Responses past the socket's read size are read in place into their own buffers; small ones
    // come out of a scratch buffer that the next read reuses, so each must have been copied.
    const body = (n: number, size: number) => Uint8Array.from({ length: size }, (_, i) => (i * 7 + n) & 0xff);
    const sizes = [3, 300_000, 10, 70_000, 5];
    server = await FakeKafkaServer.start((client) => {
      client.onRequest = (req, c) => {
        const n = bodyInt32(req.rest);
        c.writeRaw(frame(responsePayload(req.correlationId, body(n, sizes[n]!))));
      };
    });
    const connection = connect({ maxInFlightRequests: 5 });
    const bytes = (n: number) =>
      connection.send({ ...int32Request(n), readBody: (r: Reader) => r.readRaw(r.remaining) });
    const answers = await Promise.all(sizes.map((_, n) => bytes(n)));
    const later = await Promise.all(sizes.map((_, n) => bytes(n)));
    answers.forEach((answer, n) => {
      expect(answer.length).toBe(sizes[n]);
      expect(Buffer.from(answer).equals(Buffer.from(body(n, sizes[n]!)))).toBe(true);
      expect(Buffer.from(later[n]!).equals(Buffer.from(answer))).toBe(true);
    });
  });

  it('resolves a request that expects no response once written, and keeps matching later responses', async () => {
    server = await FakeKafkaServer.start((client) => {
      client.onRequest = (req, c) => {
        if (req.apiKey !== 0) c.respond(req.correlationId, int32(bodyInt32(req.rest) + 1000));
      };
    });
    const connection = connect();
    const fireAndForget = connection.send({ ...int32Request(1), apiKey: 0, readBody: null });
    const answered = connection.send(int32Request(2));
    await expect(fireAndForget).resolves.toBeUndefined();
    await expect(answered).resolves.toBe(1002);
    expect(server.clients[0]!.requests.map((r) => [r.apiKey, r.correlationId])).toEqual([
      [0, 0],
      [18, 1],
    ]);
  });

  it('fails the oldest request with FrameTooLargeError on an oversized size prefix and closes the connection', async () => {
    server = await FakeKafkaServer.start((client) => {
      client.onRequest = (req, c) => {
        if (req.correlationId === 1) c.writeRaw(int32(2000));
      };
    });
    const connection = connect({ maxResponseSize: 1999 });
    const first = connection.send(int32Request(1));
    const second = connection.send(int32Request(2));
    const third = connection.send(int32Request(3, { timeoutMs: 60_000 }));
    const firstError = await rejection(first);
    expect(firstError).toBeInstanceOf(FrameTooLargeError);
    expect(firstError).toMatchObject({ size: 2000, maxSize: 1999, broker: connection.broker });
    for (const other of [second, third]) {
      const error = await rejection(other);
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error).toMatchObject({ reason: 'protocol', cause: firstError });
    }
    expect(connection.state).toBe('closed');
    await expect(rejection(connection.send(int32Request(4)))).resolves.toBeInstanceOf(ConnectionError);
  });

  it('holds a response without records (JoinGroup here) to 32 MiB by default, closing the connection past it', async () => {
    server = await FakeKafkaServer.start((client) => {
      client.onRequest = (_req, c) => c.writeRaw(int32(33 * 1024 * 1024));
    });
    const connection = connect();
    const error = await rejection(connection.send(int32Request(1, { apiKey: 11 })));
    expect(error).toBeInstanceOf(FrameTooLargeError);
    expect(error).toMatchObject({ size: 33 * 1024 * 1024, maxSize: 32 * 1024 * 1024 });
    expect(connection.state).toBe('closed');
  });

  it('lets a Fetch response pass the smaller limit of other responses, up to maxResponseSize', async () => {
    server = await FakeKafkaServer.start((client) => {
      client.onRequest = (req, c) => {
        // Fetch (api key 1) gets a 3000-byte frame, anything else a 2100-byte one.
        const body = new Uint8Array(req.apiKey === 1 ? 2996 : 2096);
        c.respond(req.correlationId, body);
      };
    });
    const connection = connect({ maxResponseSize: 4000, maxNonFetchResponseSize: 2000 });
    const readAll = (r: Reader) => r.readRaw(r.remaining).length;
    await expect(connection.send(int32Request(1, { apiKey: 1, readBody: readAll }))).resolves.toBe(2996);
    const error = await rejection(connection.send(int32Request(2, { apiKey: 3, readBody: readAll })));
    expect(error).toMatchObject({ name: 'FrameTooLargeError', size: 2100, maxSize: 2000 });
  });

  it('fails with FrameTooLargeError on a negative size prefix', async () => {
    server = await FakeKafkaServer.start((client) => {
      client.onRequest = (_req, c) => c.writeRaw(Uint8Array.of(0x80, 0, 0, 0));
    });
    const connection = connect();
    const error = await rejection(connection.send(int32Request(1)));
    expect(error).toBeInstanceOf(FrameTooLargeError);
    expect(error).toMatchObject({ size: -0x8000_0000 });
  });

  it('fails with CorrelationMismatchError when a response answers another request than the oldest', async () => {
    server = await FakeKafkaServer.start((client) => {
      client.onRequest = (req, c) => {
        if (req.correlationId === 1) c.respond(1, int32(0));
      };
    });
    const connection = connect();
    const first = connection.send(int32Request(1));
    const second = connection.send(int32Request(2));
    const error = await rejection(first);
    expect(error).toBeInstanceOf(CorrelationMismatchError);
    expect(error).toMatchObject({ expected: 0, received: 1, code: 'ERR_CORRELATION_MISMATCH' });
    await expect(rejection(second)).resolves.toMatchObject({ name: 'ConnectionError', reason: 'protocol' });
  });

  it('closes the connection when a response arrives with no request in flight', async () => {
    server = await FakeKafkaServer.start((client) => {
      client.onRequest = (req, c) => {
        c.respond(req.correlationId, int32(1));
        c.respond(99, int32(2));
      };
    });
    const connection = connect();
    const closed = new Promise<ConnectionError>((resolve) => connection.onClose(resolve));
    await expect(connection.send(int32Request(1))).resolves.toBe(1);
    const error = await closed;
    expect(error).toMatchObject({ reason: 'protocol' });
    expect(error.cause).toMatchObject({ name: 'CorrelationMismatchError', expected: -1, received: 99 });
  });

  it('fails in-flight requests with ConnectionError when the broker closes the connection mid-frame', async () => {
    server = await FakeKafkaServer.start((client) => {
      client.onRequest = (req, c) => {
        const whole = frame(responsePayload(req.correlationId, int32(5)));
        c.socket.end(whole.subarray(0, 6));
      };
    });
    const connection = connect();
    const error = await rejection(connection.send(int32Request(1)));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ reason: 'closed', broker: `${server.host}:${server.port}` });
    expect((error as Error).message).toContain('mid-frame');
  });

  it('fails only the request whose response body does not decode, and keeps the connection', async () => {
    server = await FakeKafkaServer.start((client) => {
      client.onRequest = (req, c) => {
        c.respond(req.correlationId, req.correlationId === 0 ? Uint8Array.of(1, 2) : int32(7));
      };
    });
    const connection = connect();
    const error = await rejection(connection.send(int32Request(1)));
    expect(error).toBeInstanceOf(DecodeError);
    await expect(connection.send(int32Request(2))).resolves.toBe(7);
    expect(connection.state).toBe('ready');
  });

  it('fails a request that cannot be encoded without using a correlation id', async () => {
    server = await FakeKafkaServer.start(echoPlus1000);
    const connection = connect();
    const error = await rejection(connection.send(int32Request(2 ** 40)));
    expect(error).toBeInstanceOf(EncodeError);
    await expect(connection.send(int32Request(1))).resolves.toBe(1001);
    expect(server.clients[0]!.requests.map((r) => r.correlationId)).toEqual([0]);
  });

  describe('timeouts', () => {
    it('fails a stalled in-flight request with RequestTimeoutError and closes the connection for the others', async () => {
      server = await FakeKafkaServer.start();
      const connection = connect({ requestTimeoutMs: 5000 });
      await connection.connect();
      const stalled = connection.send(int32Request(1));
      const longPoll = connection.send(int32Request(2, { timeoutMs: 60_000 }));
      await until(() => server.clients[0]?.requests.length === 2);
      clock.advance(4999);
      expect(connection.state).toBe('ready');
      clock.advance(1);
      const error = await rejection(stalled);
      expect(error).toBeInstanceOf(RequestTimeoutError);
      expect(error).toMatchObject({ apiKey: 18, timeoutMs: 5000, code: 'ERR_REQUEST_TIMEOUT' });
      await expect(rejection(longPoll)).resolves.toMatchObject({ reason: 'request-timeout', cause: error });
      expect(connection.state).toBe('closed');
    });

    it('drops a queued request that timed out before it was written, and keeps the connection', async () => {
      let release: (() => void) | undefined;
      server = await FakeKafkaServer.start((client) => {
        client.onRequest = (req, c) => {
          release = () => c.respond(req.correlationId, int32(bodyInt32(req.rest)));
        };
      });
      const connection = connect({ maxInFlightRequests: 1 });
      const first = connection.send(int32Request(1, { timeoutMs: 10_000 }));
      const queued = connection.send(int32Request(2, { timeoutMs: 100 }));
      await until(() => release !== undefined);
      clock.advance(100);
      await expect(rejection(queued)).resolves.toBeInstanceOf(RequestTimeoutError);
      expect(connection.state).toBe('ready');
      release!();
      await expect(first).resolves.toBe(1);
      expect(server.clients[0]!.requests).toHaveLength(1);
    });

    it('fails connect with a connect-timeout ConnectionError when the socket never connects', async () => {
      server = await FakeKafkaServer.start();
      const sockets: net.Socket[] = [];
      const connection = connect({
        connectTimeoutMs: 3000,
        socketFactory: () => {
          const socket = new net.Socket(); // never told to connect: stays pending
          sockets.push(socket);
          return socket;
        },
      });
      const connecting = connection.connect();
      const queued = connection.send(int32Request(1));
      clock.advance(3000);
      const error = await rejection(connecting);
      expect(error).toMatchObject({ name: 'ConnectionError', reason: 'connect-timeout' });
      await expect(rejection(queued)).resolves.toBe(error);
      expect(sockets[0]?.destroyed).toBe(true);
    });
  });

  it('fails with a refused ConnectionError when nothing listens on the port', async () => {
    server = await FakeKafkaServer.start();
    const port = server.port;
    await server.close();
    const connection = new Connection({ host: '127.0.0.1', port, clock });
    connections.push(connection);
    const error = await rejection(connection.connect());
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ reason: 'refused', broker: `127.0.0.1:${port}`, code: 'ERR_CONNECTION' });
  });

  it('close() fails in-flight and queued requests with a closed ConnectionError and later sends too', async () => {
    server = await FakeKafkaServer.start();
    const connection = connect({ maxInFlightRequests: 1 });
    const inFlight = connection.send(int32Request(1));
    const queued = connection.send(int32Request(2));
    await until(() => server.clients[0]?.requests.length === 1);
    expect([connection.inFlightCount, connection.queuedCount]).toEqual([1, 1]);
    const outcomes = Promise.all([inFlight, queued].map(rejection));
    await connection.close();
    const errors = [...(await outcomes), await rejection(connection.send(int32Request(3)))];
    for (const error of errors) expect(error).toMatchObject({ name: 'ConnectionError', reason: 'closed' });
    expect(connection.state).toBe('closed');
  });

  it('ends every request in a typed error when the broker answers with garbage bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), async (garbage) => {
        server = await FakeKafkaServer.start((client) => {
          client.onRequest = (_req, c) => c.socket.end(garbage);
        });
        const connection = new Connection({
          host: server.host,
          port: server.port,
          clock,
          maxResponseSize: 1 << 20,
        });
        const outcome = await connection.send(int32Request(1)).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
        if ('error' in outcome) expect(outcome.error).toBeInstanceOf(RunnelError);
        else expect(typeof outcome.value).toBe('number');
        await connection.close();
        await server.close();
      }),
      { numRuns: 30 },
    );
  });
});

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
