/**
 * The algorithm shared by the `sticky` and `cooperative-sticky` assignors, following Java's
 * `AbstractStickyAssignor` step by step (including the order in which it visits members, so that
 * ties break the same way): a fast path when every member subscribes to the same topics, and a
 * general path that balances by moving partitions between members.
 */
import {
  compareStrings,
  DEFAULT_GENERATION,
  memberRack,
  type TopicInfo,
  useRackAwareAssignment,
} from './common.js';
import {
  javaBucket,
  javaHashMapCapacity,
  javaHashMapOrder,
  javaStringHash,
  javaTopicPartitionHash,
} from './java-hash.js';
import type { GroupSubscription, MemberSubscription, TopicPartition } from './types.js';

/** The previous assignment a member reports, decoded by the concrete assignor. */
export interface StickyMemberData {
  readonly partitions: readonly TopicPartition[];
  /** The generation of that assignment; undefined when the member did not say. */
  readonly generation: number | undefined;
}

/** Partitions of the subscribed topics, numbered densely in (topic, partition) order. */
export class PartitionIndex {
  readonly topicNames: string[];
  readonly total: number;
  readonly tpTopic: Int32Array;
  readonly tpPartition: Int32Array;
  readonly tpRacks: (readonly string[])[];
  private readonly topicIndex = new Map<string, number>();
  private readonly base: number[] = [];
  readonly counts: number[] = [];

  constructor(topics: ReadonlyMap<string, TopicInfo>) {
    this.topicNames = [...topics.keys()].sort(compareStrings);
    let total = 0;
    for (const [i, name] of this.topicNames.entries()) {
      this.topicIndex.set(name, i);
      this.base.push(total);
      const n = topics.get(name)!.numPartitions;
      this.counts.push(n);
      total += n;
    }
    this.total = total;
    this.tpTopic = new Int32Array(total);
    this.tpPartition = new Int32Array(total);
    this.tpRacks = new Array(total);
    for (const [i, name] of this.topicNames.entries()) {
      const info = topics.get(name)!;
      for (let p = 0; p < info.numPartitions; p++) {
        const id = this.base[i]! + p;
        this.tpTopic[id] = i;
        this.tpPartition[id] = p;
        this.tpRacks[id] = info.replicaRacks[p] ?? [];
      }
    }
  }

  topicOf(topic: string): number | undefined {
    return this.topicIndex.get(topic);
  }

  /** The id of a partition, or -1 when its topic is not subscribed or the partition does not exist. */
  idOf(tp: TopicPartition): number {
    const t = this.topicIndex.get(tp.topic);
    if (t === undefined || !Number.isInteger(tp.partition)) return -1;
    return tp.partition >= 0 && tp.partition < this.counts[t]! ? this.base[t]! + tp.partition : -1;
  }

  firstId(topic: number): number {
    return this.base[topic]!;
  }

  toTopicPartition(id: number): TopicPartition {
    return { topic: this.topicNames[this.tpTopic[id]!]!, partition: this.tpPartition[id]! };
  }

  /** Java's `TopicPartition.hashCode()` of a partition. */
  javaHash(id: number): number {
    return javaTopicPartitionHash(javaStringHash(this.topicNames[this.tpTopic[id]!]!), this.tpPartition[id]!);
  }
}

/** The outcome of a sticky assignment, in partition ids. */
export interface StickyOutcome {
  readonly index: PartitionIndex;
  /** Partitions per member, in the input's member order. */
  readonly assignment: Map<string, number[]>;
  /**
   * Partitions that move from one owner to another, with their new owner; null when the general
   * path ran (the cooperative assignor then derives them from owned partitions).
   */
  readonly transferring: Map<number, string> | null;
  /** The highest generation any member reported. */
  readonly maxGeneration: number;
}

/** Consumer and partition racks as the sticky assignor uses them (Java's `RackInfo`). */
class RackInfo {
  readonly consumerRacks = new Map<string, string>();
  readonly useRacks: boolean;
  private readonly numConsumersByPartition: Int32Array | null;

