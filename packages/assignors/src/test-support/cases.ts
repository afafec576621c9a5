/** Seeded random group inputs, and measures of assignments, shared by tests and the benchmark. */
import { encodeStickyUserData } from '../sticky-user-data.js';
import type { GroupSubscription, MemberSubscription, SubscribedTopic, TopicPartition } from '../types.js';

/** A small deterministic PRNG (mulberry32), so that a failing case is reproducible from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CaseOptions {
  readonly assignor: 'range' | 'roundrobin' | 'sticky' | 'cooperative-sticky';
  readonly maxMembers: number;
  readonly maxTopics: number;
  readonly maxPartitions: number;
}

const RACKS = ['r0', 'r1', 'r2'];

/**
 * A random group: members with random (sometimes identical) subscriptions, optional racks and static
 * ids, topics with random partition counts and replica racks, and a previous assignment (some owners
 * from an older generation, some partitions unowned) in the form the given assignor reads.
 */
export function randomGroup(seed: number, options: CaseOptions): GroupSubscription {
  const next = rng(seed);
  const int = (n: number) => Math.floor(next() * n);
  const numTopics = 1 + int(options.maxTopics);
  const useRacks = next() < 0.5;
  const topics: SubscribedTopic[] = [];
  for (let t = 0; t < numTopics; t++) {
    const n = 1 + int(options.maxPartitions);
    const replication = 1 + int(3);
    topics.push({
      topic: `topic-${String.fromCharCode(97 + t)}${int(100)}`,
      partitions: Array.from({ length: n }, (_, partition) => ({
        partition,
        replicaRacks: useRacks
          ? Array.from({ length: replication }, () => (next() < 0.05 ? null : RACKS[int(RACKS.length)]!))
          : [],
      })),
    });
  }
  const numMembers = 1 + int(options.maxMembers);
  const sameSubscription = next() < 0.5;
  const allTopics = topics.map((t) => t.topic);
  const generation = 1 + int(20);
  const base: Omit<MemberSubscription, 'ownedPartitions' | 'generationId' | 'userData'>[] = [];
  for (let i = 0; i < numMembers; i++) {
    let subscribed = allTopics;
    if (!sameSubscription) {
      subscribed = allTopics.filter(() => next() < 0.6);
      if (subscribed.length === 0) subscribed = [allTopics[int(allTopics.length)]!];
    }
    base.push({
      memberId: `consumer-${int(1000)}-${i}-${Math.floor(next() * 1e9).toString(36)}`,
      groupInstanceId: next() < 0.2 ? `instance-${int(50)}-${i}` : null,
      rackId: useRacks && next() < 0.8 ? RACKS[int(RACKS.length)]! : null,
      topics: subscribed,
    });
  }
  // Previous owners: each partition of a subscribed topic goes to a random subscriber, or to nobody.
  const owned = base.map(() => [] as TopicPartition[]);
  for (const t of topics) {
    const subscribers = base.map((m, i) => (m.topics.includes(t.topic) ? i : -1)).filter((i) => i >= 0);
    for (const p of t.partitions) {
      if (subscribers.length === 0 || next() < 0.3) continue;
      owned[subscribers[int(subscribers.length)]!]!.push({ topic: t.topic, partition: p.partition });
      // Now and then a second member claims it too (a member that missed a rebalance, or a bug).
      if (next() < 0.04)
        owned[subscribers[int(subscribers.length)]!]!.push({ topic: t.topic, partition: p.partition });
    }
  }
  const members: MemberSubscription[] = base.map((m, i) => {
    const fresh = next() < 0.15;
    const stale = next() < 0.15;
    const ownedPartitions = fresh ? [] : owned[i]!;
    const generationId = fresh ? -1 : stale ? generation - 1 - int(3) : generation;
    if (options.assignor === 'sticky') {
      return {
        ...m,
        ownedPartitions: [],
        generationId,
        userData: fresh ? null : encodeStickyUserData(ownedPartitions, generationId),
      };
    }
    return { ...m, ownedPartitions, generationId, userData: null };
  });
  return { members, topics };
}

/** Checks that every partition is assigned at most once and only to a subscriber; returns the problems. */
export function violations(
  group: GroupSubscription,
  assignment: ReadonlyMap<string, { partitions: readonly TopicPartition[] }>,
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const byId = new Map(group.members.map((m) => [m.memberId, m]));
  for (const [memberId, a] of assignment) {
    const m = byId.get(memberId);
    if (m === undefined) problems.push(`unknown member ${memberId}`);
    for (const tp of a.partitions) {
      const key = `${tp.topic}:${tp.partition}`;
      if (seen.has(key)) problems.push(`${key} assigned twice`);
      seen.add(key);
      if (m !== undefined && !m.topics.includes(tp.topic))
        problems.push(`${key} to non-subscriber ${memberId}`);
    }
  }
  return problems;
}

/** Number of partitions of subscribed topics that no member got. */
export function unassignedCount(
  group: GroupSubscription,
  assignment: ReadonlyMap<string, { partitions: readonly TopicPartition[] }>,
): number {
  const subscribed = new Set(group.members.flatMap((m) => m.topics));
  let total = 0;
  for (const t of group.topics) if (subscribed.has(t.topic)) total += t.partitions.length;
  let assigned = 0;
  for (const a of assignment.values()) assigned += a.partitions.length;
  return total - assigned;
}

/** Max minus min number of partitions per member. */
export function spread(assignment: ReadonlyMap<string, { partitions: readonly TopicPartition[] }>): number {
  const sizes = [...assignment.values()].map((a) => a.partitions.length);
  return Math.max(...sizes) - Math.min(...sizes);
}

/**
 * The previous owner of each partition: the claimant with the highest generation, unless two claim it
 * in that same generation. Claims come from owned partitions, or for `sticky` from the user data.
 */
export function previousOwners(
  group: GroupSubscription,
  claims: (m: MemberSubscription) => { partitions: readonly TopicPartition[]; generation: number },
): Map<string, string> {
  const best = new Map<string, { owner: string | null; generation: number }>();
  for (const m of group.members) {
    const c = claims(m);
    for (const tp of c.partitions) {
      const key = `${tp.topic}:${tp.partition}`;
      const b = best.get(key);
      if (b === undefined || c.generation > b.generation)
        best.set(key, { owner: m.memberId, generation: c.generation });
      else if (c.generation === b.generation) b.owner = null;
    }
  }
  const owners = new Map<string, string>();
  for (const [key, b] of best) if (b.owner !== null) owners.set(key, b.owner);
  return owners;
}

/** How many partitions stay with their previous owner. */
export function keptCount(
  owners: ReadonlyMap<string, string>,
  assignment: ReadonlyMap<string, { partitions: readonly TopicPartition[] }>,
): number {
  let kept = 0;
  for (const [memberId, a] of assignment) {
    for (const tp of a.partitions) if (owners.get(`${tp.topic}:${tp.partition}`) === memberId) kept++;
  }
  return kept;
}

/** JSON for the Java harness (user data as base64). */
export function toHarnessCase(assignor: string, group: GroupSubscription): unknown {
  return {
    assignor,
    topics: group.topics,
    members: group.members.map((m) => ({
      ...m,
      userData: m.userData ? Buffer.from(m.userData).toString('base64') : null,
    })),
  };
}
