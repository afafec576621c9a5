/**
 * The share consumer's lifecycle events (`shareConsumer.on('acknowledgement', ...)`): those of the
 * consumer that a share group has, with the same payloads, and `acknowledgement`, a share group's
 * answer to acknowledgements where a consumer group has `commit`. Emitted through the consumer's
 * emitter (`ConsumerEvents`), with its rules: a listener that throws is logged and skipped.
 *
 * The consumer's events a share group does not have: `rebalance` (a share member has no rebalance
 * listener and no step between "the assignment changed" and "it is applied": `assigned`, `revoked`
 * and `lost` say it all), `commit` (nothing is committed: `acknowledgement` instead) and `offsetReset`
 * (the broker picks where a share group starts, by its `share.auto.offset.reset`; the member never
 * positions itself).
 */
import type { ClientEventMap } from '../events.js';
import type { AcknowledgeType } from './share-errors.js';

/**
 * A broker answered the acknowledgements of one partition (`error` null: it took them), or they
 * failed (refused, the acquisition lock ran out first, the session or the connection was lost).
 */
export interface AcknowledgementEvent {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  /** The offsets acknowledged, sorted. */
  readonly offsets: readonly number[];
  /** How many of `offsets` were of each type (records the consumer settled itself included). */
  readonly types: Readonly<Record<AcknowledgeType, number>>;
  /** Why the broker did not take them (KafkaProtocolError, AcquisitionLockTimeoutError...), or null. */
  readonly error: Error | null;
}

/** Every event of a share consumer and its payload. */
export interface ShareConsumerEventMap extends ClientEventMap {
  acknowledgement: AcknowledgementEvent;
}

/** The name of a share consumer event, as `on` and `off` take it. */
export type ShareConsumerEventName = keyof ShareConsumerEventMap;

/** A listener of one share consumer event; what it returns is ignored, a rejection logged. */
export type ShareConsumerEventListener<E extends ShareConsumerEventName> = (
  event: ShareConsumerEventMap[E],
) => unknown;
