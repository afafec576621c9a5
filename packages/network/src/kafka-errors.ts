/**
 * How the network layer reacts to Kafka error codes. Codes, names and retriable flags are
 * @runnel/protocol's error table; this file only says which codes mean "the metadata is stale" or "the
 * coordinator moved", which is routing policy.
 */
import { ErrorCode, KafkaProtocolError } from '@runnel/protocol';

/** Codes that mean the partition's leader as we know it is wrong: refresh metadata, then retry. */
export const STALE_METADATA_CODES: ReadonlySet<number> = new Set([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.BROKER_NOT_AVAILABLE,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.INCONSISTENT_TOPIC_ID,
  ErrorCode.NEW_LEADER_ELECTED,
]);

/** Codes that mean the coordinator we asked is not (or not yet) the coordinator: look it up again. */
export const COORDINATOR_MOVED_CODES: ReadonlySet<number> = new Set([
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
]);

/**
 * Turns a non-zero error code from a response into a typed error.
 * @returns the error (it does not throw it).
 */
export function kafkaError(code: number, context?: string | null): KafkaProtocolError {
  return new KafkaProtocolError(code, context || undefined);
}
