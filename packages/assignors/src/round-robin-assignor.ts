import { compareMembers, compareStrings, subscribedTopics } from './common.js';
import type {
  GroupAssignment,
  GroupSubscription,
  MemberSubscription,
  PartitionAssignor,
  RebalanceProtocol,
  TopicPartition,
} from './types.js';

/**
 * The `roundrobin` assignor: all partitions of all subscribed topics, sorted by topic then partition,
 * are dealt one by one to the members in member order (static members by `group.instance.id` first),
 * skipping members not subscribed to the partition's topic. Not rack-aware, like Java's
 * `RoundRobinAssignor`, whose results it reproduces.
 */
export class RoundRobinAssignor implements PartitionAssignor {
  readonly name = 'roundrobin';
  readonly supportedProtocols: readonly RebalanceProtocol[] = ['EAGER'];

  /**
   * Computes the round-robin assignment.
   * @returns one entry per member; partitions in the order they were dealt.
   * @throws AssignorError on invalid input.
   */
  assign(group: GroupSubscription): GroupAssignment {
    const topics = subscribedTopics(group);
    const assignment = new Map<string, TopicPartition[]>();
    for (const m of group.members) assignment.set(m.memberId, []);
    const members: MemberSubscription[] = [...group.members].sort(compareMembers);
    const subscribed = members.map((m) => new Set(m.topics));
    const sortedTopics = [...topics.keys()].sort(compareStrings);
    let next = 0;
    for (const topic of sortedTopics) {
      const n = topics.get(topic)!.numPartitions;
      for (let p = 0; p < n; p++) {
        // Every topic here has a subscriber, so this stops within one lap.
        while (!subscribed[next]!.has(topic)) next = (next + 1) % members.length;
        assignment.get(members[next]!.memberId)!.push({ topic, partition: p });
        next = (next + 1) % members.length;
      }
    }
    const result: GroupAssignment = new Map();
    for (const [memberId, partitions] of assignment) result.set(memberId, { partitions });
    return result;
  }
}
