/**
 * A Kafka in memory for the consumer's unit tests: @runnel/network/testing's FakeCluster (requests
 * really encoded and decoded) behind a real ClusterClient, on a FakeClock. One broker, node 1, leads
 * every partition and coordinates every group. Metadata and FindCoordinator are answered from `topics`
 * unless a test answers them itself; every other API is the test's to answer (`on`), and stalls until
 * it does.
 */
import { type Clock, ClusterClient } from '@runnel/network';
import { FakeClock, FakeCluster, type FakeHandler, type ReceivedRequest } from '@runnel/network/testing';
import {
  FindCoordinator,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  Metadata,
  type MetadataRequest,
  type MetadataResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
} from '@runnel/protocol';
import { type ConsumerConfig, resolveConfig } from '../config.js';
import type { ConsumerContext } from '../context.js';
import { ConsumerEvents } from '../events.js';

/** The broker of the fake cluster. */
export const BROKER = { nodeId: 1, host: 'broker', port: 9092, rack: null } as const;
const BOOTSTRAP = `${BROKER.host}:${BROKER.port}`;

/** A topic of the fake cluster: its partition count and, when it has one, its id (Metadata v10+). */
export interface FakeTopic {
  readonly partitions: number;
  readonly topicId?: string;
}

/**
 * @returns a Metadata answer naming {@link BROKER} and the topics asked for (every one of `topics` for
 *   a null list), each partition led by the broker at leader epoch 7; a topic not in `topics` is
 *   answered with UNKNOWN_TOPIC_OR_PARTITION.
 */
export function metadataAnswer(
  request: MetadataRequest,
  topics: ReadonlyMap<string, FakeTopic> = new Map([['t', { partitions: 8 }]]),
): MetadataResponse {
  const names = request.topics?.map((t) => t.name ?? '') ?? [...topics.keys()];
  return {
    brokers: [BROKER],
    clusterId: 'fake',
    controllerId: BROKER.nodeId,
    topics: names.map((name) => {
      const topic = topics.get(name);
      if (!topic) return { errorCode: 3, name, isInternal: false, partitions: [] };
      return {
        errorCode: 0,
        name,
        ...(topic.topicId ? { topicId: topic.topicId } : {}),
        isInternal: false,
        partitions: Array.from({ length: topic.partitions }, (_, partitionIndex) => ({
          errorCode: 0,
          partitionIndex,
          leaderId: BROKER.nodeId,
          leaderEpoch: 7,
          replicaNodes: [BROKER.nodeId],
          isrNodes: [BROKER.nodeId],
          offlineReplicas: [],
        })),
      };
    }),
  };
}

/** @returns FindCoordinator's answer: {@link BROKER} coordinates every key. */
export function coordinatorAnswer(request: FindCoordinatorRequest, version: number): FindCoordinatorResponse {
  if (version < 4) return { errorCode: 0, errorMessage: null, ...BROKER };
  return {
    coordinators: (request.coordinatorKeys ?? []).map((key) => ({
      key,
      nodeId: BROKER.nodeId,
      host: BROKER.host,
      port: BROKER.port,
      errorCode: 0,
      errorMessage: null,
    })),
  };
}

/** @returns a ClusterClient over `cluster` on `clock`, with `retryBackoffMs` between its own retries. */
export function fakeClient(cluster: FakeCluster, clock: Clock, retryBackoffMs = 100): ClusterClient {
  return new ClusterClient({
    bootstrapServers: BOOTSTRAP,
    connectionFactory: cluster.factory,
    clock,
    retryBackoffMs,
    // No jitter: waits are exactly what the backoff formula says.
    random: () => 0.5,
  });
}

/** Lets every answer and handler that is due run: microtasks and one turn of the event loop. */
export const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A fake Kafka and a consumer context on it. */
export class FakeKafka {
  readonly clock: FakeClock;
  readonly cluster: FakeCluster;
  readonly context: ConsumerContext;
  /** The cluster's topics; tests may add some. */
  readonly topics = new Map<string, FakeTopic>([['t', { partitions: 8 }]]);
  private readonly handlers = new Map<number, FakeHandler>();

  constructor(config: Partial<ConsumerConfig> = {}, clock = new FakeClock()) {
    this.clock = clock;
    this.cluster = new FakeCluster(clock);
    this.cluster.handler = (request) => this.answer(request);
    const resolved = resolveConfig({ brokers: BOOTSTRAP, ...config });
    this.context = {
      config: resolved,
      client: fakeClient(this.cluster, clock, resolved.retryBackoffMs),
      clock,
      events: new ConsumerEvents(resolved.logger),
      identity: { clientId: resolved.clientId, groupId: resolved.groupId },
      random: () => 0.5,
    };
  }

