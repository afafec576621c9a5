import { RunnelError } from '@runnel/codec';
import { ERROR_DESCRIPTIONS } from './error-descriptions.js';
import { ERROR_CODES, ErrorCode, type ErrorName } from './generated/error-codes.js';

/** One Kafka error code: its number, name as Kafka spells it, and whether retrying can succeed. */
export interface KafkaErrorInfo {
  readonly code: number;
  /** Kafka's name, e.g. `NOT_LEADER_OR_FOLLOWER`. */
  readonly name: string;
  /** True when Kafka classifies the error as retriable (the same request may succeed later). */
  readonly retriable: boolean;
  readonly description: string;
}

/** Every error code Kafka defines, by code: name, retriable flag (both from Kafka's jar) and our description. */
export const KAFKA_ERRORS: ReadonlyMap<number, KafkaErrorInfo> = new Map(
  ERROR_CODES.map(([code, name, retriable]) => [
    code,
    { code, name, retriable, description: ERROR_DESCRIPTIONS[name] },
  ]),
);

/** Kafka's error codes by name, for comparisons such as `errorCode === ErrorCode.NOT_COORDINATOR`. */
export { ErrorCode, type ErrorName };

/**
 * Looks up an error code.
 * @returns the code's entry; a code this table does not know (from a newer broker) gets the name
 *   `UNKNOWN_ERROR_CODE_<n>`, is not retriable, and says so in its description.
 */
export function kafkaErrorInfo(code: number): KafkaErrorInfo {
  return (
    KAFKA_ERRORS.get(code) ?? {
      code,
      name: `UNKNOWN_ERROR_CODE_${code}`,
      retriable: false,
      description: 'An error code this version of Runnel does not know.',
    }
  );
}

/**
 * An error code returned by a broker. `code` (from RunnelError) is `ERR_KAFKA_PROTOCOL` (a subclass
 * such as @runnel/group's GroupBrokerError has its own), and `name` is the class name as for every
 * Error; Kafka's own code and name are `errorCode` and `errorName`, and `retriable` is the table's.
 */
export class KafkaProtocolError extends RunnelError {
  /** Kafka's numeric error code, e.g. 6. */
  readonly errorCode: number;
  /** Kafka's name for it, e.g. `NOT_LEADER_OR_FOLLOWER`. */
  readonly errorName: string;
  readonly retriable: boolean;

  /**
   * @param errorCode the code from the response.
   * @param context what was being done, e.g. `Fetch of topic-a/0`; prefixed to the message.
   * @param options `cause`; `code` and `message` for a subclass that has its own code and wording.
   */
  constructor(
    errorCode: number,
    context?: string,
    options?: { cause?: unknown; code?: string; message?: string },
  ) {
    const info = kafkaErrorInfo(errorCode);
    const text = `${info.name} (${errorCode}): ${info.description}`;
    const message = options?.message ?? (context === undefined ? text : `${context}: ${text}`);
    super(options?.code ?? 'ERR_KAFKA_PROTOCOL', message, options);
    this.errorCode = errorCode;
    this.errorName = info.name;
    this.retriable = info.retriable;
  }
}

/**
 * @returns nothing when `errorCode` is 0 (NONE).
 * @throws KafkaProtocolError for any other code.
 */
export function throwIfKafkaError(errorCode: number, context?: string): void {
  if (errorCode !== 0) throw new KafkaProtocolError(errorCode, context);
}