  constructor(
    private readonly index: PartitionIndex,
    members: readonly MemberSubscription[],
  ) {
    const consumersByRack = new Map<string, number>();
    for (const m of members) {
      const rack = memberRack(m);
      if (rack !== null) consumersByRack.set(rack, (consumersByRack.get(rack) ?? 0) + 1);
    }
    const allPartitionRacks = new Set<string>();
    if (consumersByRack.size > 0) {
      for (let id = 0; id < index.total; id++) for (const r of index.tpRacks[id]!) allPartitionRacks.add(r);
      const counts = new Int32Array(index.total);
      for (let id = 0; id < index.total; id++) {
        let n = 0;
        for (const r of index.tpRacks[id]!) n += consumersByRack.get(r) ?? 0;
        counts[id] = n;
      }
      this.numConsumersByPartition = counts;
    } else {
      this.numConsumersByPartition = null;
    }
    this.useRacks = useRackAwareAssignment(
      new Set(consumersByRack.keys()),
      allPartitionRacks,
      consumersByRack.size > 0 ? index.tpRacks : [],
    );
    if (this.useRacks) {
      for (const m of members) {
        const rack = memberRack(m);
        if (rack !== null) this.consumerRacks.set(m.memberId, rack);
      }
    }
  }

  /** True when the consumer has a rack and none of the partition's replicas is on it. */
  racksMismatch(consumer: string, id: number): boolean {
    const rack = this.consumerRacks.get(consumer);
    return rack !== undefined && !this.index.tpRacks[id]!.includes(rack);
  }

  /** True when both are known and the partition has a replica on the consumer's rack. */
  racksMatch(consumer: string, id: number): boolean {
    const rack = this.consumerRacks.get(consumer);
    return rack !== undefined && this.index.tpRacks[id]!.includes(rack);
  }

  /** Partitions with the fewest same-rack consumers first, so that scarce matches are used first. */
  sortPartitionsByRackConsumers(partitions: number[]): number[] {
    const counts = this.numConsumersByPartition;
    if (counts === null) return partitions;
    return partitions
      .map((id, i) => [id, i] as const)
      .sort((a, b) => counts[a[0]]! - counts[b[0]]! || a[1] - b[1])
      .map(([id]) => id);
  }

  /** Index of the first consumer at or after `first` (cyclically) on a rack of the partition, or -1. */
  nextRackConsumer(id: number, consumers: readonly string[], first: number): number {
    if (!this.useRacks) return -1;
    const racks = this.index.tpRacks[id]!;
    if (racks.length === 0) return -1;
    for (let i = 0; i < consumers.length; i++) {
      const at = (first + i) % consumers.length;
      const rack = this.consumerRacks.get(consumers[at]!);
      if (rack !== undefined && racks.includes(rack)) return at;
    }
    return -1;
  }
}

/**
 * Runs the sticky assignment.
 * @returns the assignment in partition ids, with the partitions that change owner.
 * @throws AssignorError (through `memberData`) on undecodable user data.
 */
export function stickyAssign(
  group: GroupSubscription,
  topics: ReadonlyMap<string, TopicInfo>,
  memberData: (member: MemberSubscription) => StickyMemberData,
): StickyOutcome {
  const index = new PartitionIndex(topics);
  const members = group.members;
  const byId = new Map<string, MemberSubscription>();
  for (const m of members) byId.set(m.memberId, m);
  const data = new Map<string, StickyMemberData>();
  for (const m of members) data.set(m.memberId, memberData(m));
  const rackInfo = new RackInfo(index, members);

  // allSubscriptionsEqual: also collects each member's still-valid owned partitions.
  let equal = true;
  let firstTopics: Set<string> | null = null;
  let sameAsFirst: readonly string[] | null = null;
  let maxGeneration = DEFAULT_GENERATION;
  const owned = new Map<string, number[]>();
  const previousOwner: (string | undefined)[] = new Array(index.total);
  const multipleOwners = new Set<number>();
  for (const m of members) {
    if (firstTopics === null || firstTopics.size === 0) {
      firstTopics = new Set(m.topics);
      sameAsFirst = m.topics;
    } else if (
      equal &&
      m.topics !== sameAsFirst &&
      !(m.topics.length === firstTopics.size && m.topics.every((t) => firstTopics!.has(t)))
    ) {
      equal = false;
    }
    const md = data.get(m.memberId)!;
    const generation = md.generation ?? DEFAULT_GENERATION;
    maxGeneration = Math.max(maxGeneration, generation);
    const list: number[] = [];
    owned.set(m.memberId, list);
    for (const tp of md.partitions) {
      const id = index.idOf(tp);
      if (id < 0) continue;
      const other = previousOwner[id];
      if (other === undefined) {
        list.push(id);
        previousOwner[id] = m.memberId;
        continue;
      }
      // Java compares with the other member's subscription-level generation here.
      const otherGeneration = byId.get(other)!.generationId ?? DEFAULT_GENERATION;
      const otherGen = otherGeneration < 0 ? DEFAULT_GENERATION : otherGeneration;
      if (generation === otherGen) {
        multipleOwners.add(id);
        removeFirst(owned.get(other)!, id);
        previousOwner[id] = m.memberId;
      } else if (generation > otherGen) {
        list.push(id);
        removeFirst(owned.get(other)!, id);
        previousOwner[id] = m.memberId;
      }
    }
  }

  if (equal) {
    const transferring = new Map<number, string>();
    const assignment = constrainedAssign(index, rackInfo, members, owned, multipleOwners, transferring);
    return { index, assignment, transferring, maxGeneration };
  }
  const assignment = generalAssign(index, rackInfo, members, data, owned, maxGeneration);
  return { index, assignment, transferring: null, maxGeneration };
}

