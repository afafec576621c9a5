/**
 * The `request` event: each request this consumer's cluster client sent, from network's
 * `runnel:request` channel. That channel is process-wide, and subscribing to it makes every request of
 * every client build a message; so the consumer subscribes only while someone listens to `request`,
 * and keeps the messages of its own pool.
 */
import type { TracingChannelSubscribers } from 'node:diagnostics_channel';
import { type Clock, type RequestMessage, requestChannel } from '@runnel/network';
import type { ConsumerEvents, RequestEvent } from './events.js';

/** @returns the `request` event of a traced request made at `createdAt` that ended at `endedAt`. */
export function requestEventOf(m: RequestMessage, createdAt: number, endedAt: number): RequestEvent {
  return {
    api: m.api,
    apiKey: m.apiKey,
    apiVersion: m.apiVersion,
    broker: m.broker,
    nodeId: m.nodeId,
    correlationId: m.correlationId,
    requestBytes: m.requestBytes,
    responseBytes: m.responseBytes,
    createdAt,
    sentAt: m.sentAt > 0 ? m.sentAt : null,
    durationMs: Math.max(0, endedAt - createdAt),
    error: m.error === undefined ? null : m.error instanceof Error ? m.error : new Error(String(m.error)),
  };
}

/**
 * Emits `request` for the requests of `pool` while `events` has a listener for it; stops watching the
 * channel when the last listener goes, or when `events` is closed.
 */
export function reportRequests(pool: object, clock: Clock, events: ConsumerEvents): void {
  // When each request was made, by its message (the same object from `start` to `asyncEnd`).
  const made = new WeakMap<RequestMessage, number>();
  const noop = () => {};
  const subscribers: TracingChannelSubscribers<RequestMessage> = {
    start: (m) => {
      if (m.pool === pool) made.set(m, clock.wallClockMs());
    },
    end: noop,
    asyncStart: noop,
    error: noop,
    asyncEnd: (m) => {
      const createdAt = made.get(m);
      if (createdAt === undefined) return;
      made.delete(m);
      events.emit('request', requestEventOf(m, createdAt, clock.wallClockMs()));
    },
  };
  events.watch('request', (listening) => {
    if (listening) requestChannel.subscribe(subscribers);
    else requestChannel.unsubscribe(subscribers);
  });
}
