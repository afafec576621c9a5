/**
 * A fetcher over @runnel/network/testing's in-memory FakeCluster and a real ClusterClient: one broker
 * (`broker:9092`, node 1) leads every partition of topic `t` at leader epoch 7, and each Fetch waits
 * for the test to answer it. Time is a FakeClock: backoffs pass when the test advances it.
 */
import { encodeRecordBatch } from '@runnel/codec';
import { type Clock, ClusterClient } from '@runnel/network';
import { FakeClock, FakeCluster, type ReceivedRequest } from '@runnel/network/testing';
import {
  Fetch,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartitionData,
  Metadata,
  type MetadataRequest,
  type MetadataResponse,
} from '@runnel/protocol';
import type { OffsetAndEpoch } from '../batch.js';
import { type ConsumerConfig, resolveConfig } from '../config.js';
import type { ConsumerContext } from '../context.js';
import { Fetcher } from '../fetcher.js';

/** A Fetch the fetcher sent, which the test answers. */
export interface SentFetch {
  readonly request: FetchRequest;
  respond(response: FetchResponse): void;
}

/** The broker every partition of the fake cluster's topics is led by. */
export const BROKER = { nodeId: 1, host: 'broker', port: 9092, rack: null } as const;

/**
 * @returns a Metadata answer naming {@link BROKER} and, for each topic asked for, `partitions`
 *   partitions led by it at leader epoch 7 (no topic ids, so Fetch names topics).
 */
export function metadataAnswer(request: MetadataRequest, partitions = 8): MetadataResponse {
  const names = request.topics?.map((t) => t.name ?? '') ?? ['t'];
  return {
    brokers: [BROKER],
    clusterId: 'fake',
    controllerId: BROKER.nodeId,
    topics: names.map((name) => ({
      errorCode: 0,
      name,
      isInternal: false,
      partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({
        errorCode: 0,
        partitionIndex,
        leaderId: BROKER.nodeId,
        leaderEpoch: 7,
        replicaNodes: [BROKER.nodeId],
        isrNodes: [BROKER.nodeId],
        offlineReplicas: [],
      })),
    })),
  };
}

/** @returns a ClusterClient over `cluster`, with the consumer's backoff. */
export function fakeClient(cluster: FakeCluster, clock: Clock, retryBackoffMs = 100): ClusterClient {
  return new ClusterClient({
    bootstrapServers: `${BROKER.host}:${BROKER.port}`,
    connectionFactory: cluster.factory,
    clock,
    retryBackoffMs,
  });
}

/** Lets the fetcher's microtasks and a timer turn run. */
export const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

const text = new TextEncoder();

/** @returns one uncompressed batch of `count` records from `baseOffset`. */
export function records(baseOffset: number, count: number, partitionLeaderEpoch = 7): Uint8Array {
  return encodeRecordBatch({
    baseOffset,
    partitionLeaderEpoch,
    records: Array.from({ length: count }, (_, i) => ({ value: text.encode(`v${baseOffset + i}`) })),
  });
}

/** @returns a Fetch response for topic `t` with these partitions (defaults for the rest). */
export function response(
  partitions: Array<Partial<FetchResponsePartitionData> & { partitionIndex: number }>,
): FetchResponse {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 5,
    responses: [
      {
        topic: 't',
        partitions: partitions.map((p) => ({
          errorCode: 0,
          highWatermark: 100n,
          lastStableOffset: 100n,
          logStartOffset: 0n,
          abortedTransactions: null,
          preferredReadReplica: -1,
          records: null,
          ...p,
        })),
      },
    ],
  };
}

/** Where the partitions of {@link setup} start (default offset 0), and on which clock. */
export interface SetupOptions {
  readonly start?: OffsetAndEpoch;
  readonly clock?: FakeClock;
}

/**
 * @returns a fetcher over a fake cluster (metadata already known), assigned `partitions` of `t`, each
 *   positioned at `start`; the Fetches it sent, each waiting for `respond`; the clock; and `close`,
 *   which closes the fetcher and its client.
 */
export async function setup(
  config: Partial<ConsumerConfig> = {},
  partitions = [0],
  { start = { offset: 0, leaderEpoch: -1 }, clock = new FakeClock() }: SetupOptions = {},
) {
  const cluster = new FakeCluster(clock);
  const fetches: SentFetch[] = [];
  cluster.handler = (request: ReceivedRequest) => {
    if (request.apiKey === Metadata.apiKey) return { response: metadataAnswer(request.message) };
    if (request.apiKey !== Fetch.apiKey) return undefined;
    return new Promise((resolve) => {
      fetches.push({ request: request.message, respond: (answer) => resolve({ response: answer }) });
    });
  };
  const resolved = resolveConfig({ brokers: `${BROKER.host}:${BROKER.port}`, ...config });
  const client = fakeClient(cluster, clock, resolved.retryBackoffMs);
  await client.topicMetadata(new Set(['t']));
  const context: ConsumerContext = { config: resolved, client, clock };
  const fetcher = new Fetcher(context);
  fetcher.setAssignment(partitions.map((partition) => ({ topic: 't', partition })));
  for (const p of fetcher.partitions.values()) p.seek(start);
  const close = async () => {
    fetcher.close();
    await client.close();
  };
  return {
    cluster: { fetches, fake: cluster },
    fetcher,
    p0: fetcher.partitions.values().next().value!,
    clock,
    close,
  };
}

/** @returns the partitions and offsets a Fetch asks for. */
export function offsetsIn(request: FetchRequest): Array<[number, bigint]> {
  return request.topics.flatMap((t) =>
    t.partitions.map((p) => [p.partition, p.fetchOffset] as [number, bigint]),
  );
}
