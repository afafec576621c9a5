/**
 * KafkaJS's instrumentation events: the names (`consumer.events.*`), the payload types, and the small
 * emitter behind `consumer.on`. Which events the adapter emits, and when, is in the README.
 */
import type { InstrumentationEvent, TopicOffsets } from './types.js';

/** The event names, as `consumer.events` lists them. */
export const CONSUMER_EVENTS = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
} as const;

/** The type of `consumer.events`: each event's constant name mapped to its string. */
export type ConsumerEvents = typeof CONSUMER_EVENTS;
type ValueOf<T> = T[keyof T];
/** Any consumer event name. */
export type ConsumerEventName = ValueOf<ConsumerEvents>;

/** `consumer.connect`: the consumer connected (payload null). */
export type ConnectEvent = InstrumentationEvent<null>;
/** `consumer.disconnect`: the consumer disconnected (payload null). */
export type DisconnectEvent = InstrumentationEvent<null>;
/** `consumer.heartbeat`: the group coordinator accepted the member's heartbeat. */
export type ConsumerHeartbeatEvent = InstrumentationEvent<{
  groupId: string;
  memberId: string;
  groupGenerationId: number;
}>;
/** `consumer.commit_offsets`: the member committed these offsets for its group. */
export type ConsumerCommitOffsetsEvent = InstrumentationEvent<{
  groupId: string;
  memberId: string;
  groupGenerationId: number;
  topics: TopicOffsets[];
}>;
/** A member's assigned partitions: topic name to partition numbers. */
export interface IMemberAssignment {
  [key: string]: number[];
}
/** `consumer.group_join`: the member joined the group and got its assignment. */
export type ConsumerGroupJoinEvent = InstrumentationEvent<{
  duration: number;
  groupId: string;
  isLeader: boolean;
  leaderId: string;
  groupProtocol: string;
  memberId: string;
  memberAssignment: IMemberAssignment;
}>;
/** `consumer.fetch_start`: a fetch request to broker `nodeId` is about to be sent. */
export type ConsumerFetchStartEvent = InstrumentationEvent<{ nodeId: number }>;
/** `consumer.fetch`: a fetch from broker `nodeId` returned `numberOfBatches` partitions with records in `duration` ms. */
export type ConsumerFetchEvent = InstrumentationEvent<{
  numberOfBatches: number;
  duration: number;
  nodeId: number;
}>;
interface IBatchProcessEvent {
  topic: string;
  partition: number;
  highWatermark: string;
  offsetLag: string;
  offsetLagLow: string;
  batchSize: number;
  firstOffset: string;
  lastOffset: string;
}
/** `consumer.start_batch_process`: a partition's batch is handed to `eachBatch`/`eachMessage`. */
export type ConsumerStartBatchProcessEvent = InstrumentationEvent<IBatchProcessEvent>;
/** `consumer.end_batch_process`: a partition's batch was processed, in `duration` ms. */
export type ConsumerEndBatchProcessEvent = InstrumentationEvent<IBatchProcessEvent & { duration: number }>;
/** `consumer.crash`: processing failed past its retries; `restart` says whether the consumer restarts. */
export type ConsumerCrashEvent = InstrumentationEvent<{ error: Error; groupId: string; restart: boolean }>;
/** `consumer.rebalancing`: the group is rebalancing; emitted here when partitions are revoked. */
export type ConsumerRebalancingEvent = InstrumentationEvent<{ groupId: string; memberId: string }>;

/** What KafkaJS tells of a request in its network events. */
interface IRequestFields {
  apiKey: number;
  apiName: string;
  apiVersion: number;
  broker: string;
  clientId: string;
  correlationId: number;
  createdAt: number;
  pendingDuration: number;
  sentAt: number;
}
/** `consumer.network.request`: a request to `broker` was answered (`size`: the response's bytes). */
export type RequestEvent = InstrumentationEvent<IRequestFields & { duration: number; size: number }>;
/** `consumer.network.request_timeout`: a request to `broker` got no answer within the request timeout. */
export type RequestTimeoutEvent = InstrumentationEvent<IRequestFields>;
/** `consumer.network.request_queue_size`: KafkaJS's count of requests waiting for a broker (not emitted here). */
export type RequestQueueSizeEvent = InstrumentationEvent<{
  broker: string;
  clientId: string;
  queueSize: number;
}>;

type Listener = (event: InstrumentationEvent<unknown>) => void;

/** Holds the listeners of each event name and calls them; a throwing listener is logged, not raised. */
export class EventHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private nextId = 0;

  /**
   * @param onListenerError called with what a listener threw.
   * @param onListenersChanged called after a listener of `type` was added or removed.
   */
  constructor(
    private readonly onListenerError: (error: unknown, type: string) => void,
    private readonly onListenersChanged: (type: ConsumerEventName) => void = () => {},
  ) {}

  /**
   * Adds a listener.
   * @returns a function that removes it.
   * @throws TypeError for a name that is not one of `consumer.events`.
   */
  on(type: string, listener: Listener): () => void {
    if (!Object.values(CONSUMER_EVENTS).includes(type as ConsumerEventName)) {
      throw new TypeError(`${type} is not one of consumer.events`);
    }
    const name = type as ConsumerEventName;
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    this.onListenersChanged(name);
    return () => {
      if (set.delete(listener)) this.onListenersChanged(name);
    };
  }

  /** @returns whether anyone listens to `type` (so payloads are only built when needed). */
  has(type: ConsumerEventName): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0;
  }

  /** Calls the listeners of `type` with a new event carrying `payload`. */
  emit<T>(type: ConsumerEventName, payload: T): void {
    const set = this.listeners.get(type);
    if (!set || set.size === 0) return;
    const event: InstrumentationEvent<T> = {
      id: String(this.nextId++),
      type,
      timestamp: Date.now(),
      payload,
    };
    for (const listener of set) {
      try {
        listener(event as InstrumentationEvent<unknown>);
      } catch (error) {
        this.onListenerError(error, type);
      }
    }
  }
}
