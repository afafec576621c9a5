/**
 * A minimal, test-only driver that runs ClassicGroupMembers against real brokers over node:net, with
 * @runnel/protocol's codecs and framing rules. It stands in for @runnel/network, whose connection
 * pool was not ready when these tests were written: one connection per broker, ApiVersions first,
 * then every request at the highest version both sides support.
 */
import * as net from 'node:net';
import type { TopicPartition } from '@runnel/assignors';
import { Reader, Writer } from '@runnel/codec';
import {
  type ApiDefinition,
  ApiVersions,
  FindCoordinator,
  Heartbeat,
  JoinGroup,
  LeaveGroup,
  Metadata,
  RequestHeader,
  ResponseHeader,
  SyncGroup,
} from '@runnel/protocol';
import type { ClassicGroupMember } from '../classic-member.js';
import type { GroupApiName, GroupRequest } from '../requests.js';
import { sortPartitions } from '../topic-partitions.js';

// biome-ignore lint/suspicious/noExplicitAny: the driver moves bodies of several APIs through one map.
type AnyApi = ApiDefinition<any, any>;

const APIS: { readonly [A in GroupApiName]: AnyApi } = {
  FindCoordinator,
  JoinGroup,
  SyncGroup,
  Heartbeat,
  LeaveGroup,
  Metadata,
};

interface Pending {
  api: AnyApi;
  version: number;
  resolve: (body: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

class WireConnection {
  private readonly socket: net.Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private failed: Error | null = null;
  readonly ready: Promise<Map<number, { min: number; max: number }>>;

  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error(`connection to ${host}:${port} closed`)));
    this.ready = this.send(ApiVersions, 0, {}, 10_000).then((r) => {
      const ranges = new Map<number, { min: number; max: number }>();
      for (const k of (r as { apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[] })
        .apiKeys) {
        ranges.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
      }
      return ranges;
    });
  }

  send(api: AnyApi, version: number, body: unknown, timeoutMs: number): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed);
    const correlationId = this.nextCorrelationId++;
    const flexible = api.flexibleMinVersion !== null && version >= api.flexibleMinVersion;
    const w = new Writer(256);
    const sizeAt = w.reserveInt32();
    RequestHeader.write(
      w,
      { requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId: 'runnel-group-test' },
      flexible ? 2 : 1,
    );
    api.request.write(w, body, version);
    w.patchInt32(sizeAt, w.length - 4);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new Error(`request ${api.name} v${version} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, { api, version, resolve, reject, timer });
      this.socket.write(w.finish());
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const frame = new Uint8Array(this.buffered.subarray(4, 4 + size));
      this.buffered = this.buffered.subarray(4 + size);
      const r = new Reader(frame);
      const correlationId = new DataView(frame.buffer, frame.byteOffset).getInt32(0);
      const p = this.pending.get(correlationId);
      if (!p) continue;
      this.pending.delete(correlationId);
      clearTimeout(p.timer);
      try {
        const flexible = p.api.flexibleMinVersion !== null && p.version >= p.api.flexibleMinVersion;
        // ApiVersions answers with header v0 whatever its version, so old clients can read it.
        ResponseHeader.decode(r, flexible && p.api !== ApiVersions ? 1 : 0);
        p.resolve(p.api.response.decode(r, p.version));
      } catch (e) {
        p.reject(e as Error);
      }
    }
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = error;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
  }
}

/** One connection per broker, reopened after a failure. */
export class WireClient {
  private readonly connections = new Map<string, WireConnection>();

  constructor(private readonly bootstrap: { host: string; port: number }) {}

  /** Sends a group request to its target at the best common version. @returns the decoded response. */
  async send(request: GroupRequest): Promise<unknown> {
    const node = request.target.kind === 'coordinator' ? request.target.node : this.bootstrap;
    const key = `${node.host}:${node.port}`;
    let c = this.connections.get(key);
    if (!c) {
      c = new WireConnection(node.host, node.port);
      this.connections.set(key, c);
    }
    try {
      const ranges = await c.ready;
      const api = APIS[request.api];
      const broker = ranges.get(api.apiKey);
      if (!broker) throw new Error(`broker does not support ${request.api}`);
      const version = Math.min(request.maxVersion, broker.max, api.maxVersion);
      if (version < Math.max(request.minVersion, broker.min))
        throw new Error(`no common version for ${request.api}`);
      return await c.send(api, version, request.bodyAt(version), request.timeoutMs);
    } catch (e) {
      this.connections.delete(key);
      c.close();
      throw e;
    }
  }

  close(): void {
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }
}

/**
 * Runs one member: polls it, sends its requests, feeds back responses, and plays a consumer that
 * acknowledges every event at once (tracking what it owns) and polls often enough.
 */
export class MemberRunner {
  /** The partitions the simulated consumer owns, from the events it acknowledged. */
  owned: TopicPartition[] = [];
  readonly log: string[] = [];
  /** Every revocation the member asked for, in order. */
  readonly revocations: TopicPartition[][] = [];
  private stopped = false;
  private wake: (() => void) | null = null;
  private readonly loop: Promise<void>;

  constructor(
    readonly name: string,
    readonly member: ClassicGroupMember,
    private readonly client: WireClient,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const now = Date.now();
      this.member.recordPoll(now);
      const { requests, events, nextPollAt } = this.member.poll(now);
      for (const e of events) {
        this.log.push(
          e.type === 'error' || e.type === 'fatal'
            ? `${e.type}: ${e.error.message}`
            : `${e.type} ${JSON.stringify(e.partitions)}`,
        );
        switch (e.type) {
          case 'partitionsAssigned':
            this.owned = sortPartitions(e.assignment);
            break;
          case 'partitionsRevoked': {
            this.revocations.push([...e.partitions]);
            const gone = new Set(e.partitions.map((p) => `${p.topic}-${p.partition}`));
            this.owned = this.owned.filter((p) => !gone.has(`${p.topic}-${p.partition}`));
            break;
          }
          case 'partitionsLost':
            this.owned = [];
            break;
        }
        if ('id' in e) this.member.acknowledge(e.id, Date.now());
      }
      for (const r of requests) {
        this.client.send(r).then(
          (response) => this.deliver(r, response),
          (error: Error) => this.deliver(r, error),
        );
      }
      if (events.length > 0) continue;
      const wait = Math.max(0, Math.min(nextPollAt - Date.now(), 200));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private deliver(request: GroupRequest, response: unknown): void {
    if (this.stopped) return;
    this.member.onResponse(request, response as never, Date.now());
    this.wake?.();
  }

  /** Leaves the group (revoke, LeaveGroup) and waits until the member is UNJOINED. */
  async leave(timeoutMs = 30_000): Promise<void> {
    this.member.leaveGroup(Date.now());
    this.wake?.();
    const deadline = Date.now() + timeoutMs;
    while (this.member.state !== 'UNJOINED') {
      if (Date.now() > deadline) throw new Error(`${this.name} did not leave: ${this.member.state}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
  }

  /** Stops driving the member (without leaving). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }
}
