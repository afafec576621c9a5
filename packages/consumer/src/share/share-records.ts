/**
 * What a share consumer hands out: records with their delivery count, in batches that remember how
 * each record was acknowledged. A `ShareDelivery` is one handed-out batch: the acknowledgement rules of
 * its records (once each, only while the acquisition lock holds, only by the consumer that acquired
 * them) live here, so that they are tested without a broker.
 */
import type { RecordHeader, TimestampType } from '@runnel/codec';
import type { ConsumerRecord } from '../batch.js';
import { IllegalStateError } from '../errors.js';
import {
  ACKNOWLEDGE_TYPES,
  type AcknowledgeType,
  AcquisitionLockTimeoutError,
  InvalidAcknowledgeTypeError,
  RecordAlreadyAcknowledgedError,
  RecordNotAcquiredError,
} from './share-errors.js';

/** Kafka's acknowledgement type codes on the wire (ShareFetch, ShareAcknowledge). */
export const AckCode = { gap: 0, accept: 1, release: 2, reject: 3 } as const;

/** One of {@link AckCode}'s values. */
export type AckCode = (typeof AckCode)[keyof typeof AckCode];

/**
 * A record of a share group, handed to one member at a time; `K` and `V` are what the deserializers
 * make of its key and value (bytes without them).
 */
export interface ShareRecord<K = Uint8Array, V = Uint8Array> extends ConsumerRecord<K, V> {
  /**
   * How many times the broker has handed this record out, this time included: 1 on the first
   * delivery, 2 after a release or a lock that ran out, and so on up to the group's
   * `share.delivery.count.limit`, past which the broker archives it.
   */
  readonly deliveryCount: number;
}

/** The records of one partition acquired by one ShareFetch (a chunk of them), in offset order. */
export interface ShareBatch<K = Uint8Array, V = Uint8Array> {
  readonly topic: string;
  readonly partition: number;
  /** Never empty. */
  readonly records: readonly ShareRecord<K, V>[];
  readonly firstOffset: number;
  readonly lastOffset: number;
  /**
   * When (ms since the epoch) the records' acquisition lock runs out, counted conservatively from when
   * the ShareFetch was sent; past it they are no longer this consumer's.
   */
  readonly lockExpiresAt: number;
}

/** What a delivery reports when one of its records is acknowledged. */
export type AcknowledgementSink = (delivery: ShareDelivery, offset: number, code: AckCode) => void;

/**
 * A handed-out record: the fetched record (whose class deserializes its key and value when the config
 * has deserializers), its delivery count, and where it belongs.
 */
class AcquiredRecord implements ShareRecord {
  constructor(
    private readonly inner: ConsumerRecord,
    readonly deliveryCount: number,
    readonly delivery: ShareDelivery,
    readonly index: number,
  ) {}

  get topic(): string {
    return this.inner.topic;
  }

  get partition(): number {
    return this.inner.partition;
  }

  get offset(): number {
    return this.inner.offset;
  }

  get leaderEpoch(): number {
    return this.inner.leaderEpoch;
  }

  get timestamp(): number {
    return this.inner.timestamp;
  }

  get timestampType(): TimestampType {
    return this.inner.timestampType;
  }

  get key(): Uint8Array | null {
    return this.inner.key;
  }

  get value(): Uint8Array | null {
    return this.inner.value;
  }

  get headers(): readonly RecordHeader[] {
    return this.inner.headers;
  }
}

/** Heap one handed-out share record takes beyond the fetched record: the wrapper and a type slot. */
export const SHARE_RECORD_BYTES = 64;

const CODE_OF: Readonly<Record<AcknowledgeType, AckCode>> = {
  accept: AckCode.accept,
  release: AckCode.release,
  reject: AckCode.reject,
};
const NAME_OF = ['gap', 'accept', 'release', 'reject'] as const;
const UNACKNOWLEDGED = 255;

/**
 * @returns the wire code of acknowledgement type `type`.
 * @throws InvalidAcknowledgeTypeError when it is not `accept`, `release` or `reject`.
 */
export function ackCodeOf(type: unknown): AckCode {
  if (typeof type !== 'string' || !(ACKNOWLEDGE_TYPES as readonly string[]).includes(type)) {
    throw new InvalidAcknowledgeTypeError(type);
  }
  return CODE_OF[type as AcknowledgeType];
}

/** One handed-out batch of a share consumer, and how each of its records was acknowledged. */
export class ShareDelivery {
  readonly batch: ShareBatch;
  /** Per record: the acknowledgement code, or UNACKNOWLEDGED. */
  private readonly codes: Uint8Array;
  private open: number;
  private done = false;