  /** @returns the default Metadata answer to `request`, from `topics`. */
  metadata(request: MetadataRequest): MetadataResponse {
    return metadataAnswer(request, this.topics);
  }

  /** Answers requests of `api` with `handler` (replacing the default answer, or the one before). */
  on(api: { readonly apiKey: number }, handler: FakeHandler): void {
    this.handlers.set(api.apiKey, handler);
  }

  /** @returns the requests of `api` received so far, decoded. */
  requests(api: { readonly apiKey: number }): ReceivedRequest[] {
    return this.cluster.requestsOf(api.apiKey);
  }

  /** Moves the clock `ms` forward in steps of at most `step`, letting what each step wakes run. */
  async pass(ms: number, step = ms): Promise<void> {
    for (let left = ms; left > 0; left -= step) {
      this.clock.advance(Math.min(step, left));
      await settle();
    }
    await settle();
  }

  /** Closes the client (and so every connection). */
  async close(): Promise<void> {
    await this.context.client.close();
  }

  private answer(request: ReceivedRequest) {
    const handler = this.handlers.get(request.apiKey);
    if (handler) return handler(request);
    if (request.apiKey === Metadata.apiKey) return { response: this.metadata(request.message) };
    if (request.apiKey === FindCoordinator.apiKey) {
      return { response: coordinatorAnswer(request.message, request.version) };
    }
    return undefined;
  }
}

/**
 * Closes `consumer`, moving `kafka`'s clock while its close waits (a group leaves), then the fake's
 * client. @returns once both are closed.
 */
export async function closeOnFakeClock(
  kafka: FakeKafka,
  consumer: { close(options: { timeoutMs: number }): Promise<void> },
): Promise<void> {
  let closed = false;
  const closing = consumer.close({ timeoutMs: 1_000 }).then(() => {
    closed = true;
  });
  for (let step = 0; step < 20 && !closed; step++) await kafka.pass(100);
  await closing;
  await kafka.close();
}

/** @returns ListOffsets' answer: `offset` (default 0, leader epoch 7) for every partition asked about. */
export function listedAt(request: ReceivedRequest, offset = 0n): { response: ListOffsetsResponse } {
  const m = request.message as ListOffsetsRequest;
  return {
    response: {
      topics: m.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: 0,
          timestamp: -1n,
          offset,
          leaderEpoch: 7,
        })),
      })),
    },
  };
}

/** One offset an OffsetCommit request carried. */
export interface SentCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly generation: number;
}

/** @returns the offsets an OffsetCommit request carried, in request order. */
export function sentCommits(request: ReceivedRequest): SentCommit[] {
  const m = request.message as OffsetCommitRequest;
  return m.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.name ?? '',
      partition: p.partitionIndex,
      offset: Number(p.committedOffset),
      leaderEpoch: p.committedLeaderEpoch ?? -1,
      generation: m.generationIdOrMemberEpoch ?? -1,
    })),
  );
}

/** @returns OffsetCommit's answer: `errorCode` (default none) for every partition it carried. */
export function commitAnswer(request: ReceivedRequest, errorCode = 0): { response: OffsetCommitResponse } {
  const m = request.message as OffsetCommitRequest;
  return {
    response: {
      topics: m.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      })),
    },
  };
}

/**
 * @returns OffsetFetch's answer (v8+): for each partition asked about, the offset `committed` gives
 *   (-1: none), or `errorCode` for every partition.
 */
export function committedAnswer(
  request: ReceivedRequest,
  committed: (topic: string, partition: number) => number,
  errorCode = 0,
): { response: OffsetFetchResponse } {
  const m = request.message as OffsetFetchRequest;
  return {
    response: {
      groups: (m.groups ?? []).map((g) => ({
        groupId: g.groupId,
        errorCode: 0,
        topics: (g.topics ?? []).map((t) => ({
          name: t.name ?? '',
          partitions: t.partitionIndexes.map((partitionIndex) => ({
            partitionIndex,
            committedOffset: BigInt(committed(t.name ?? '', partitionIndex)),
            committedLeaderEpoch: -1,
            metadata: '',
            errorCode,
          })),
        })),
      })),
    },
  };
}
