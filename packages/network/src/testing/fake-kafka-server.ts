import { Buffer } from 'node:buffer';
import * as net from 'node:net';

/** A request as the fake server parsed it, assuming request header v1 or v2. */
export interface FakeRequest {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** The bytes after the client id: the tagged-field section (header v2) and the body. */
  rest: Uint8Array;
}

/** The server side of one client connection. */
export class FakeClient {
  readonly requests: FakeRequest[] = [];
  /** Called for each complete request frame; by default the fake answers nothing. */
  onRequest: (request: FakeRequest, client: FakeClient) => void = () => {};
  private pending: Buffer = Buffer.alloc(0);

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
  }

  /** Writes a frame: a 4-byte size, then `payload`. */
  writeFrame(payload: Uint8Array): void {
    this.socket.write(frame(payload));
  }

  /** Writes a response frame: the correlation id (response header v0), then `body`. */
  respond(correlationId: number, body: Uint8Array = new Uint8Array(0)): void {
    this.writeFrame(responsePayload(correlationId, body));
  }

  /** Writes bytes as they are, without framing. */
  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  private onData(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 4) {
      const size = this.pending.readInt32BE(0);
      if (this.pending.length < 4 + size) return;
      const payload = this.pending.subarray(4, 4 + size);
      this.pending = this.pending.subarray(4 + size);
      const clientIdLength = payload.readInt16BE(8);
      const restStart = 10 + Math.max(0, clientIdLength);
      const request: FakeRequest = {
        apiKey: payload.readInt16BE(0),
        apiVersion: payload.readInt16BE(2),
        correlationId: payload.readInt32BE(4),
        clientId: clientIdLength < 0 ? null : payload.toString('utf8', 10, restStart),
        rest: new Uint8Array(payload.subarray(restStart)),
      };
      this.requests.push(request);
      this.onRequest(request, this);
    }
  }
}

/** A node:net server speaking Kafka's framing, scripted by each test. */
export class FakeKafkaServer {
  readonly host = '127.0.0.1';
  readonly clients: FakeClient[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(onClient: (client: FakeClient) => void) {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      const client = new FakeClient(socket);
      this.clients.push(client);
      onClient(client);
    });
  }

  /**
   * Starts a server on 127.0.0.1, on `port` or a free one; `onClient` sets up each accepted connection.
   * @returns the listening server.
   */
  static async start(onClient: (client: FakeClient) => void = () => {}, port = 0): Promise<FakeKafkaServer> {
    const server = new FakeKafkaServer(onClient);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.server.listen(port, '127.0.0.1', () => resolve());
    });
    return server;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Destroys every client socket and stops listening. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** `payload` with its 4-byte size prefix. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}

/** A response payload with header v0: the correlation id, then `body`. */
export function responsePayload(correlationId: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeInt32BE(correlationId, 0);
  out.set(body, 4);
  return out;
}

/** Counts of the handles and timers that keep the event loop alive, by type. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

/** Waits until pending close callbacks have run. */
export function settleIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
