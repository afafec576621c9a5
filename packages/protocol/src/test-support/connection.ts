import { connect, type Socket } from 'node:net';
import type { ApiDefinition } from '../api.js';
import {
  type DecodedResponse,
  decodeResponse,
  encodeRequestFrame,
  responseCorrelationId,
} from '../headers.js';

interface Pending {
  readonly resolve: (payload: Uint8Array) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * A bare Kafka connection for integration tests: a net.Socket, this package's framing (4-byte size,
 * header, body) and correlation ids. No retries, no pooling: what a test sends is what goes out.
 */
export class TestConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.failAll(e));
    socket.on('close', () => this.failAll(new Error('connection closed')));
  }

  /** @returns an open connection to `host:port`. @throws when the connection fails. */
  static open(host: string, port: number): Promise<TestConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('connect', () => resolve(new TestConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a request and decodes its response. @throws on timeout, a closed socket or bad bytes. */
  async request<Req, Res>(
    api: ApiDefinition<Req, Res>,
    version: number,
    body: Req,
  ): Promise<DecodedResponse<Res>> {
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequestFrame(api, version, body, { correlationId, clientId: 'runnel-protocol-test' });
    const payload = await this.send(frame, correlationId);
    return decodeResponse(api, version, payload);
  }

  /** @returns the next correlation id, for frames a test builds by hand. */
  takeCorrelationId(): number {
    return this.nextCorrelationId++;
  }

  /** Sends a frame built by the caller. @returns the response payload (after the size prefix). */
  send(frame: Uint8Array, correlationId: number, timeoutMs = 30_000): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new Error(`no response to correlation id ${correlationId} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4) {
      const size = this.buffer.readInt32BE(0);
      if (this.buffer.length < 4 + size) return;
      const payload = new Uint8Array(this.buffer.subarray(4, 4 + size));
      this.buffer = this.buffer.subarray(4 + size);
      const p = this.pending.get(responseCorrelationId(payload));
      if (p === undefined) continue;
      this.pending.delete(responseCorrelationId(payload));
      clearTimeout(p.timer);
      p.resolve(payload);
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
  }
}
