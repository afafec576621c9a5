/**
 * A cluster client for the fetcher's tests: one broker leads every partition, and each Fetch waits for
 * the test to answer it.
 */
import { encodeRecordBatch } from '@runnel/codec';
import type { ClusterClient } from '@runnel/network';
import type { FetchRequest, FetchResponse, FetchResponsePartitionData } from '@runnel/protocol';
import { type ConsumerConfig, resolveConfig } from '../config.js';
import { Fetcher } from '../fetcher.js';

/** A Fetch the fetcher sent, which the test answers. */
export interface SentFetch {
  readonly request: FetchRequest;
  respond(response: FetchResponse): void;
}

/** A cluster client that knows one broker leading every partition and lets the test answer each Fetch. */
export class FakeCluster {
  readonly fetches: SentFetch[] = [];
  readonly metadata = {
    leaderFor: () => ({ nodeId: 1, host: 'broker', port: 9092, rack: null }),
    partition: () => ({ leaderEpoch: 7 }),
    topic: () => ({ topicId: null }),
    topicName: () => undefined,
  };

  send(request: { api: { name: string }; message: unknown }): Promise<unknown> {
    if (request.api.name !== 'Fetch') return Promise.reject(new Error(`unexpected ${request.api.name}`));
    const message = request.message as (version: number) => FetchRequest;
    return new Promise((resolve) => this.fetches.push({ request: message(12), respond: resolve }));
  }

  requestMetadataUpdate(): void {}
  topicMetadata(): Promise<unknown> {
    return Promise.resolve(this.metadata);
  }
  refreshMetadata(): Promise<unknown> {
    return Promise.resolve(this.metadata);
  }
}

const text = new TextEncoder();
/** Lets the fetcher's microtasks and a timer turn run. */
export const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

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

/** @returns a fetcher over a fake cluster, assigned `partitions` of `t`, each positioned at offset 0. */
export function setup(config: Partial<ConsumerConfig> = {}, partitions = [0]) {
  const cluster = new FakeCluster();
  const fetcher = new Fetcher(
    cluster as unknown as ClusterClient,
    resolveConfig({ brokers: 'broker:9092', ...config }),
  );
  fetcher.setAssignment(partitions.map((partition) => ({ topic: 't', partition })));
  for (const p of fetcher.partitions.values()) p.seek({ offset: 0, leaderEpoch: -1 });
  return { cluster, fetcher, p0: fetcher.partitions.values().next().value! };
}

/** @returns the partitions and offsets a Fetch asks for. */
export function offsetsIn(request: FetchRequest): Array<[number, bigint]> {
  return request.topics.flatMap((t) =>
    t.partitions.map((p) => [p.partition, p.fetchOffset] as [number, bigint]),
  );
}
