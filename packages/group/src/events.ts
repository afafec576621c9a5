import type { TopicPartition } from '@runnel/protocol';
import type { GroupBrokerError, GroupFatalError } from './errors.js';

/**
 * The member gives up partitions it owns in an orderly way (eager rebalance, a partition the leader
 * moved away under cooperative rebalancing, or leaving the group). The consumer stops fetching them,
 * commits their offsets, runs the user's `onPartitionsRevoked`, then calls `acknowledge(id)`: the
 * member rejoins (or leaves) only after that.
 */
export interface PartitionsRevokedEvent {
  readonly type: 'partitionsRevoked';
  readonly id: number;
  readonly partitions: readonly TopicPartition[];
}

/**
 * The member received partitions. `partitions` holds only the newly added ones (under eager rebalancing
 * that is the whole assignment); `assignment` is the full assignment of this generation. The consumer
 * starts fetching them, runs `onPartitionsAssigned`, then calls `acknowledge(id)`.
 */
export interface PartitionsAssignedEvent {
  readonly type: 'partitionsAssigned';
  readonly id: number;
  readonly partitions: readonly TopicPartition[];
  readonly assignment: readonly TopicPartition[];
  readonly generationId: number;
  readonly memberId: string;
}

/**
 * The member lost its partitions without a chance to commit: its membership was reset
 * (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION) or it left after stalling past the max poll interval. Other
 * members may already own them, so the consumer must not commit their offsets; it runs
 * `onPartitionsLost`, then calls `acknowledge(id)` before the member rejoins.
 */
export interface PartitionsLostEvent {
  readonly type: 'partitionsLost';
  readonly id: number;
  readonly partitions: readonly TopicPartition[];
}

/** A broker error the member survives (it retries or rejoins); reported for logging and metrics. */
export interface GroupErrorEvent {
  readonly type: 'error';
  readonly error: GroupBrokerError | Error;
}

/** The member cannot continue and is in FATAL; the consumer should surface `error` to the user. */
export interface GroupFatalEvent {
  readonly type: 'fatal';
  readonly error: GroupFatalError;
}

/** Everything the member reports to the consumer, in the order it happened. */
export type GroupEvent =
  | PartitionsRevokedEvent
  | PartitionsAssignedEvent
  | PartitionsLostEvent
  | GroupErrorEvent
  | GroupFatalEvent;

/**
 * The membership the consumer needs for OffsetCommit (Java's `ConsumerGroupMetadata`), from either
 * member.
 */
export interface GroupGeneration {
  readonly groupId: string;
  /** The generation (classic) or the member epoch (KIP-848); -1 when the member is not in the group. */
  readonly generationId: number;
  /** Empty when the member has no id the coordinator knows (not given yet, or not in the group). */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /**
   * The assignor the group agreed on in the current generation (classic), or the server assignor asked
   * for (KIP-848); null when none is, or for the broker's default.
   */
  readonly protocolName: string | null;
}