function removeFirst(list: number[], id: number): void {
  const at = list.indexOf(id);
  if (at >= 0) list.splice(at, 1);
}

/** Java's `getUnassignedPartitions`: all partitions in id order minus the (sorted) assigned ones. */
function unassignedOf(total: number, assigned: readonly number[]): number[] {
  const taken = new Uint8Array(total);
  for (const id of assigned) taken[id] = 1;
  const unassigned: number[] = [];
  for (let id = 0; id < total; id++) if (taken[id] === 0) unassigned.push(id);
  return unassigned;
}

/** The fast path when every member subscribes to the same topics (Java's `ConstrainedAssignmentBuilder`). */
function constrainedAssign(
  index: PartitionIndex,
  rackInfo: RackInfo,
  members: readonly MemberSubscription[],
  owned: Map<string, number[]>,
  multipleOwners: ReadonlySet<number>,
  transferring: Map<number, string>,
): Map<string, number[]> {
  const total = index.total;
  const numConsumers = members.length;
  const minQuota = Math.floor(total / numConsumers);
  const maxQuota = Math.ceil(total / numConsumers);
  const expectedOverMin = total % numConsumers;
  let currentOverMin = 0;
  // Partitions a member owned but does not keep, with that member: handing one to anyone else is a transfer.
  const maybeRevoked = new Map<number, string>();
  let underMin: string[] = [];
  let exactlyMin: string[] = [];
  const assignment = new Map<string, number[]>();
  for (const m of members) assignment.set(m.memberId, []);
  const assigned: number[] = [];

  // Java walks its HashMap of members here; who keeps maxQuota depends on that order.
  for (const consumer of javaHashMapOrder(members.map((m) => m.memberId))) {
    const mine = owned
      .get(consumer)!
      .filter((id) => {
        const mismatch = rackInfo.racksMismatch(consumer, id);
        if (mismatch) maybeRevoked.set(id, consumer);
        return !mismatch;
      })
      .sort((a, b) => index.tpPartition[a]! - index.tpPartition[b]! || index.tpTopic[a]! - index.tpTopic[b]!);
    for (const id of multipleOwners) removeFirst(mine, id);
    const target = assignment.get(consumer)!;
    if (mine.length < minQuota) {
      for (const id of mine) {
        target.push(id);
        assigned.push(id);
      }
      underMin.push(consumer);
    } else if (mine.length >= maxQuota && currentOverMin < expectedOverMin) {
      currentOverMin++;
      if (currentOverMin === expectedOverMin) exactlyMin = [];
      for (let i = 0; i < mine.length; i++) {
        if (i < maxQuota) {
          target.push(mine[i]!);
          assigned.push(mine[i]!);
        } else {
          maybeRevoked.set(mine[i]!, consumer);
        }
      }
    } else {
      for (let i = 0; i < mine.length; i++) {
        if (i < minQuota) {
          target.push(mine[i]!);
          assigned.push(mine[i]!);
        } else {
          maybeRevoked.set(mine[i]!, consumer);
        }
      }
      if (currentOverMin < expectedOverMin) exactlyMin.push(consumer);
    }
  }

  let unassigned = unassignedOf(total, assigned);
  underMin.sort(compareStrings);
  exactlyMin.sort(compareStrings);
  unassigned = rackInfo.sortPartitionsByRackConsumers(unassigned);

  const assignNew = (id: number, consumer: string): number => {
    const target = assignment.get(consumer)!;
    target.push(id);
    const previous = maybeRevoked.get(id);
    if ((previous !== undefined && previous !== consumer) || multipleOwners.has(id))
      transferring.set(id, consumer);
    return target.length;
  };

  // Round-robin within racks, up to maxQuota where still allowed, else minQuota.
  if (rackInfo.consumerRacks.size > 0) {
    let nextUnfilled = 0;
    const left: number[] = [];
    for (const id of unassigned) {
      let consumer: string | null = null;
      let next = rackInfo.nextRackConsumer(id, underMin, nextUnfilled);
      if (next >= 0) {
        consumer = underMin[next]!;
        const count = assignment.get(consumer)!.length + 1;
        if (count >= minQuota) {
          underMin.splice(underMin.indexOf(consumer), 1);
          if (count < maxQuota && currentOverMin < expectedOverMin) exactlyMin.push(consumer);
        } else {
          next++;
        }
        nextUnfilled = underMin.length === 0 ? 0 : next % underMin.length;
      } else if (exactlyMin.length > 0) {
        const first = rackInfo.nextRackConsumer(id, exactlyMin, 0);
        if (first >= 0) {
          consumer = exactlyMin[first]!;
          if (assignment.get(consumer)!.length + 1 === maxQuota) {
            exactlyMin.splice(first, 1);
            currentOverMin++;
            if (currentOverMin === expectedOverMin) exactlyMin = [];
          }
        }
      }
      if (consumer !== null) assignNew(id, consumer);
      else left.push(id);
    }
    unassigned = left;
  }

  // Round-robin over the remaining members, as Java's iterator over its linked list does.
  let at = 0;
  for (const id of unassigned) {
    let consumer: string;
    let fromIterator = true;
    if (at < underMin.length) {
      consumer = underMin[at++]!;
    } else if (underMin.length === 0 && exactlyMin.length === 0) {
      throw new Error('sticky assignor: no more unfilled consumers to assign to');
    } else if (underMin.length === 0) {
      consumer = exactlyMin.shift()!;
      fromIterator = false;
    } else {
      at = 0;
      consumer = underMin[at++]!;
    }
    const count = assignNew(id, consumer);
    if (count === minQuota) {
      if (fromIterator) underMin.splice(--at, 1);
      exactlyMin.push(consumer);
    } else if (count === maxQuota) {
      currentOverMin++;
    }
  }

  if (underMin.length > 0) {
    if (currentOverMin !== expectedOverMin) {
      throw new Error('sticky assignor: members remain under quota but no partitions are left');
    }
    for (const c of underMin) {
      if (assignment.get(c)!.length !== minQuota) {
        throw new Error(`sticky assignor: member ${c} did not reach its quota`);
      }
    }
  }
  underMin = [];
  return assignment;
}

