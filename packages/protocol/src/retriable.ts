/**
 * The retry policy's one question, answered the same way in every package: may the same request
 * succeed if it is sent again? Each error class says so itself through a `retriable` property (a
 * Kafka error code through the error table, a lost connection or a timeout through its class), so
 * no caller keeps its own list of classes or codes.
 */
import { RunnelError } from '@runnel/codec';

/** An error that says whether sending the same request again may succeed. */
export interface RetriableError {
  /** True when a later attempt of the same request may succeed (Kafka's `RetriableException`). */
  readonly retriable: boolean;
}

/**
 * @returns whether `error` is a RunnelError whose class marks it retriable: a retriable Kafka error
 *   code, a lost connection, a request or deadline that timed out. Anything else (a bug, bad
 *   configuration, refused credentials, a non-retriable code) is not. Never throws.
 */
export function isRetriable(error: unknown): boolean {
  return error instanceof RunnelError && (error as Partial<RetriableError>).retriable === true;
}
