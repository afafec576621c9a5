import { subscribedTopics } from './common.js';
import { stickyAssign } from './sticky-core.js';
import { decodeStickyUserData, encodeStickyUserData } from './sticky-user-data.js';
import type {
  AssignmentMetadata,
  GroupAssignment,
  GroupSubscription,
  MemberAssignment,
  PartitionAssignor,
  RebalanceProtocol,
  TopicPartition,
} from './types.js';

/**
 * The `sticky` assignor (eager): as balanced as possible, and within that, keeps as many partitions
 * as possible where they were. Each member reports its previous assignment and generation in its
 * user data, in the format Java's `StickyAssignor` uses, so Runnel and Java members interoperate.
 * Rack-aware (KIP-881) when racks are known.
 */
export class StickyAssignor implements PartitionAssignor {
  readonly name: string = 'sticky';
  readonly supportedProtocols: readonly RebalanceProtocol[] = ['EAGER'];
  private memberAssignment: TopicPartition[] | null = null;
  private generation = -1;

  /**
   * Computes the sticky assignment.
   * @returns one entry per member.
   * @throws AssignorError on invalid input.
   */
  assign(group: GroupSubscription): GroupAssignment {
    const topics = subscribedTopics(group);
    const outcome = stickyAssign(group, topics, (m) => decodeStickyUserData(m.userData));
    const result: GroupAssignment = new Map();
    for (const [memberId, ids] of outcome.assignment) {
      result.set(memberId, { partitions: ids.map((id) => outcome.index.toTopicPartition(id)) });
    }
    return result;
  }

  /** @returns the previous assignment and generation of this member, or null before its first assignment. */
  subscriptionUserData(_topics: ReadonlySet<string>): Uint8Array | null {
    if (this.memberAssignment === null) return null;
    return encodeStickyUserData(this.memberAssignment, this.generation);
  }

  /** Remembers this member's assignment and generation for its next subscription. */
  onAssignment(assignment: MemberAssignment, metadata: AssignmentMetadata): void {
    this.memberAssignment = [...assignment.partitions];
    this.generation = metadata.generationId;
  }
}
