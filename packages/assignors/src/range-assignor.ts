import {
  compareMembers,
  compareTopicPartitions,
  memberRack,
  subscribedTopics,
  type TopicInfo,
  useRackAwareAssignment,
} from './common.js';
import type {
  GroupAssignment,
  GroupSubscription,
  MemberSubscription,
  PartitionAssignor,
  RebalanceProtocol,
  TopicPartition,
} from './types.js';

/** Per-topic bookkeeping of the range assignor: who may still take how many of which partitions. */
class TopicAssignmentState {
  readonly consumers: string[];
  readonly consumerRacks: Map<string, string | null>;
  readonly needsRackAwareAssignment: boolean;
  /** Replica racks per partition, or null when no consumer of this topic has a rack. */
  readonly partitionRacks: (readonly string[])[] | null;
  readonly unassigned: Set<number>;
  private readonly numAssigned = new Map<string, number>();
  private readonly numPartitionsPerConsumer: number;
  private remainingConsumersWithExtraPartition: number;

  constructor(
    readonly topic: string,
    info: TopicInfo,
    members: MemberSubscription[],
  ) {
    members.sort(compareMembers);
    this.consumers = [];
    this.consumerRacks = new Map();
    for (const m of members) {
      if (this.consumerRacks.has(m.memberId)) continue;
      this.consumers.push(m.memberId);
      this.consumerRacks.set(m.memberId, memberRack(m));
      this.numAssigned.set(m.memberId, 0);
    }
    const n = info.numPartitions;
    this.unassigned = new Set();
    for (let p = 0; p < n; p++) this.unassigned.add(p);
    const c = this.consumers.length;
    this.numPartitionsPerConsumer = c === 0 ? 0 : Math.floor(n / c);
    this.remainingConsumersWithExtraPartition = c === 0 ? 0 : n % c;

    const allConsumerRacks = new Set<string>();
    for (const r of this.consumerRacks.values()) if (r !== null) allConsumerRacks.add(r);
    const allPartitionRacks = new Set<string>();
    if (allConsumerRacks.size > 0) {
      this.partitionRacks = info.replicaRacks.map((racks) => racks);
      for (const racks of info.replicaRacks) for (const r of racks) allPartitionRacks.add(r);
    } else {
      this.partitionRacks = null;
    }
    this.needsRackAwareAssignment = useRackAwareAssignment(
      allConsumerRacks,
      allPartitionRacks,
      this.partitionRacks ?? [],
    );
  }

  /** How many partitions the co-partitioning check sees: 0 when racks are unknown, as in Java. */
  get numPartitionRacks(): number {
    return this.partitionRacks?.length ?? 0;
  }

  racksMatch(consumer: string, partition: number): boolean {
    const rack = this.consumerRacks.get(consumer) ?? null;
    if (rack === null) return true;
    const racks = this.partitionRacks?.[partition];
    return racks?.includes(rack) === true;
  }

  maxAssignable(consumer: string): number {
    const max =
      this.numPartitionsPerConsumer +
      (this.remainingConsumersWithExtraPartition > 0 ? 1 : 0) -
      (this.numAssigned.get(consumer) ?? 0);
    return Math.max(0, max);
  }

  onAssigned(consumer: string, partitions: readonly number[]): void {
    const total = (this.numAssigned.get(consumer) ?? 0) + partitions.length;
    this.numAssigned.set(consumer, total);
    if (total > this.numPartitionsPerConsumer) this.remainingConsumersWithExtraPartition--;
    for (const p of partitions) this.unassigned.delete(p);
  }
}

/**
 * The `range` assignor: per topic, partitions in numeric order are split into contiguous ranges over
 * the topic's subscribers in member order (static members by `group.instance.id` first); the first
 * `partitions % consumers` members get one extra. With known racks (KIP-881) it first places the
 * partitions that can stay on the consumer's rack within the same per-topic quotas, keeping
 * co-partitioned topics (same subscribers, same partition count) aligned. Same results as Java's
 * `RangeAssignor`.
 */
