import { DEFAULT_GENERATION, subscribedTopics } from './common.js';
import { type PartitionIndex, type StickyMemberData, stickyAssign } from './sticky-core.js';
import { decodeCooperativeStickyUserData, encodeCooperativeStickyUserData } from './sticky-user-data.js';
import type {
  AssignmentMetadata,
  GroupAssignment,
  GroupSubscription,
  MemberAssignment,
  MemberSubscription,
  PartitionAssignor,
  RebalanceProtocol,
} from './types.js';

/**
 * The `cooperative-sticky` assignor (KIP-429): the sticky algorithm, then every partition that would
 * move from one member to another is left out of this generation's assignment. Its owner sees it
 * revoked and rejoins, and the next rebalance gives it to the new owner, so no partition is ever
 * owned by two members at once. Owned partitions and generation come from the subscription (v1+/v2+),
 * or from the user data of older members, as in Java's `CooperativeStickyAssignor`.
 */
export class CooperativeStickyAssignor implements PartitionAssignor {
  readonly name = 'cooperative-sticky';
  readonly supportedProtocols: readonly RebalanceProtocol[] = ['COOPERATIVE', 'EAGER'];
  private generation = DEFAULT_GENERATION;

  /**
   * Computes the cooperative sticky assignment.
   * @returns one entry per member, without the partitions that still have another owner.
   * @throws AssignorError on invalid input.
   */
  assign(group: GroupSubscription): GroupAssignment {
    const topics = subscribedTopics(group);
    const outcome = stickyAssign(group, topics, memberData);
    const { index, assignment } = outcome;
    let transferring = outcome.transferring;
    if (transferring === null) {
      // General path: a partition is transferring when some member gives it up and another gains it.
      const revoked = new Set<number>();
      const added = new Map<number, string>();
      for (const m of group.members) {
        const now = assignment.get(m.memberId)!;
        const ownedIds = new Set<number>();
        for (const tp of m.ownedPartitions ?? []) {
          const id = index.idOf(tp);
          if (id >= 0) ownedIds.add(id);
        }
        const nowSet = new Set(now);
        for (const id of now) if (!ownedIds.has(id)) added.set(id, m.memberId);
        for (const id of ownedIds) if (!nowSet.has(id)) revoked.add(id);
      }
      transferring = new Map();
      for (const [id, consumer] of added) if (revoked.has(id)) transferring.set(id, consumer);
    }
    for (const [id, consumer] of transferring) {
      const list = assignment.get(consumer)!;
      const at = list.indexOf(id);
      if (at >= 0) list.splice(at, 1);
    }
    withholdClaimedByOthers(group, outcome.index, assignment);
    const result: GroupAssignment = new Map();
    for (const [memberId, ids] of assignment) {
      result.set(memberId, { partitions: ids.map((id) => index.toTopicPartition(id)) });
    }
    return result;
  }

  /** @returns the generation of this member's last assignment, for members that cannot send it in v2+. */
  subscriptionUserData(_topics: ReadonlySet<string>): Uint8Array | null {
    return encodeCooperativeStickyUserData(this.generation);
  }

  /** Remembers the generation of this member's assignment. */
  onAssignment(_assignment: MemberAssignment, metadata: AssignmentMetadata): void {
    this.generation = metadata.generationId;
  }
}

function memberData(m: MemberSubscription): StickyMemberData {
  const owned = m.ownedPartitions ?? [];
  if (m.generationId !== undefined && m.generationId >= 0)
    return { partitions: owned, generation: m.generationId };
  return { partitions: owned, generation: decodeCooperativeStickyUserData(m.userData) };
}

/**
 * Java derives the transfers of the general path from raw owned partitions, so when two members claim
 * one partition in different generations it may hand it to the stale claimant while the current owner
 * still holds it. Runnel also withholds a partition from a member whenever another member claims it in
 * the same or a newer generation than this member's own claim; in every other case this changes nothing.
 */
function withholdClaimedByOthers(
  group: GroupSubscription,
  index: PartitionIndex,
  assignment: Map<string, number[]>,
): void {
  // A partition with a single claimant is already safe (the sticky step kept it there or counted it as
  // transferring), so only partitions claimed more than once need a look.
  const count = new Uint8Array(index.total);
  let contested = false;
  const data = group.members.map((m) => memberData(m));
  for (const md of data) {
    for (const tp of md.partitions) {
      const id = index.idOf(tp);
      if (id >= 0 && ++count[id]! > 1) {
        count[id] = 2;
        contested = true;
      }
    }
  }
  if (!contested) return;
  const claims = new Map<number, { member: string; generation: number }[]>();
  for (const [i, m] of group.members.entries()) {
    const md = data[i]!;
    for (const tp of md.partitions) {
      const id = index.idOf(tp);
      if (id < 0 || count[id] !== 2) continue;
      let list = claims.get(id);
      if (list === undefined) claims.set(id, (list = []));
      list.push({ member: m.memberId, generation: md.generation ?? DEFAULT_GENERATION });
    }
  }
  for (const [member, ids] of assignment) {
    const kept = ids.filter((id) => {
      const list = claims.get(id);
      if (list === undefined) return true;
      let own = Number.NEGATIVE_INFINITY;
      for (const c of list) if (c.member === member) own = Math.max(own, c.generation);
      return !list.some((c) => c.member !== member && c.generation >= own);
    });
    if (kept.length !== ids.length) assignment.set(member, kept);
  }
}
