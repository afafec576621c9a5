/**
 * A test-only driver that runs ConsumerProtocolMembers against a real broker over node:net, with
 * @runnel/protocol's framing (`encodeRequestFrame`, `decodeResponse`). It stands in for @runnel/network,
 * whose public entry exports no client yet: one connection per broker, ApiVersions first, every request
 * at the highest version both sides support, and Metadata (with topic ids) whenever the member reports
 * topic ids it cannot name.
 */
import * as net from 'node:net';
import type { TopicPartition } from '@runnel/assignors';
import {
  type ApiDefinition,
  ApiVersions,
  ConsumerGroupDescribe,
  ConsumerGroupHeartbeat,
  decodeResponse,
  encodeRequestFrame,
  FindCoordinator,
  Metadata,
  type MetadataResponse,
  negotiateVersion,
  UnsupportedVersionError,
  type VersionRange,
} from '@runnel/protocol';
import type { ConsumerProtocolMember } from '../consumer-protocol-member.js';
import type { ConsumerProtocolApiName, ConsumerProtocolRequest } from '../consumer-protocol-requests.js';
import { partitionKey, sortPartitions } from '../topic-partitions.js';

// biome-ignore lint/suspicious/noExplicitAny: the driver moves bodies of several APIs through one map.
type AnyApi = ApiDefinition<any, any>;

const APIS: { readonly [A in ConsumerProtocolApiName]: AnyApi } = {
  FindCoordinator,
  ConsumerGroupHeartbeat,
  ConsumerGroupDescribe,
};

interface Pending {
  readonly api: AnyApi;
  readonly version: number;
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

class Connection {
  private readonly socket: net.Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private failed: Error | null = null;
  readonly ready: Promise<Map<number, VersionRange>>;

  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error(`connection to ${host}:${port} closed`)));
    this.ready = this.send(ApiVersions, 0, {}, 10_000).then((r) => {
      const ranges = new Map<number, VersionRange>();
      for (const k of (r as { apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[] })
        .apiKeys) {
        ranges.set(k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion });
      }
      return ranges;
    });
  }

  send(api: AnyApi, version: number, body: unknown, timeoutMs: number): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed);
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequestFrame(api, version, body, { correlationId, clientId: 'runnel-kip848-test' });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new Error(`${api.name} v${version} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, { api, version, resolve, reject, timer });
      this.socket.write(frame);
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
      const payload = new Uint8Array(this.buffered.subarray(4, 4 + size));
      this.buffered = this.buffered.subarray(4 + size);
      const correlationId = new DataView(payload.buffer, payload.byteOffset).getInt32(0);
      const p = this.pending.get(correlationId);
      if (!p) continue;
      this.pending.delete(correlationId);
      clearTimeout(p.timer);
      try {
        p.resolve(decodeResponse(p.api, p.version, payload).body);
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
export class ConsumerProtocolWireClient {
  private readonly connections = new Map<string, Connection>();

  constructor(private readonly bootstrap: { host: string; port: number }) {}

  /** Sends a member's request at the best common version. @returns the decoded response. */
  send(request: ConsumerProtocolRequest): Promise<unknown> {
    const node = request.target.kind === 'coordinator' ? request.target.node : this.bootstrap;
    return this.sendTo(node, APIS[request.api], request.minVersion, request.maxVersion, (v) =>
      request.bodyAt(v),
    );
  }

  /** @returns every topic of the cluster with its id (Metadata v10+). */
  async topics(): Promise<{ topicId: string; name: string; isInternal: boolean }[]> {
    const body = { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false };
    const r = (await this.sendTo(this.bootstrap, Metadata, 10, 12, () => body)) as MetadataResponse;
    return r.topics.flatMap((t) =>
      t.name !== null && t.topicId !== undefined
        ? [{ topicId: t.topicId, name: t.name, isInternal: t.isInternal ?? false }]
        : [],
    );
  }

  close(): void {
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }

  private async sendTo(
    node: { host: string; port: number },
    api: AnyApi,
    minVersion: number,
    maxVersion: number,
    bodyAt: (version: number) => unknown,
  ): Promise<unknown> {
    const key = `${node.host}:${node.port}`;
    let c = this.connections.get(key);
    if (!c) {
      c = new Connection(node.host, node.port);
      this.connections.set(key, c);
    }
    let version: number;
    try {
      const ranges = await c.ready;
      version = negotiateVersion(api, ranges, new Map([[api.apiKey, { minVersion, maxVersion }]]));
    } catch (e) {
      if (!(e instanceof UnsupportedVersionError)) {
        this.connections.delete(key);
        c.close();
      }
      throw e;
    }
    try {
      return await c.send(api, version, bodyAt(version), 30_000);
    } catch (e) {
      this.connections.delete(key);
      c.close();
      throw e;
    }
  }
}

/**
 * Runs one member: polls it, sends its requests, feeds back responses and metadata, and plays a
 * consumer that acknowledges every event at once (tracking what it owns) and polls often.
 */
export class ConsumerProtocolRunner {
  /** The partitions the simulated consumer owns, from the events it handled. */
  owned: TopicPartition[] = [];
  readonly log: string[] = [];
  /** Every revocation the member asked for, in order. */
  readonly revocations: TopicPartition[][] = [];
  private stopped = false;
  private metadataInFlight = false;
  private wake: (() => void) | null = null;
  private readonly loop: Promise<void>;

  constructor(
    readonly name: string,
    readonly member: ConsumerProtocolMember,
    private readonly client: ConsumerProtocolWireClient,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const now = Date.now();
      this.member.recordPoll(now);
      const { requests, events, nextPollAt, unresolvedTopicIds } = this.member.poll(now);
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
            const gone = new Set(e.partitions.map(partitionKey));
            this.owned = this.owned.filter((p) => !gone.has(partitionKey(p)));
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
          (response) => this.deliver(() => this.member.onResponse(r, response as never, Date.now())),
          (error: Error) => this.deliver(() => this.member.onResponse(r, error, Date.now())),
        );
      }
      if (unresolvedTopicIds.length > 0 && !this.metadataInFlight) {
        this.metadataInFlight = true;
        this.client.topics().then(
          (topics) => {
            this.metadataInFlight = false;
            this.deliver(() => this.member.onMetadata(topics));
          },
          () => {
            this.metadataInFlight = false;
          },
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

  private deliver(input: () => void): void {
    if (this.stopped) return;
    input();
    this.wake?.();
  }

  /** Leaves the group and waits until the member is UNSUBSCRIBED, then stops driving it. */
  async leave(timeoutMs = 30_000): Promise<void> {
    this.member.leaveGroup(Date.now());
    this.wake?.();
    const deadline = Date.now() + timeoutMs;
    while (this.member.state !== 'UNSUBSCRIBED') {
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