/** Ordered set of members by (assignment size, member id), Java's `sortedCurrentSubscriptions`. */
class SortedMembers {
  private readonly list: string[] = [];

  constructor(private readonly size: (member: string) => number) {}

  private compare(a: string, b: string): number {
    return this.size(a) - this.size(b) || compareStrings(a, b);
  }

  private search(member: string): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(this.list[mid]!, member) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(member: string): void {
    const at = this.search(member);
    if (this.list[at] !== member) this.list.splice(at, 0, member);
  }

  /** Removes a member; call before its size changes, since the position depends on it. */
  remove(member: string): void {
    const at = this.search(member);
    if (this.list[at] === member) this.list.splice(at, 1);
  }

  first(): string | undefined {
    return this.list[0];
  }

  last(): string | undefined {
    return this.list[this.list.length - 1];
  }

  [Symbol.iterator](): Iterator<string> {
    return this.list[Symbol.iterator]();
  }
}

/**
 * Moves of partitions between members in this rebalance, per topic, so that a partition moving back
 * toward where another of its topic came from is swapped instead (Java's `PartitionMovements`).
 */
class PartitionMovements {
  private readonly movements = new Map<number, { src: string; dst: string }>();
  /** topic -> "src\0dst" -> the moved partitions (in insertion order) and the set's largest size. */
  private readonly byTopic = new Map<number, Map<string, { ids: number[]; maxSize: number }>>();

