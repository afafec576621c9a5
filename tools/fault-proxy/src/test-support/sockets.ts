import { connect, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A fake broker: records what each connection sent, and lets the test write back. */
export class FakeUpstream {
  readonly connections: Array<{ socket: Socket; received: Buffer[]; ended: boolean }> = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeUpstream> {
    const server = createServer({ allowHalfOpen: true });
    const upstream = new FakeUpstream(server);
    server.on('connection', (socket) => {
      const entry = { socket, received: [] as Buffer[], ended: false };
      socket.on('data', (chunk: Buffer) => entry.received.push(chunk));
      socket.on('end', () => {
        entry.ended = true;
      });
      socket.on('error', () => {});
      upstream.connections.push(entry);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    return upstream;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Everything connection `i` received so far. */
  received(i = 0): Buffer {
    return Buffer.concat(this.connections[i]?.received ?? []);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}

/** A client connection that records what it got and how it ended. */
export class TestClient {
  readonly received: Buffer[] = [];
  error: NodeJS.ErrnoException | undefined;
  closed = false;
  ended = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.received.push(chunk));
    socket.on('error', (error) => {
      this.error = error;
    });
    socket.on('end', () => {
      this.ended = true;
    });
    socket.on('close', () => {
      this.closed = true;
    });
  }

  /** Connects to `port`; resolves once connected, or with the error (in `error`) when refused. */
  static connect(port: number): Promise<TestClient> {
    const client = new TestClient(connect({ host: '127.0.0.1', port, allowHalfOpen: true }));
    return new Promise((done) => {
      client.socket.once('connect', () => done(client));
      client.socket.once('close', () => done(client));
    });
  }

  get bytes(): Buffer {
    return Buffer.concat(this.received);
  }
}

/** Waits (real time) until `condition` holds. @throws Error naming `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Lets pending socket events run (real time), for checks that something did NOT happen. */
export function settle(ms = 50): Promise<void> {
  return sleep(ms);
}

/** A Kafka-style frame: 4-byte big-endian size, then `body`. */
export function frame(body: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  out.set(body, 4);
  return out;
}