  /**
   * @param owner the consumer that acquired the records: `acknowledge` refuses records of another
   * @param records the fetched records with their delivery counts, in offset order (not empty)
   * @param heldBytes memory the batch holds until finished (counted against `maxBufferedBytes`)
   * @param sink told of each acknowledgement, to send it to the broker
   */
  constructor(
    readonly owner: object,
    topic: string,
    partition: number,
    records: readonly { readonly record: ConsumerRecord; readonly deliveryCount: number }[],
    lockExpiresAt: number,
    readonly heldBytes: number,
    private readonly sink: AcknowledgementSink,
  ) {
    const out = records.map((r, i) => new AcquiredRecord(r.record, r.deliveryCount, this, i));
    this.batch = {
      topic,
      partition,
      records: out,
      firstOffset: out[0]!.offset,
      lastOffset: out[out.length - 1]!.offset,
      lockExpiresAt,
    };
    this.codes = new Uint8Array(out.length).fill(UNACKNOWLEDGED);
    this.open = out.length;
  }

  /** @returns how many records are not acknowledged yet. */
  get unacknowledged(): number {
    return this.open;
  }

  /** @returns whether the delivery was finished (or released): its records take no acknowledgement. */
  get finished(): boolean {
    return this.done;
  }

  /**
   * @returns the delivery `record` belongs to when `owner` handed it out and it is still open.
   * @throws RecordNotAcquiredError for a record another consumer handed out, a copy, or one of a
   *   finished delivery.
   */
  static of(record: unknown, owner: object): { delivery: ShareDelivery; index: number } {
    if (!(record instanceof AcquiredRecord) || record.delivery.owner !== owner) {
      const r = record as Partial<ConsumerRecord> | null;
      const what =
        typeof r === 'object' && r !== null && typeof r.offset === 'number'
          ? `offset ${r.offset} of ${String(r.topic)}-${String(r.partition)}`
          : 'this value';
      throw new RecordNotAcquiredError(what);
    }
    if (record.delivery.done) {
      throw new RecordNotAcquiredError(`offset ${record.offset} of ${record.topic}-${record.partition}`);
    }
    return { delivery: record.delivery, index: record.index };
  }

  /**
   * Acknowledges the record at `index` with `code`, at `now` (ms since the epoch).
   * @throws RecordAlreadyAcknowledgedError when it was already; AcquisitionLockTimeoutError when its
   *   lock ran out. Nothing is recorded then.
   */
  acknowledge(index: number, code: AckCode, now: number): void {
    const record = this.batch.records[index]!;
    const previous = this.codes[index]!;
    if (previous !== UNACKNOWLEDGED) {
      throw new RecordAlreadyAcknowledgedError(record, NAME_OF[previous] as AcknowledgeType);
    }
    if (now >= this.batch.lockExpiresAt)
      throw new AcquisitionLockTimeoutError(record, this.batch.lockExpiresAt);
    this.codes[index] = code;
    this.open--;
    this.sink(this, record.offset, code);
  }

  /**
   * Finishes the delivery: in implicit mode, every record not acknowledged yet is accepted (while the
   * lock holds; after it, they are no longer ours and nothing is sent); in explicit mode every record
   * must have been acknowledged, unless its lock ran out (it can no longer be, and is not ours).
   * @returns the number of records left unacknowledged because their lock ran out.
   * @throws IllegalStateError in explicit mode when records are not acknowledged while the lock holds
   *   (nothing changes).
   */
  finish(mode: 'implicit' | 'explicit', now: number): number {
    if (this.done) return 0;
    if (mode === 'explicit' && this.open > 0 && now < this.batch.lockExpiresAt) {
      throw new IllegalStateError(
        `acknowledgementMode is explicit and ${this.open} record(s) of ${this.batch.topic}-${this.batch.partition} (offsets ${this.batch.firstOffset}-${this.batch.lastOffset}) are not acknowledged: acknowledge each record before asking for more`,
      );
    }
    return this.settle(AckCode.accept, now, 0);
  }

  /**
   * Releases the records not acknowledged yet and finishes the delivery (a handler failed at index
   * `from`, or the consumer closes). In implicit mode those before `from` were processed and are
   * accepted; in explicit mode only the user accepts, so every open record is released.
   * @returns the number of records left alone because their lock ran out.
   */
  release(mode: 'implicit' | 'explicit', now: number, from = 0): number {
    if (this.done) return 0;
    if (mode === 'explicit') return this.settle(AckCode.release, now, 0);
    return this.settle(AckCode.accept, now, 0, from) + this.settle(AckCode.release, now, from);
  }

  /** Gives every open record in [from, to) `code` (none after the lock), and finishes. @returns how many were too late. */
  private settle(code: AckCode, now: number, from: number, to = this.codes.length): number {
    const late = now >= this.batch.lockExpiresAt;
    let expired = 0;
    for (let i = from; i < to; i++) {
      if (this.codes[i] !== UNACKNOWLEDGED) continue;
      this.codes[i] = code;
      this.open--;
      if (late) expired++;
      else this.sink(this, this.batch.records[i]!.offset, code);
    }
    if (to === this.codes.length) this.done = true;
    return expired;
  }
}