  constructor(private readonly index: PartitionIndex) {}

  private remove(id: number): { src: string; dst: string } {
    const pair = this.movements.get(id)!;
    this.movements.delete(id);
    const topic = this.index.tpTopic[id]!;
    const forTopic = this.byTopic.get(topic)!;
    const key = `${pair.src}\u0000${pair.dst}`;
    const set = forTopic.get(key)!;
    set.ids.splice(set.ids.indexOf(id), 1);
    if (set.ids.length === 0) forTopic.delete(key);
    if (forTopic.size === 0) this.byTopic.delete(topic);
    return pair;
  }

  private add(id: number, src: string, dst: string): void {
    this.movements.set(id, { src, dst });
    const topic = this.index.tpTopic[id]!;
    let forTopic = this.byTopic.get(topic);
    if (forTopic === undefined) this.byTopic.set(topic, (forTopic = new Map()));
    const key = `${src}\u0000${dst}`;
    let set = forTopic.get(key);
    if (set === undefined) forTopic.set(key, (set = { ids: [], maxSize: 0 }));
    set.ids.push(id);
    set.maxSize = Math.max(set.maxSize, set.ids.length);
  }

  movePartition(id: number, oldConsumer: string, newConsumer: string): void {
    if (this.movements.has(id)) {
      const existing = this.remove(id);
      if (existing.src !== newConsumer) this.add(id, existing.src, newConsumer);
    } else {
      this.add(id, oldConsumer, newConsumer);
    }
  }

  partitionToBeMoved(id: number, oldConsumer: string, newConsumer: string): number {
    const forTopic = this.byTopic.get(this.index.tpTopic[id]!);
    if (forTopic === undefined) return id;
    const moved = this.movements.get(id);
    const from = moved !== undefined ? moved.src : oldConsumer;
    const reverse = forTopic.get(`${newConsumer}\u0000${from}`);
    if (reverse === undefined) return id;
    // The first element Java's HashSet iterator yields: lowest bucket, then earliest inserted.
    const capacity = javaHashMapCapacity(reverse.maxSize);
    let best = reverse.ids[0]!;
    let bestBucket = javaBucket(this.index.javaHash(best), capacity);
    for (let i = 1; i < reverse.ids.length; i++) {
      const bucket = javaBucket(this.index.javaHash(reverse.ids[i]!), capacity);
      if (bucket < bestBucket) {
        best = reverse.ids[i]!;
        bestBucket = bucket;
      }
    }
    return best;
  }
}

