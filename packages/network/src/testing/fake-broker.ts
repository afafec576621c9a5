import { Reader, Writer } from '@runnel/codec';
import {
  type ApiDefinition,
  ApiVersions,
  apis,
  Fetch,
  type FetchRequest,
  type FetchResponse,
  ListOffsets,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  Metadata,
  type MetadataRequest,
  type MetadataResponse,
  OffsetForLeaderEpoch,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  requestHeaderVersion,
  responseHeaderVersion,
} from '@runnel/protocol';
import { type FakeClient, FakeKafkaServer, type FakeRequest } from './fake-kafka-server.js';

/** What the broker answers for one partition of a Fetch; undefined: no data (an empty answer). */
export interface FakeFetchAnswer {
  readonly records?: Uint8Array | null;
  readonly errorCode?: number;
  /** Default: one past the last offset the test says exists (`endOffset`). */
  readonly highWatermark?: bigint;
}

/** How a {@link FakeBroker} answers. */
export interface FakeBrokerOptions {
  /** The topics and their partition counts. */
  readonly topics: Readonly<Record<string, number>>;
  /** The records for a Fetch of `topic`-`partition` at `fetchOffset`, of at most `maxBytes` as a broker cuts them. */
  readonly fetch?: (
    topic: string,
    partition: number,
    fetchOffset: bigint,
    maxBytes: number,
  ) => FakeFetchAnswer | undefined;
  /** The log end offset of each partition, for ListOffsets `latest` (default 0). */
  readonly endOffset?: (topic: string, partition: number) => bigint;
}

/** The versions the fake speaks: topics by name (Fetch below v13), nothing newer than it needs. */
const VERSIONS: ReadonlyArray<readonly [ApiDefinition<unknown, unknown>, number, number]> = [
  [ApiVersions as ApiDefinition<unknown, unknown>, 0, 3],
  [Metadata as ApiDefinition<unknown, unknown>, 1, 12],
  [ListOffsets as ApiDefinition<unknown, unknown>, 1, 7],
  [Fetch as ApiDefinition<unknown, unknown>, 4, 12],
  [OffsetForLeaderEpoch as ApiDefinition<unknown, unknown>, 2, 4],
];

/**
 * A single-node Kafka broker on a real TCP port, enough for a consumer that assigns partitions by hand
 * (no group): ApiVersions, Metadata, ListOffsets, Fetch (no sessions) and OffsetForLeaderEpoch, each
 * answered from the test's script. It can go down (every connection dropped, new ones refused) and
 * come back on the same port.
 */
export class FakeBroker {
  /** Requests received, by API name. */
  readonly counts = new Map<string, number>();
  private server: FakeKafkaServer | null = null;
  private portValue = 0;

  private constructor(private readonly options: FakeBrokerOptions) {}

  /** Starts the broker on a free port of 127.0.0.1. @returns the running broker. */
  static async start(options: FakeBrokerOptions): Promise<FakeBroker> {
    const broker = new FakeBroker(options);
    await broker.up();
    return broker;
  }

  /** `host:port`, as a consumer's `brokers` option takes it. */
  get bootstrap(): string {
    return `127.0.0.1:${this.portValue}`;
  }

  /** Stops listening and drops every connection, as a stopped broker does. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    await server?.close();
  }

  /** Listens again (on the same port after a `down`). */
  async up(): Promise<void> {
    if (this.server) return;
    this.server = await FakeKafkaServer.start((client) => {
      client.onRequest = (request, c) => this.answer(request, c);
    }, this.portValue);
    this.portValue = this.server.port;
  }

  private answer(request: FakeRequest, client: FakeClient): void {
    const api = apis.get(request.apiKey) as ApiDefinition<unknown, unknown> | undefined;
    if (!api) return;
    this.counts.set(api.name, (this.counts.get(api.name) ?? 0) + 1);
    const version = request.apiVersion;
    const reader = new Reader(request.rest);
    if (requestHeaderVersion(api, version) >= 2) reader.readTaggedFields();
    const message = api.request.decode(reader, version);
    const body = this.respond(api, message, version);
    const w = new Writer(64);
    w.writeInt32(request.correlationId);
    if (responseHeaderVersion(api, version) >= 1) w.writeUnsignedVarInt(0);
    api.response.write(w, body, version);
    const frame = w.finish();
    // A Fetch with nothing to return waits for data as a broker does (up to maxWaitMs), instead of
    // letting the consumer ask again at once.
    const wait = api.apiKey === Fetch.apiKey && isEmptyFetch(body as FetchResponse);
    if (!wait) {
      client.writeFrame(frame);
      return;
    }
    const cancel = () => clearTimeout(timer);
    const timer = setTimeout(
      () => {
        client.socket.off('close', cancel);
        client.writeFrame(frame);
      },
      Math.min((message as FetchRequest).maxWaitMs, 500),
    );
    client.socket.once('close', cancel);
  }