export class RangeAssignor implements PartitionAssignor {
  readonly name = 'range';
  readonly supportedProtocols: readonly RebalanceProtocol[] = ['EAGER'];

  /**
   * Computes the range assignment.
   * @returns one entry per member; partitions sorted by topic, then partition.
   * @throws AssignorError on invalid input.
   */
  assign(group: GroupSubscription): GroupAssignment {
    const topics = subscribedTopics(group);
    const consumersPerTopic = new Map<string, MemberSubscription[]>();
    for (const m of group.members) {
      for (const topic of m.topics) {
        let list = consumersPerTopic.get(topic);
        if (list === undefined) consumersPerTopic.set(topic, (list = []));
        list.push(m);
      }
    }
    const states: TopicAssignmentState[] = [];
    for (const [topic, info] of topics) {
      states.push(new TopicAssignmentState(topic, info, consumersPerTopic.get(topic) ?? []));
    }
    const assignment = new Map<string, TopicPartition[]>();
    for (const m of group.members) assignment.set(m.memberId, []);

    if (states.some((s) => s.needsRackAwareAssignment)) assignWithRackMatching(states, assignment);
    for (const state of states) assignRanges(state, () => true, assignment);

    const result: GroupAssignment = new Map();
    for (const [memberId, partitions] of assignment) {
      result.set(memberId, { partitions: partitions.sort(compareTopicPartitions) });
    }
    return result;
  }
}

function assign(
  consumer: string,
  partitions: number[],
  state: TopicAssignmentState,
  assignment: Map<string, TopicPartition[]>,
): void {
  const list = assignment.get(consumer)!;
  for (const p of partitions) list.push({ topic: state.topic, partition: p });
  state.onAssigned(consumer, partitions);
}

function assignRanges(
  state: TopicAssignmentState,
  mayAssign: (consumer: string, partition: number) => boolean,
  assignment: Map<string, TopicPartition[]>,
): void {
  for (const consumer of state.consumers) {
    if (state.unassigned.size === 0) break;
    const limit = state.maxAssignable(consumer);
    const chosen: number[] = [];
    for (const p of state.unassigned) {
      if (chosen.length >= limit) break;
      if (mayAssign(consumer, p)) chosen.push(p);
    }
    if (chosen.length > 0) assign(consumer, chosen, state, assignment);
  }
}

function assignWithRackMatching(
  states: readonly TopicAssignmentState[],
  assignment: Map<string, TopicPartition[]>,
): void {
  // Topics with the same subscribers and the same partition count are co-partitioned: partition i
  // of each goes to the same consumer, so they are placed together.
  const groups = new Map<string, TopicAssignmentState[]>();
  for (const state of states) {
    const key = `${state.numPartitionRacks}\u0000${state.consumers.join('\u0000')}`;
    let list = groups.get(key);
    if (list === undefined) groups.set(key, (list = []));
    list.push(state);
  }
  for (const group of groups.values()) {
    const first = group[0]!;
    if (group.length > 1) {
      assignCoPartitionedWithRackMatching(first.consumers, first.numPartitionRacks, group, assignment);
    } else if (first.needsRackAwareAssignment) {
      assignRanges(first, (c, p) => first.racksMatch(c, p), assignment);
    }
  }
}

function assignCoPartitionedWithRackMatching(
  consumers: readonly string[],
  numPartitions: number,
  states: readonly TopicAssignmentState[],
  assignment: Map<string, TopicPartition[]>,
): void {
  const remaining = new Set(consumers);
  for (let p = 0; p < numPartitions; p++) {
    let match: string | undefined;
    for (const c of remaining) {
      if (states.every((s) => s.racksMatch(c, p) && s.maxAssignable(c) > 0)) {
        match = c;
        break;
      }
    }
    if (match === undefined) continue;
    for (const s of states) assign(match, [p], s, assignment);
    if (states.every((s) => s.maxAssignable(match) <= 0)) {
      remaining.delete(match);
      if (remaining.size === 0) break;
    }
  }
}
