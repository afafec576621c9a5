/** The option and snapshot types of the ShareConsumer's API. */
import type { ShareMemberState } from '@runnel/group';
import type { RunHandlers } from '../run-loop.js';
import type { ShareFetcherStats } from './share-fetcher.js';
import type { ShareBatch, ShareRecord } from './share-records.js';

/** Options of {@link ShareConsumer.run}; `K` and `V` are the records' key and value types. */
export interface ShareRunOptions<K = Uint8Array, V = Uint8Array>
  extends RunHandlers<ShareBatch<K, V>, ShareRecord<K, V>> {
  /** Called with each batch; the batch is finished when it resolves. */
  eachBatch?: (batch: ShareBatch<K, V>) => Promise<void> | void;
  /** Called with each record, one at a time per batch; used when `eachBatch` is not given. */
  eachRecord?: (record: ShareRecord<K, V>) => Promise<void> | void;
  /** How many batches are processed at the same time (default 1). */
  concurrency?: number;
  /** Stops `run` (after the handlers in progress finish) when aborted. */
  signal?: AbortSignal;
}

/** A point-in-time health snapshot of a share consumer. */
export interface ShareConsumerHealth extends ShareFetcherStats {
  readonly state: 'running' | 'closing' | 'closed';
  /** The share member's state (`UNSUBSCRIBED`, `JOINING`, `STABLE`...). */
  readonly memberState: ShareMemberState;
  readonly memberId: string;
  readonly memberEpoch: number;
  /** How many partitions the group assigned to this member. */
  readonly assigned: number;
  /** Memory fetched records take (buffered, and handed out until finished). */
  readonly bufferedBytes: number;
  /** ShareFetch and ShareAcknowledge requests in flight (one per broker at most). */
  readonly requestsInFlight: number;
  /** The acquisition lock duration the brokers reported (`share.record.lock.duration.ms`), or null before any. */
  readonly acquisitionLockTimeoutMs: number | null;
  /** When the last `commit()` finished (ms since the epoch), or null. */
  readonly lastCommitAt: number | null;
  /** Since when no broker has been reachable (ms since the epoch), or null while one is. */
  readonly allBrokersDownSince: number | null;
  /** The last connection error while no broker is reachable; null otherwise. */
  readonly lastConnectionError: Error | null;
  /** What stopped the consumer (the group member's fatal error, no broker for too long), or null. */
  readonly fatalError: Error | null;
}
