/**
 * The consumer's lifecycle events (`consumer.on('commit', ...)`): their names and payloads, and the one
 * emitter every part of the consumer reports through. Emitting costs a map lookup when nobody listens.
 * A listener that throws (or rejects) is logged and skipped: an application's monitoring code must
 * never break consumption, the same rule as for the RebalanceListener.
 */
import type { BrokerReachabilityLog, Logger } from '@runnel/network';
import { failure } from '@runnel/network';
import type { TopicPartition } from './batch.js';
import type { OffsetToCommit } from './offset-requests.js';

/** Which change of the assignment a rebalance event is about. */
export type RebalanceKind = 'assigned' | 'revoked' | 'lost';

/** A rebalance step starts: the group member changed the assignment and the consumer begins handling it. */
export interface RebalanceEvent {
  readonly kind: RebalanceKind;
  /** The partitions added, revoked or lost. */
  readonly partitions: readonly TopicPartition[];
  readonly groupId: string;
}

/** A rebalance step ended: the partitions are fetched (assigned) or released (revoked, lost). */
export interface AssignmentEvent {
  /** The partitions added, revoked or lost. */
  readonly partitions: readonly TopicPartition[];
  /** Every partition assigned once the step ended. */
  readonly assignment: readonly TopicPartition[];
  readonly groupId: string;
  /** How long the step took, the RebalanceListener's call included, in milliseconds. */
  readonly durationMs: number;
}

/** An OffsetCommit ended, stored (`error` null) or refused. */
export interface CommitEvent {
  readonly groupId: string;
  /** The offsets sent (the next offset to read of each partition). */
  readonly offsets: readonly OffsetToCommit[];
  readonly durationMs: number;
  /** Why the commit failed (CommitFailedError, ConsumerTimeoutError...), or null when it succeeded. */
  readonly error: Error | null;
}

/**
 * A Fetch request failed as a whole; its partitions are fetched again after `retryBackoffMs`, except
 * those it fetched from a preferred read replica (KIP-392), which go to their leader at once.
 */
export interface FetchErrorEvent {
  /** The broker the Fetch went to. */
  readonly nodeId: number;
  readonly error: Error;
}

/** A broker stopped being reachable: a connection attempt failed, or a working connection broke. */
export interface BrokerDownEvent {
  /** `host:port`. */
  readonly broker: string;
  /** The broker's node id (negative for a bootstrap address). */
  readonly nodeId: number;
  readonly error: Error;
}

/** A broker that was down is reachable again. */
export interface BrokerUpEvent {
  readonly broker: string;
  readonly nodeId: number;
  /** How long it was down, in milliseconds. */
  readonly downForMs: number;
}

/** Why a partition's position was reset to its log start or end. */
export type OffsetResetReason = 'noCommittedOffset' | 'outOfRange' | 'seek';

/** A partition's position was reset (`autoOffsetReset`, or `seekToBeginning`/`seekToEnd`). */
export interface OffsetResetEvent extends TopicPartition {
  readonly strategy: 'earliest' | 'latest';
  readonly reason: OffsetResetReason;
  /** The offset the partition now starts from. */
  readonly offset: number;
  /** The fetch offset the broker refused, for `outOfRange`; null otherwise. */
  readonly fromOffset: number | null;
}

/** The coordinator accepted a heartbeat (Heartbeat, or ConsumerGroupHeartbeat under the consumer protocol). */
export interface HeartbeatEvent {
  readonly groupId: string;
  readonly memberId: string;
  /** The generation (classic) or the member epoch (consumer protocol) the heartbeat was sent in. */
  readonly generationId: number;
}

/**
 * The member is in a new generation of the group with its assignment: the classic protocol's JoinGroup
 * and SyncGroup succeeded, or a consumer-protocol heartbeat brought a new assignment.
 */
export interface JoinedEvent {
  readonly groupId: string;
  readonly memberId: string;
  /** The generation (classic) or the member epoch (consumer protocol). */
  readonly generationId: number;
  /** The leader's member id (classic); null under the consumer protocol, which has no leader. */
  readonly leaderId: string | null;
  /** The assignor the group agreed on (classic), the server assignor asked for, or null. */
  readonly protocolName: string | null;
  /** Every partition assigned in this generation. */
  readonly assignment: readonly TopicPartition[];
  /**
   * From the round's first JoinGroup (classic), or from the heartbeat that brought the assignment
   * (consumer protocol), being sent to the assignment being handed to the consumer, in milliseconds.
   */
  readonly durationMs: number;
}

/** A Fetch request is about to be sent to broker `nodeId`. */
export interface FetchStartEvent {
  readonly nodeId: number;
  /** How many partitions it asks for (with fetch sessions: changed partitions only). */
  readonly partitions: number;
}

/** A Fetch request to broker `nodeId` was answered. */
export interface FetchEvent {
  readonly nodeId: number;
  /** How many partitions came back with record data. */
  readonly partitionsWithRecords: number;
  /** From sending the request to its answer, in milliseconds. */
  readonly durationMs: number;
}

/** One request of this consumer to a broker ended, answered or failed (the `runnel:request` channel). */
export interface RequestEvent {
  /** The API's name as Kafka spells it, e.g. `Fetch`. */
  readonly api: string;
  readonly apiKey: number;
  readonly apiVersion: number;
  /** `host:port` of the broker. */
  readonly broker: string;
  /** The broker's node id (negative for a bootstrap address). */
  readonly nodeId: number;
  /** The correlation id it was sent with; -1 when it failed before being encoded. */
  readonly correlationId: number;
  /** The request's bytes on the wire, size prefix included (0 if never encoded). */
  readonly requestBytes: number;
  /** The response's bytes on the wire, size prefix included (0 without one). */
  readonly responseBytes: number;
  /** When the consumer made the request, in milliseconds since the Unix epoch. */
  readonly createdAt: number;
  /** When it was written to the socket (Unix milliseconds), or null when it never was. */
  readonly sentAt: number | null;
  /** From `createdAt` to the answer or failure, in milliseconds. */
  readonly durationMs: number;
  /** Why it failed (RequestTimeoutError, ConnectionError...), or null when it was answered. */
  readonly error: Error | null;
}

