import type { TopicPartition } from '@runnel/protocol';

// The one TopicPartition of every Runnel package is @runnel/protocol's; assignors name it too.
export type { TopicPartition };

/**
 * The rebalance protocols of the classic group protocol (KIP-429). EAGER members revoke everything
 * before they rejoin; COOPERATIVE members keep what they own and revoke only what the leader takes away.
 */
export type RebalanceProtocol = 'EAGER' | 'COOPERATIVE';

/**
 * One member's subscription as the group leader sees it: the fields of Java's
 * `ConsumerPartitionAssignor.Subscription` plus the member's ids.
 */
export interface MemberSubscription {
  readonly memberId: string;
  /** `group.instance.id` of a static member; null or absent for a dynamic member. */
  readonly groupInstanceId?: string | null;
  /** `client.rack` of the member (KIP-881); null, absent or empty when unknown. */
  readonly rackId?: string | null;
  /** The topics the member subscribes to. */
  readonly topics: readonly string[];
  /** The partitions the member owns now (ConsumerProtocolSubscription v1+). */
  readonly ownedPartitions?: readonly TopicPartition[];
  /** The generation in which the member owned them (v2+); absent or -1 when unknown. */
  readonly generationId?: number;
  /** The assignor-specific bytes from `subscriptionUserData()`, or null. */
  readonly userData?: Uint8Array | null;
}

/**
 * One partition of a subscribed topic as the assignor sees it, with the racks of its replicas (null for a
 * replica without a rack). (Not @runnel/network's `PartitionMetadata`, which is the broker's full view.)
 */
export interface SubscribedPartition {
  readonly partition: number;
  readonly replicaRacks?: readonly (string | null)[];
}

/**
 * One subscribed topic as the assignor sees it. Its partitions must be numbered 0..n-1, as brokers
 * report them. (Not @runnel/network's `TopicMetadata`, which is the broker's full view.)
 */
export interface SubscribedTopic {
  readonly topic: string;
  readonly partitions: readonly SubscribedPartition[];
}

/** Everything an assignor needs: the members with their subscriptions, and the subscribed topics' metadata. */
export interface GroupSubscription {
  /** Members in the order the leader received them (JoinGroup response order). */
  readonly members: readonly MemberSubscription[];
  /** Metadata of the subscribed topics; a subscribed topic missing here gets no partitions assigned. */
  readonly topics: readonly SubscribedTopic[];
}

/** What one member receives: its partitions and optional assignor-specific bytes. */
export interface MemberAssignment {
  readonly partitions: TopicPartition[];
  readonly userData?: Uint8Array | null;
}

/** The assignment of the whole group, by member id; every member of the input has an entry. */
export type GroupAssignment = Map<string, MemberAssignment>;

/** What a member learns with its assignment, passed to `onAssignment` (Java's `ConsumerGroupMetadata` subset). */
export interface AssignmentMetadata {
  readonly memberId: string;
  readonly generationId: number;
}

/**
 * A partition assignment strategy, run by the group's leader. Custom assignors implement the same
 * interface; `name` is the protocol name every member of the group must agree on.
 */
export interface PartitionAssignor {
  /** The protocol name, e.g. `range`; Java members use the same names for the built-in assignors. */
  readonly name: string;
  /** The rebalance protocols this assignor supports, most preferred first. */
  readonly supportedProtocols: readonly RebalanceProtocol[];
  /**
   * Computes the group's assignment.
   * @returns one entry per member of `group.members`.
   * @throws AssignorError on invalid input (duplicate member ids, partitions not numbered 0..n-1).
   */
  assign(group: GroupSubscription): GroupAssignment;
  /**
   * The bytes this member puts into its subscription's `userData`, or null for none.
   * Called before every JoinGroup.
   */
  subscriptionUserData?(topics: ReadonlySet<string>): Uint8Array | null;
  /** Called when this member receives its assignment, so that stateful assignors can remember it. */
  onAssignment?(assignment: MemberAssignment, metadata: AssignmentMetadata): void;
}
