/**
 * A fetcher over the fake Kafka of fake-kafka.ts: one broker leads every partition of topic `t` at
 * leader epoch 7 (no topic ids, so Fetch names topics), and each Fetch waits for the test to answer it.
 * Time is a FakeClock: backoffs pass when the test advances it.
 */
import { encodeRecordBatch } from '@runnel/codec';
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
import { ConsumerEvents } from '../events.js';
import { Fetcher } from '../fetcher.js';
import { BROKER, fakeClient, metadataAnswer } from './fake-kafka.js';

/** A Fetch the fetcher sent, which the test answers. */
export interface SentFetch {
  /** `host:port` of the broker it went to. */
  readonly broker: string;
  readonly request: FetchRequest;
  respond(response: FetchResponse): void;
  /** Breaks the connection it came on instead of answering. */
  disconnect(): void;
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

/**
 * Where the partitions of {@link setup} start (default offset 0), on which clock, and the Metadata
 * answers (default {@link metadataAnswer}: one broker).
 */
export interface SetupOptions {
  readonly start?: OffsetAndEpoch;
  readonly clock?: FakeClock;
  readonly metadata?: (request: MetadataRequest) => MetadataResponse;
}

/**
 * @returns a fetcher over a fake cluster (metadata already known), assigned `partitions` of `t`, each
 *   positioned at `start`; the Fetches it sent, each waiting for `respond`; the clock; and `close`,
 *   which closes the fetcher and its client.
 */
export async function setup(
  config: Partial<ConsumerConfig> = {},
  partitions = [0],
  {
    start = { offset: 0, leaderEpoch: -1 },
    clock = new FakeClock(),
    metadata = (request) => metadataAnswer(request),
  }: SetupOptions = {},
) {
  const cluster = new FakeCluster(clock);
  const fetches: SentFetch[] = [];
  cluster.handler = (request: ReceivedRequest) => {
    if (request.apiKey === Metadata.apiKey) return { response: metadata(request.message) };
    if (request.apiKey !== Fetch.apiKey) return undefined;
    return new Promise((resolve) => {
      fetches.push({
        broker: request.broker,
        request: request.message,
        respond: (answer) => resolve({ response: answer }),
        disconnect: () => resolve({ disconnect: true }),
      });
    });
  };
  const resolved = resolveConfig({ brokers: `${BROKER.host}:${BROKER.port}`, ...config });
  const client = fakeClient(cluster, clock, resolved.retryBackoffMs);
  await client.topicMetadata(new Set(['t']));
  const context: ConsumerContext = {
    config: resolved,
    client,
    clock,
    events: new ConsumerEvents(resolved.logger),
    identity: { clientId: resolved.clientId, groupId: resolved.groupId },
  };
  const fetcher = new Fetcher(context);
  fetcher.setAssignment(partitions.map((partition) => ({ topic: 't', partition })));
  for (const p of fetcher.partitions.values()) p.seek(start);
  const close = async () => {
    fetcher.close();
    await client.close();
  };
  return {
    cluster: { fetches, fake: cluster },
    client,
    events: context.events,
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
