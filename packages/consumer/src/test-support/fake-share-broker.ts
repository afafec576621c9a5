/**
 * A share-group broker for the ShareConsumer's unit tests, on the consumer's FakeKafka (requests really
 * encoded and decoded, a FakeClock): one topic `jobs` (one partition) that the coordinator assigns to
 * every member, ShareFetch answered from a script of acquired batches (and held as a long poll of
 * `maxWaitMs` on the clock when the script is empty), and ShareAcknowledge answered with a code per
 * partition. Every request is kept for the test to read.
 */
import { encodeRecordBatch } from '@runnel/codec';
import {
  ShareAcknowledge,
  type ShareAcknowledgeRequest,
  type ShareAcknowledgeResponse,
  ShareFetch,
  type ShareFetchRequest,
  type ShareFetchResponse,
  ShareGroupHeartbeat,
  type ShareGroupHeartbeatRequest,
} from '@runnel/protocol';
import type { Deserializer } from '../deserializers.js';
import type { ShareConsumerConfig } from '../share/share-config.js';
import { ShareConsumer } from '../share/share-consumer.js';
import { FakeKafka } from './fake-kafka.js';

export const JOBS_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
/** The acquisition lock the fake broker reports. */
export const LOCK_MS = 10_000;

/** One scripted ShareFetch answer for `jobs-0`: `count` records from `first`, acquired with `deliveryCount`. */
export interface Acquired {
  readonly first: number;
  readonly count: number;
  readonly deliveryCount?: number;
}

/** An acknowledgement batch as a test reads it: [first, last, types]. */
export type AckBatch = [number, number, number[]];

/** @returns the acknowledgement batches of `jobs-0` a ShareFetch or ShareAcknowledge carried. */
export function acksOf(request: ShareFetchRequest | ShareAcknowledgeRequest): AckBatch[] {
  const partition = request.topics.flatMap((t) => t.partitions).find((p) => p.partitionIndex === 0);
  return (partition?.acknowledgementBatches ?? []).map((b) => [
    Number(b.firstOffset),
    Number(b.lastOffset),
    b.acknowledgeTypes,
  ]);
}

export class FakeShareBroker {
  readonly kafka = new FakeKafka();
  readonly heartbeats: ShareGroupHeartbeatRequest[] = [];
  readonly fetches: ShareFetchRequest[] = [];
  readonly acknowledges: ShareAcknowledgeRequest[] = [];
  /** What the next ShareFetches acquire, in order. */
  readonly script: Acquired[] = [];
  /** The acknowledge error code of `jobs-0` in the next answers (0: accepted). */
  acknowledgeErrorCode = 0;
  /** The top-level error code of the next ShareFetch answers (0: none). */
  fetchErrorCode = 0;
  /** The partitions of `jobs` the coordinator assigns in its next answers. */
  partitions: number[] = [0];
  private readonly consumers: ShareConsumer[] = [];

  constructor() {
    const { kafka } = this;
    kafka.topics.set('jobs', { partitions: 1, topicId: JOBS_ID });
    kafka.on(ShareGroupHeartbeat, (r) => {
      const m = r.message as ShareGroupHeartbeatRequest;
      this.heartbeats.push(m);
      const leaving = m.memberEpoch === -1;
      return {
        response: {
          throttleTimeMs: 0,
          errorCode: 0,
          errorMessage: null,
          memberId: m.memberId,
          memberEpoch: leaving ? -1 : 1,
          heartbeatIntervalMs: 5_000,
          assignment: leaving
            ? null
            : { topicPartitions: [{ topicId: JOBS_ID, partitions: [...this.partitions] }] },
        },
      };
    });
    kafka.on(ShareFetch, (r) => {
      const m = r.message as ShareFetchRequest;
      this.fetches.push(m);
      const next = this.script.shift();
      if (next !== undefined) return { response: this.fetchAnswer(next) };
      // A long poll: nothing to acquire until maxWaitMs of clock time passed.
      return new Promise((resolve) => {
        kafka.clock.setTimeout(() => resolve({ response: this.fetchAnswer(null) }), m.maxWaitMs);
      });
    });
    kafka.on(ShareAcknowledge, (r) => {
      this.acknowledges.push(r.message as ShareAcknowledgeRequest);
      return { response: this.acknowledgeAnswer() };
    });
  }

  /** @returns a share consumer of group `g` on this broker and its clock, subscribed to `jobs`. */
  consumer<KD extends Deserializer = 'buffer', VD extends Deserializer = 'buffer'>(
    config: Partial<ShareConsumerConfig<KD, VD>> = {},
  ): ShareConsumer<KD, VD> {
    const { kafka } = this;
    const consumer = new ShareConsumer<KD, VD>(
      { brokers: 'broker:9092', groupId: 'g', fetchMaxWaitMs: 500, ...config },
      { clock: kafka.clock, connectionFactory: kafka.cluster.factory, random: () => 0.5 },
    );
    consumer.subscribe(['jobs']);
    this.consumers.push(consumer as unknown as ShareConsumer);
    return consumer;
  }

  /** Lets `ms` of clock time pass, in steps of `step` ms. */
  pass(ms: number, step = 10): Promise<void> {
    return this.kafka.pass(ms, step);
  }

  /** @returns what `promise` resolves to, letting clock time pass (up to `ms`) until it does. */
  async waitFor<T>(promise: Promise<T>, ms = 2_000): Promise<T> {
    let done = false;
    const settled = promise.finally(() => {
      done = true;
    });
    for (let waited = 0; !done && waited < ms; waited += 10) await this.pass(10);
    if (!done) throw new Error(`nothing within ${ms} ms of clock time`);
    return settled;
  }

  /** Closes every consumer made here (letting clock time pass while they do). */
  async closeAll(): Promise<void> {
    await this.waitFor(Promise.all(this.consumers.splice(0).map((c) => c.close({ timeoutMs: 1_000 }))));
  }

  private fetchAnswer(acquired: Acquired | null): ShareFetchResponse {
    const records =
      acquired === null
        ? new Uint8Array(0)
        : encodeRecordBatch({
            baseOffset: acquired.first,
            compression: 0,
            records: Array.from({ length: acquired.count }, (_, i) => ({
              value: new TextEncoder().encode(`job ${acquired.first + i}`),
            })),
          });
    return {
      throttleTimeMs: 0,
      errorCode: this.fetchErrorCode,
      errorMessage: null,
      acquisitionLockTimeoutMs: LOCK_MS,
      responses: [
        {
          topicId: JOBS_ID,
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              errorMessage: null,
              acknowledgeErrorCode: this.acknowledgeErrorCode,
              acknowledgeErrorMessage: null,
              currentLeader: { leaderId: 1, leaderEpoch: 7 },
              records,
              acquiredRecords:
                acquired === null
                  ? []
                  : [
                      {
                        firstOffset: BigInt(acquired.first),
                        lastOffset: BigInt(acquired.first + acquired.count - 1),
                        deliveryCount: acquired.deliveryCount ?? 1,
                      },
                    ],
            },
          ],
        },
      ],
      nodeEndpoints: [],
    };
  }

  private acknowledgeAnswer(): ShareAcknowledgeResponse {
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      responses: [
        {
          topicId: JOBS_ID,
          partitions: [
            {
              partitionIndex: 0,
              errorCode: this.acknowledgeErrorCode,
              errorMessage: null,
              currentLeader: { leaderId: 1, leaderEpoch: 7 },
            },
          ],
        },
      ],
      nodeEndpoints: [],
    };
  }
}