  private respond(api: ApiDefinition<unknown, unknown>, message: unknown, version: number): unknown {
    switch (api.apiKey) {
      case ApiVersions.apiKey:
        return {
          errorCode: 0,
          apiKeys: VERSIONS.map(([a, minVersion, maxVersion]) => ({
            apiKey: a.apiKey,
            minVersion,
            maxVersion,
          })),
        };
      case Metadata.apiKey:
        return this.metadata(message as MetadataRequest);
      case ListOffsets.apiKey:
        return this.listOffsets(message as ListOffsetsRequest);
      case Fetch.apiKey:
        return this.fetchAnswer(message as FetchRequest, version);
      case OffsetForLeaderEpoch.apiKey:
        return this.epochs(message as OffsetForLeaderEpochRequest);
      default:
        throw new Error(`the fake broker does not answer ${api.name}`);
    }
  }

  /**
   * The topics asked for (all of them for a null list): a topic it does not have is answered with
   * UNKNOWN_TOPIC_OR_PARTITION, or INVALID_TOPIC_EXCEPTION when its name starts with `invalid-` (a name
   * the client accepts but a broker may refuse).
   */
  private metadata(request: MetadataRequest): MetadataResponse {
    const names = request.topics?.map((t) => t.name ?? '') ?? Object.keys(this.options.topics);
    return {
      brokers: [{ nodeId: 0, host: '127.0.0.1', port: this.portValue, rack: null }],
      clusterId: 'fake',
      controllerId: 0,
      topics: names.map((name) => {
        const count = this.options.topics[name];
        if (count === undefined) {
          return { errorCode: name.startsWith('invalid-') ? 17 : 3, name, isInternal: false, partitions: [] };
        }
        return this.topicMetadata(name, count);
      }),
    };
  }

  private topicMetadata(name: string, count: number): MetadataResponse['topics'][number] {
    return {
      errorCode: 0,
      name,
      isInternal: false,
      partitions: Array.from({ length: count }, (_, partitionIndex) => ({
        errorCode: 0,
        partitionIndex,
        leaderId: 0,
        leaderEpoch: 0,
        replicaNodes: [0],
        isrNodes: [0],
        offlineReplicas: [],
      })),
    };
  }

  private listOffsets(request: ListOffsetsRequest): ListOffsetsResponse {
    return {
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: 0,
          timestamp: -1n,
          offset: p.timestamp === -1n ? this.end(t.name, p.partitionIndex) : 0n,
          leaderEpoch: 0,
        })),
      })),
    };
  }

  private fetchAnswer(request: FetchRequest, version: number): FetchResponse {
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: request.topics.map((t) => ({
        topic: t.topic ?? '',
        partitions: t.partitions.map((p) => {
          const answer = this.options.fetch?.(t.topic ?? '', p.partition, p.fetchOffset, p.partitionMaxBytes);
          const hw = answer?.highWatermark ?? this.end(t.topic ?? '', p.partition);
          return {
            partitionIndex: p.partition,
            errorCode: answer?.errorCode ?? 0,
            highWatermark: hw,
            lastStableOffset: hw,
            logStartOffset: 0n,
            abortedTransactions: version >= 4 ? [] : null,
            preferredReadReplica: -1,
            records: answer?.records ?? null,
          };
        }),
      })),
    };
  }

  private epochs(request: OffsetForLeaderEpochRequest): OffsetForLeaderEpochResponse {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => ({
          errorCode: 0,
          partition: p.partition,
          leaderEpoch: 0,
          endOffset: this.end(t.topic, p.partition),
        })),
      })),
    };
  }

  private end(topic: string, partition: number): bigint {
    return this.options.endOffset?.(topic, partition) ?? 0n;
  }
}

function isEmptyFetch(response: FetchResponse): boolean {
  return response.responses.every((t) =>
    t.partitions.every((p) => p.errorCode === 0 && (p.records === null || p.records.length === 0)),
  );
}
