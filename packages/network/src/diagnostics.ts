/**
 * `runnel:request`, the diagnostics_channel TracingChannel of every request a client sends to a broker
 * (documented with the consumer's channels in the consumer README). With no subscriber, a request
 * builds no message and is sent as is.
 */
import * as diagnostics from 'node:diagnostics_channel';

/** The sizes of a request and its response, filled in by the connection as they are known. */
export interface RequestSizes {
  /** The request's bytes on the wire, size prefix included; 0 until written. */
  requestBytes: number;
  /** The response's bytes on the wire, size prefix included; 0 until it arrived (or without one). */
  responseBytes: number;
}

/** What the connection notes about a request as it goes: its sizes, correlation id and when it was written. */
export interface RequestProgress extends RequestSizes {
  /** The correlation id the request was sent with; -1 until it was encoded. */
  correlationId: number;
  /** When the request was written to the socket, in milliseconds since the Unix epoch; 0 until then. */
  sentAt: number;
}

/** One broker request, as `runnel:request` subscribers see it. */
export interface RequestMessage extends RequestProgress {
  /** The API's name as Kafka spells it, e.g. `Fetch`, `OffsetCommit`. */
  readonly api: string;
  readonly apiKey: number;
  readonly apiVersion: number;
  /** `host:port` of the broker. */
  readonly broker: string;
  /** The broker's node id (negative for a bootstrap address). */
  readonly nodeId: number;
  /** Which traffic the connection carries: `fetch`, `group`, `default`... */
  readonly purpose: string;
  /** The BrokerPool that sent it (a consumer's is `client.pool`), to tell clients apart; null if none. */
  readonly pool: object | null;
  /** Set by the channel when the request failed. */
  error?: unknown;
}

/** The `runnel:request` TracingChannel: each traced request's events carry its {@link RequestMessage}. */
export const requestChannel = diagnostics.tracingChannel<unknown, RequestMessage>('runnel:request');

/**
 * @returns whether anyone subscribes to `channel`. Bun's TracingChannel has no `hasSubscribers` (Node's
 *   says whether any of its five channels has one): there the five are asked.
 */
export function isTraced(channel: diagnostics.TracingChannel<unknown, object>): boolean {
  return (
    channel.hasSubscribers ??
    (channel.start.hasSubscribers ||
      channel.end.hasSubscribers ||
      channel.asyncStart.hasSubscribers ||
      channel.asyncEnd.hasSubscribers ||
      channel.error.hasSubscribers)
  );
}
