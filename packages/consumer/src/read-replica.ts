/**
 * Follower fetching (KIP-392): which replica one partition is fetched from. A consumer with a `rack`
 * sends it in every Fetch; a leader whose `replica.selector.class` finds a closer replica names it in
 * its answer (`preferredReadReplica`, with no records), and the partition's next fetches go there until
 * the replica fails, the metadata stops listing it, or its lease (`metadataMaxAgeMs` from when it was
 * named) ends; then the partition goes back to its leader, which may name a replica again.
 *
 * What moves a partition is the table {@link READ_REPLICA_MOVES}; {@link ReadReplica} holds one
 * partition's state and applies it. No I/O, and time is passed in.
 */
import type { ClusterMetadata } from '@runnel/network';

/** Where a partition is fetched from: its leader, or the preferred read replica its leader named. */
export type ReadSource = 'leader' | 'preferred';

/** What can move a partition between its leader and a preferred read replica. */
export type ReadReplicaEvent =
  /** A Fetch answer named a preferred read replica for the partition. */
  | 'named'
  /** `metadataMaxAgeMs` passed since the replica was named. */
  | 'expired'
  /** The metadata no longer lists the replica among the partition's online replicas, or as a broker. */
  | 'unlisted'
  /** A Fetch to the replica failed as a whole (connection refused or lost, timeout). */
  | 'unreachable'
  /** The replica answered the partition with an error other than OFFSET_OUT_OF_RANGE. */
  | 'partitionError'
  /** The replica answered OFFSET_OUT_OF_RANGE. */
  | 'outOfRange';

/**
 * What the fetcher does besides moving the partition: nothing, refresh the metadata, or handle an
 * out-of-range answer as the leader's (the `autoOffsetReset` policy).
 */
export type ReadReplicaEffect = 'none' | 'refreshMetadata' | 'resetOffset';

/** One row of {@link READ_REPLICA_MOVES}: where the partition is fetched from next, and what else to do. */
export interface ReadReplicaMove {
  readonly to: ReadSource;
  readonly effect: ReadReplicaEffect;
}

const TO_LEADER: ReadReplicaMove = { to: 'leader', effect: 'none' };
const TO_PREFERRED: ReadReplicaMove = { to: 'preferred', effect: 'none' };

/**
 * The moves, by what happened and where the partition is fetched from. For an answer, the column is
 * where it came from: the leader (a leader's out-of-range answer resets the offset as always), or the
 * preferred replica (its out-of-range answer does not: a follower may not have the offset yet, or no
 * longer, so the leader is asked at the same offset first, as Java's consumer does).
 */
export const READ_REPLICA_MOVES: Readonly<
  Record<ReadReplicaEvent, Readonly<Record<ReadSource, ReadReplicaMove>>>
> = {
  named: { leader: TO_PREFERRED, preferred: TO_PREFERRED },
  expired: { leader: TO_LEADER, preferred: TO_LEADER },
  unlisted: { leader: TO_LEADER, preferred: { to: 'leader', effect: 'refreshMetadata' } },
  unreachable: { leader: TO_LEADER, preferred: TO_LEADER },
  partitionError: { leader: TO_LEADER, preferred: TO_LEADER },
  outOfRange: { leader: { to: 'leader', effect: 'resetOffset' }, preferred: TO_LEADER },
};

/**
 * @returns whether the metadata lists `nodeId` as a broker and as a replica of the partition that is
 *   not offline: a replica a Fetch can go to.
 */
export function isOnlineReplica(
  metadata: ClusterMetadata,
  topic: string,
  partition: number,
  nodeId: number,
): boolean {
  const p = metadata.partition(topic, partition);
  return (
    p !== undefined &&
    metadata.broker(nodeId) !== undefined &&
    p.replicaNodes.includes(nodeId) &&
    !p.offlineReplicas.includes(nodeId)
  );
}

/** One partition's read replica: where its fetches go, and until when. */
export class ReadReplica {
  private source: ReadSource = 'leader';
  private nodeId = -1;
  private expiresAt = 0;

  /** @returns the node id of the preferred read replica fetches go to; null while they go to the leader. */
  get preferred(): number | null {
    return this.source === 'preferred' ? this.nodeId : null;
  }

  /**
   * Where the next fetch goes, at clock time `now`: the preferred replica while its lease holds and
   * `listed(nodeId)` says the metadata lists it; otherwise the partition moves back to its leader.
   * @returns the replica's node id and `none`, or null (the leader) with the move's effect.
   */
  target(
    now: number,
    listed: (nodeId: number) => boolean,
  ): { nodeId: number | null; effect: ReadReplicaEffect } {
    if (this.source === 'leader') return { nodeId: null, effect: 'none' };
    if (now >= this.expiresAt) return { nodeId: null, effect: this.apply('expired') };
    if (!listed(this.nodeId)) return { nodeId: null, effect: this.apply('unlisted') };
    return { nodeId: this.nodeId, effect: 'none' };
  }

  /**
   * A Fetch answer named `nodeId` as the preferred read replica. The lease starts at `now` and lasts
   * `leaseMs`; naming the same replica again does not extend it (so the leader is asked again at the
   * latest every `leaseMs`, as Java's consumer does).
   */
  follow(nodeId: number, now: number, leaseMs: number): void {
    const renamed = this.source !== 'preferred' || this.nodeId !== nodeId;
    this.apply('named');
    if (!renamed) return;
    this.nodeId = nodeId;
    this.expiresAt = now + leaseMs;
  }

  /**
   * A fetch of the partition that went to node `from` failed (`unreachable`), or that node answered
   * it with an error. Only a failure of the preferred replica moves the partition back to its leader.
   * @returns what the fetcher does besides: for an out-of-range answer, `resetOffset` when it came
   *   from the leader, `none` when from the preferred replica (the leader is asked next).
   */
  failed(event: 'unreachable' | 'partitionError' | 'outOfRange', from: number): ReadReplicaEffect {
    const row: ReadSource = this.source === 'preferred' && this.nodeId === from ? 'preferred' : 'leader';
    const move = READ_REPLICA_MOVES[event][row];
    if (row === 'preferred') this.source = move.to;
    return move.effect;
  }

  private apply(event: ReadReplicaEvent): ReadReplicaEffect {
    const move = READ_REPLICA_MOVES[event][this.source];
    this.source = move.to;
    return move.effect;
  }
}