/** The general path (Java's `GeneralAssignmentBuilder`), for members with different subscriptions. */
function generalAssign(
  index: PartitionIndex,
  rackInfo: RackInfo,
  members: readonly MemberSubscription[],
  data: ReadonlyMap<string, StickyMemberData>,
  owned: Map<string, number[]>,
  maxGeneration: number,
): Map<string, number[]> {
  const numTopics = index.topicNames.length;
  const topicConsumers: string[][] = index.topicNames.map(() => []);
  const consumerTopics = new Map<string, number[]>();
  const subscribed = new Map<string, Set<number>>();
  for (const m of members) {
    const list: number[] = [];
    for (const topic of m.topics) {
      const t = index.topicOf(topic);
      if (t === undefined) continue;
      list.push(t);
      topicConsumers[t]!.push(m.memberId);
    }
    consumerTopics.set(m.memberId, list);
    subscribed.set(m.memberId, new Set(list));
  }
  const current = owned;
  const currentOwner = new Map<number, string>();
  for (const [consumer, ids] of current) for (const id of ids) currentOwner.set(id, consumer);

  const sortedTopics = index.topicNames
    .map((_, t) => t)
    .sort(
      (a, b) =>
        topicConsumers[a]!.length - topicConsumers[b]!.length ||
        compareStrings(index.topicNames[a]!, index.topicNames[b]!),
    );
  let sortedAllPartitions: number[] = [];
  for (const t of sortedTopics) {
    const first = index.firstId(t);
    for (let p = 0; p < index.counts[t]!; p++) sortedAllPartitions.push(first + p);
  }
  const sizeOf = (c: string): number => current.get(c)!.length;
  const sorted = new SortedMembers(sizeOf);
  const movements = new PartitionMovements(index);

  // Previous owners from older generations, to move partitions back to where they were.
  const prev = new Map<number, { consumer: string; generation: number }>();
  const updatePrev = (partitions: readonly TopicPartition[], consumer: string, generation: number): void => {
    for (const tp of partitions) {
      const id = index.idOf(tp);
      if (id < 0) continue;
      const existing = prev.get(id);
      if (existing === undefined || generation > existing.generation) prev.set(id, { consumer, generation });
    }
  };
  for (const m of members) {
    const md = data.get(m.memberId)!;
    if (md.generation !== undefined && md.generation < maxGeneration) {
      updatePrev(md.partitions, m.memberId, md.generation);
    } else if (md.generation === undefined && maxGeneration > DEFAULT_GENERATION) {
      updatePrev(md.partitions, m.memberId, DEFAULT_GENERATION);
    }
  }

  let revocationRequired = false;
  const assigned: number[] = [];
  for (const m of members) {
    const ids = current.get(m.memberId)!;
    const topicsOfMember = new Set(m.topics);
    const kept: number[] = [];
    for (const id of ids) {
      if (
        !topicsOfMember.has(index.topicNames[index.tpTopic[id]!]!) ||
        rackInfo.racksMismatch(m.memberId, id)
      ) {
        revocationRequired = true;
      } else {
        kept.push(id);
        assigned.push(id);
      }
    }
    current.set(m.memberId, kept);
  }

  const assignedSet = new Set(assigned);
  const unassigned =
    assigned.length === 0 ? sortedAllPartitions : sortedAllPartitions.filter((id) => !assignedSet.has(id));
  for (const m of members) sorted.add(m.memberId);

  const maxAssignmentSize = (consumer: string): number => {
    const ts = consumerTopics.get(consumer)!;
    if (ts.length === numTopics) return index.total;
    let n = 0;
    for (const t of ts) n += index.counts[t]!;
    return n;
  };

  const isBalanced = (): boolean => {
    const min = sizeOf(sorted.first()!);
    const max = sizeOf(sorted.last()!);
    if (min >= max - 1) return true;
    const ownerOf = new Map<number, string>();
    for (const [c, ids] of current) for (const id of ids) ownerOf.set(id, c);
    for (const consumer of sorted) {
      const count = sizeOf(consumer);
      if (count === maxAssignmentSize(consumer)) continue;
      for (const t of consumerTopics.get(consumer)!) {
        const first = index.firstId(t);
        for (let p = 0; p < index.counts[t]!; p++) {
          const other = ownerOf.get(first + p);
          if (other === undefined || other === consumer) continue;
          if (count + 1 < sizeOf(other)) return false;
        }
      }
    }
    return true;
  };

  const balanceScore = (assignment: Map<string, number[]>): number => {
    const sizes = [...assignment.values()].map((l) => l.length).sort((a, b) => a - b);
    let score = 0;
    for (let i = 0; i < sizes.length; i++) score += sizes[i]! * (2 * i - sizes.length + 1);
    return score;
  };

  const maybeAssign = (partitions: number[], withRacks: boolean): number[] => {
    const left: number[] = [];
    for (const id of partitions) {
      const t = index.tpTopic[id]!;
      if (topicConsumers[t]!.length === 0) {
        left.push(id);
        continue;
      }
      let done = false;
      for (const consumer of sorted) {
        if (subscribed.get(consumer)!.has(t) && (!withRacks || !rackInfo.racksMismatch(consumer, id))) {
          sorted.remove(consumer);
          current.get(consumer)!.push(id);
          currentOwner.set(id, consumer);
          sorted.add(consumer);
          done = true;
          break;
        }
      }
      if (!done) left.push(id);
    }
    return left;
  };

  const processPartitionMovement = (id: number, newConsumer: string): void => {
    const oldConsumer = currentOwner.get(id)!;
    sorted.remove(oldConsumer);
    sorted.remove(newConsumer);
    movements.movePartition(id, oldConsumer, newConsumer);
    removeFirst(current.get(oldConsumer)!, id);
    current.get(newConsumer)!.push(id);
    currentOwner.set(id, newConsumer);
    sorted.add(newConsumer);
    sorted.add(oldConsumer);
  };

  const reassignTo = (id: number, newConsumer: string): void => {
    const consumer = currentOwner.get(id)!;
    processPartitionMovement(movements.partitionToBeMoved(id, consumer, newConsumer), newConsumer);
  };

  const reassign = (id: number): void => {
    const t = index.tpTopic[id]!;
    for (const c of sorted) {
      if (subscribed.get(c)!.has(t)) {
        reassignTo(id, c);
        return;
      }
    }
  };

  const performReassignments = (partitions: readonly number[]): boolean => {
    let performed = false;
    let modified: boolean;
    do {
      modified = false;
      for (const id of partitions) {
        if (isBalanced()) break;
        const consumer = currentOwner.get(id)!;
        const t = index.tpTopic[id]!;
        const previous = prev.get(id);
        if (
          previous !== undefined &&
          current.has(previous.consumer) &&
          sizeOf(consumer) > sizeOf(previous.consumer) + 1
        ) {
          reassignTo(id, previous.consumer);
          performed = modified = true;
          continue;
        }
        let foundRackConsumer = false;
        if (rackInfo.racksMatch(consumer, id)) {
          for (const other of topicConsumers[t]!) {
            if (!rackInfo.racksMatch(other, id)) continue;
            if (sizeOf(consumer) > sizeOf(other) + 1) {
              reassign(id);
              performed = modified = foundRackConsumer = true;
              break;
            }
          }
        }
        if (!foundRackConsumer) {
          for (const other of topicConsumers[t]!) {
            if (current.has(other) && sizeOf(consumer) > sizeOf(other) + 1) {
              reassign(id);
              performed = modified = true;
              break;
            }
          }
        }
      }
    } while (modified);
    return performed;
  };

  // balance()
  const initializing = sizeOf(sorted.last()!) === 0;
  let toAssign = unassigned;
  if (rackInfo.consumerRacks.size > 0) toAssign = maybeAssign([...unassigned], true);
  maybeAssign(toAssign, false);

  const fixedTopics = new Set<number>();
  for (let t = 0; t < numTopics; t++) if (topicConsumers[t]!.length < 2) fixedTopics.add(t);
  sortedAllPartitions = sortedAllPartitions.filter((id) => !fixedTopics.has(index.tpTopic[id]!));
  const reassignable = unassigned.filter((id) => !fixedTopics.has(index.tpTopic[id]!));

  const fixedAssignments = new Map<string, number[]>();
  for (const m of members) {
    const consumer = m.memberId;
    const ids = current.get(consumer)!;
    let participates = ids.length < maxAssignmentSize(consumer);
    if (!participates) for (const id of ids) if (!fixedTopics.has(index.tpTopic[id]!)) participates = true;
    if (!participates) {
      sorted.remove(consumer);
      fixedAssignments.set(consumer, ids);
      current.delete(consumer);
    }
  }

  const preBalance = new Map<string, number[]>();
  for (const [c, ids] of current) preBalance.set(c, [...ids]);
  const preBalanceOwners = new Map(currentOwner);

  if (!revocationRequired) performReassignments(reassignable);
  const reassignmentPerformed = performReassignments(sortedAllPartitions);

  if (!initializing && reassignmentPerformed && balanceScore(current) >= balanceScore(preBalance)) {
    for (const [c, ids] of preBalance) current.set(c, ids);
    currentOwner.clear();
    for (const [id, c] of preBalanceOwners) currentOwner.set(id, c);
  }
  for (const [c, ids] of fixedAssignments) current.set(c, ids);

  const result = new Map<string, number[]>();
  for (const m of members) result.set(m.memberId, current.get(m.memberId)!);
  return result;
}
