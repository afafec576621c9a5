/**
 * The errors of acknowledging a share group's records: each a RunnelError with a stable `code`, thrown
 * by `ShareConsumer.acknowledge` before anything is recorded, so a refused acknowledgement changes
 * nothing.
 */
import { RunnelError } from '@runnel/codec';

/** The acknowledgement types a user may give, as Kafka's `AcknowledgeType` names them (lower case). */
export const ACKNOWLEDGE_TYPES = ['accept', 'release', 'reject'] as const;

/** How a record is acknowledged: processed (`accept`), to be delivered again (`release`), or never again (`reject`). */
export type AcknowledgeType = (typeof ACKNOWLEDGE_TYPES)[number];

/** The type given to `acknowledge` is not one of `accept`, `release`, `reject`. */
export class InvalidAcknowledgeTypeError extends RunnelError {
  readonly retriable = false;
  /** The value given, as given. */
  readonly value: unknown;

  constructor(value: unknown) {
    super(
      'ERR_INVALID_ACKNOWLEDGE_TYPE',
      `${typeof value === 'string' ? JSON.stringify(value) : String(value)} is not an acknowledgement type: use ${ACKNOWLEDGE_TYPES.map((t) => `'${t}'`).join(', ')}`,
    );
    this.value = value;
  }
}

/** Where a refused record came from, for the errors' messages. */
interface RecordRef {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

function at(record: RecordRef): string {
  return `offset ${record.offset} of ${record.topic}-${record.partition}`;
}

/** An acknowledgement of one record was refused: which record. */
export abstract class RecordAcknowledgementError extends RunnelError {
  readonly retriable = false;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;

  constructor(code: string, record: RecordRef, message: string) {
    super(code, `${at(record)} ${message}`);
    this.topic = record.topic;
    this.partition = record.partition;
    this.offset = record.offset;
  }
}

/** The record was acknowledged already (each record is acknowledged once); `previous` says how. */
export class RecordAlreadyAcknowledgedError extends RecordAcknowledgementError {
  readonly previous: AcknowledgeType;

  constructor(record: RecordRef, previous: AcknowledgeType) {
    super('ERR_RECORD_ALREADY_ACKNOWLEDGED', record, `was already acknowledged (${previous})`);
    this.previous = previous;
  }
}

/**
 * The record was not handed out by this share consumer, or no longer is: another consumer's, a copy,
 * or one of a batch released when its handler failed, or when the consumer closed.
 */
export class RecordNotAcquiredError extends RunnelError {
  readonly retriable = false;

  constructor(what: string) {
    super('ERR_RECORD_NOT_ACQUIRED', `${what} was not acquired by this share consumer (or is no longer)`);
  }
}

/**
 * The record's acquisition lock ran out before it was acknowledged: the broker may already have handed
 * it to another member (with a higher delivery count), so this consumer's acknowledgement would be
 * refused (INVALID_RECORD_STATE). Processing it again elsewhere is what at-least-once means here.
 */
export class AcquisitionLockTimeoutError extends RecordAcknowledgementError {
  /** When the lock ran out (ms since the epoch). */
  readonly expiredAt: number;

  constructor(record: RecordRef, expiredAt: number) {
    super(
      'ERR_ACQUISITION_LOCK_TIMEOUT',
      record,
      `could not be acknowledged: its acquisition lock ran out at ${new Date(expiredAt).toISOString()}, so the record is no longer this consumer's`,
    );
    this.expiredAt = expiredAt;
  }
}
