/**
 * The KafkaJS events built from the Runnel consumer's own lifecycle events: which Runnel event each
 * comes from, and how its payload is made. The bridge listens to a Runnel event only while a KafkaJS
 * listener wants what is built from it, so an unwatched event costs nothing (the `request` event's
 * diagnostics channel is not even subscribed then).
 */
import type {
  ConsumerEventMap,
  Consumer as RunnelConsumer,
  ConsumerEventName as RunnelEventName,
} from '@runnel/consumer';
import { RequestTimeoutError } from '@runnel/network';
import { CONSUMER_EVENTS, type ConsumerEventName, type EventHub } from './events.js';

/** How one KafkaJS event is made from a Runnel event; `undefined` from `payload` emits nothing. */
interface Bridge<E extends RunnelEventName> {
  readonly from: E;
  payload(event: ConsumerEventMap[E], clientId: string): unknown;
}

/** The fields REQUEST and REQUEST_TIMEOUT share, from a Runnel `request` event. */
function requestFields(e: ConsumerEventMap['request'], clientId: string) {
  // A request that was never written is pending until it ended.
  const sentAt = e.sentAt ?? e.createdAt + e.durationMs;
  return {
    broker: e.broker,
    clientId,
    correlationId: e.correlationId,
    createdAt: e.createdAt,
    sentAt,
    pendingDuration: sentAt - e.createdAt,
    apiName: e.api,
    apiKey: e.apiKey,
    apiVersion: e.apiVersion,
  };
}

const bridge = <E extends RunnelEventName>(b: Bridge<E>) => b as unknown as Bridge<RunnelEventName>;

/** Each bridged KafkaJS event and its Runnel source. */
const BRIDGES: ReadonlyMap<ConsumerEventName, Bridge<RunnelEventName>> = new Map([
  [
    CONSUMER_EVENTS.HEARTBEAT,
    bridge({
      from: 'heartbeat',
      payload: (e) => ({ groupId: e.groupId, memberId: e.memberId, groupGenerationId: e.generationId }),
    }),
  ],
  [
    CONSUMER_EVENTS.GROUP_JOIN,
    bridge({
      from: 'joined',
      payload: (e) => {
        const memberAssignment: Record<string, number[]> = {};
        for (const tp of e.assignment) (memberAssignment[tp.topic] ??= []).push(tp.partition);
        return {
          duration: e.durationMs,
          groupId: e.groupId,
          isLeader: e.leaderId !== null && e.leaderId === e.memberId,
          leaderId: e.leaderId ?? '',
          groupProtocol: e.protocolName ?? '',
          memberId: e.memberId,
          memberAssignment,
        };
      },
    }),
  ],
  [CONSUMER_EVENTS.FETCH_START, bridge({ from: 'fetchStart', payload: (e) => ({ nodeId: e.nodeId }) })],
  [
    CONSUMER_EVENTS.FETCH,
    bridge({
      from: 'fetch',
      payload: (e) => ({
        numberOfBatches: e.partitionsWithRecords,
        duration: e.durationMs,
        nodeId: e.nodeId,
      }),
    }),
  ],
  [
    CONSUMER_EVENTS.REQUEST,
    bridge({
      from: 'request',
      payload: (e, clientId) => {
        if (e.error !== null) return undefined;
        const fields = requestFields(e, clientId);
        const duration = e.createdAt + e.durationMs - fields.sentAt;
        return { ...fields, size: e.responseBytes, duration };
      },
    }),
  ],
  [
    CONSUMER_EVENTS.REQUEST_TIMEOUT,
    bridge({
      from: 'request',
      payload: (e, clientId) =>
        e.error instanceof RequestTimeoutError ? requestFields(e, clientId) : undefined,
    }),
  ],
]);

export class EventBridge {
  private runnel: RunnelConsumer | null = null;
  /** The Runnel listeners in place, by the KafkaJS event they feed, as functions that remove them. */
  private readonly following = new Map<ConsumerEventName, () => void>();

  constructor(
    private readonly hub: EventHub,
    private readonly clientId: string,
  ) {}

  /** Follows `runnel`'s events (a new one at each `run`) for the bridged events that have listeners. */
  attach(runnel: RunnelConsumer): void {
    this.detach();
    this.runnel = runnel;
    for (const type of BRIDGES.keys()) this.sync(type);
  }

  /** Stops following the Runnel consumer (disconnect). */
  detach(): void {
    for (const off of this.following.values()) off();
    this.following.clear();
    this.runnel = null;
  }

  /** Starts or stops following the Runnel event behind `type` as `type` gains or loses listeners. */
  sync(type: ConsumerEventName): void {
    const b = BRIDGES.get(type);
    if (!b) return;
    const runnel = this.runnel;
    const off = this.following.get(type);
    if (runnel && this.hub.has(type) && !off) {
      const listener = (event: unknown) => {
        const payload = b.payload(event as never, this.clientId);
        if (payload !== undefined) this.hub.emit(type, payload);
      };
      runnel.on(b.from, listener);
      this.following.set(type, () => runnel.off(b.from, listener));
    } else if (off && !(runnel && this.hub.has(type))) {
      off();
      this.following.delete(type);
    }
  }
}