/** Consumption stopped for good (no broker reachable, credentials refused, fenced static member...). */
export interface FatalEvent {
  readonly error: Error;
}

/** Every event of a consumer and its payload. */
export interface ConsumerEventMap {
  rebalance: RebalanceEvent;
  assigned: AssignmentEvent;
  revoked: AssignmentEvent;
  lost: AssignmentEvent;
  commit: CommitEvent;
  fetchError: FetchErrorEvent;
  brokerDown: BrokerDownEvent;
  brokerUp: BrokerUpEvent;
  offsetReset: OffsetResetEvent;
  fatal: FatalEvent;
  heartbeat: HeartbeatEvent;
  joined: JoinedEvent;
  fetchStart: FetchStartEvent;
  fetch: FetchEvent;
  request: RequestEvent;
}

/**
 * The events both a Consumer and a ShareConsumer have: what the parts they share (the cluster client,
 * the lifecycle, the brokers-down watch) emit.
 */
export type ClientEventMap = Pick<
  ConsumerEventMap,
  | 'assigned'
  | 'revoked'
  | 'lost'
  | 'fetchError'
  | 'brokerDown'
  | 'brokerUp'
  | 'fatal'
  | 'heartbeat'
  | 'joined'
>;

/** The name of a consumer event (`rebalance`, `commit`, `brokerDown`...), as `on` and `off` take it. */
export type ConsumerEventName = keyof ConsumerEventMap;

/** A listener of one event; what it returns (a promise included) is ignored, a rejection logged. */
export type ConsumerEventListener<E extends ConsumerEventName> = (event: ConsumerEventMap[E]) => unknown;

type AnyListener = (event: unknown) => unknown;

/**
 * The emitter of a consumer's events; `M` maps each event name to its payload (the Consumer's by
 * default; the ShareConsumer's is `ShareConsumerEventMap`).
 */
export class ConsumerEvents<M extends object = ConsumerEventMap> {
  private readonly listeners = new Map<PropertyKey, AnyListener[]>();
  private readonly watchers = new Map<PropertyKey, (listening: boolean) => void>();

  constructor(private readonly logger: Logger) {}

  /**
   * Calls `onChange(true)` when `name` gets its first listener and `onChange(false)` when it loses its
   * last, so that a source costly to watch (a diagnostics channel) is only watched while needed.
   */
  watch(name: keyof M, onChange: (listening: boolean) => void): void {
    this.watchers.set(name, onChange);
    if (this.listeners.has(name)) onChange(true);
  }

  /** Ends every watch (close): the watched sources are let go; the listeners stay, and hear no more from them. */
  unwatchAll(): void {
    for (const [name, onChange] of this.watchers) if (this.listeners.has(name)) onChange(false);
    this.watchers.clear();
  }

  /** Adds a listener (the same function twice is called twice, as with Node's EventEmitter). */
  on<E extends keyof M>(name: E, listener: (event: M[E]) => unknown): void {
    const list = this.listeners.get(name) ?? [];
    // Copy on write: an emit in progress keeps calling the list it started with.
    this.listeners.set(name, [...list, listener as AnyListener]);
    if (list.length === 0) this.watchers.get(name)?.(true);
  }

  /** Removes one registration of the listener; nothing when it is not registered. */
  off<E extends keyof M>(name: E, listener: (event: M[E]) => unknown): void {
    const list = this.listeners.get(name);
    const at = list?.lastIndexOf(listener as AnyListener) ?? -1;
    if (!list || at < 0) return;
    const next = list.filter((_, i) => i !== at);
    if (next.length > 0) this.listeners.set(name, next);
    else {
      this.listeners.delete(name);
      this.watchers.get(name)?.(false);
    }
  }

  /** @returns whether anyone listens to `name`: callers skip building a payload when nobody does. */
  has(name: keyof M): boolean {
    return this.listeners.has(name);
  }

  /** Calls every listener of `name` with `event`; a listener's failure is logged, never thrown. */
  emit<E extends keyof M>(name: E, event: M[E]): void {
    const list = this.listeners.get(name);
    if (!list) return;
    for (const listener of list) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch((error: unknown) => this.listenerFailed(name, error));
      } catch (error) {
        this.listenerFailed(name, error);
      }
    }
  }

  private listenerFailed(name: keyof M, error: unknown): void {
    const event = String(name);
    this.logger.error(
      { ...failure('event_listener_failed', error), name: event },
      `a ${event} listener failed`,
    );
  }
}

/** Reports the broker pool's reachability changes as `brokerDown` and `brokerUp` events. */
export function reportReachability(
  log: BrokerReachabilityLog,
  events: Pick<ConsumerEvents<Pick<ConsumerEventMap, 'brokerUp' | 'brokerDown'>>, 'emit'>,
): void {
  log.onChange((change) => {
    if (change.up) {
      events.emit('brokerUp', { broker: change.broker, nodeId: change.nodeId, downForMs: change.downForMs });
    } else {
      events.emit('brokerDown', { broker: change.broker, nodeId: change.nodeId, error: change.error });
    }
  });
}
