import { ConsumerProtocolMember } from '@runnel/group';
import { createTopic, describeGroup } from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { partitionKey, type TopicPartition } from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type MemberRunner, MemberRunners, waitForBalancedGroup } from './test-support/member-runner.js';

const PARTITIONS = 6;
const keyOf = (p: TopicPartition): string => partitionKey(p.topic, p.partition);
type Runner = MemberRunner<ConsumerProtocolMember>;
const runners = new MemberRunners<ConsumerProtocolMember>(() => testCluster().bootstrap);

afterEach(() => runners.stopAll());

type Subscription = { topics: string[] } | { pattern: string };

function startMember(
  name: string,
  groupId: string,
  subscription: Subscription,
  groupInstanceId: string | null = null,
): Runner {
  const member = new ConsumerProtocolMember({
    groupId,
    groupInstanceId,
    serverAssignor: 'uniform',
    maxPollIntervalMs: 60_000,
    retryBackoffMs: 100,
    retryBackoffMaxMs: 1_000,
  });
  if ('topics' in subscription) member.subscribe(subscription.topics, Date.now());
  else member.subscribePattern(subscription.pattern, Date.now());
  return runners.start(name, member);
}

/** Waits until every runner is STABLE, owning an even share of `topic`'s partitions, each once. */
function waitForBalance(members: readonly Runner[], topic: string): Promise<void> {
  const even = () => members.every((m) => Math.abs(m.owned.length - PARTITIONS / members.length) < 1);
  return waitForBalancedGroup(members, topic, PARTITIONS, { timeoutMs: 90_000, also: even });
}

/** Asks the coordinator (ConsumerGroupDescribe, through `via`) what each member owns. */
async function describedOwners(via: Runner): Promise<Map<string, string>> {
  const before = via.member.health().describedAt;
  via.member.requestDescription();
  const deadline = Date.now() + 30_000;
  while (via.member.health().describedAt === before) {
    if (Date.now() > deadline) throw new Error('ConsumerGroupDescribe got no answer');
    await new Promise((r) => setTimeout(r, 50));
  }
  const health = via.member.health();
  if (health.describeError) throw health.describeError;
  const owners = new Map<string, string>();
  for (const m of health.group?.members ?? []) {
    for (const p of m.assignment) owners.set(keyOf(p), m.memberId);
  }
  return owners;
}

function ownersSeenByMembers(members: readonly Runner[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const m of members) for (const p of m.owned) owners.set(keyOf(p), m.member.memberId);
  return owners;
}

/** Every partition a member revoked after `mark` that it still owns now: must be none when incremental. */
function revokedButKept(m: Runner, mark: number): TopicPartition[] {
  const kept = new Set(m.owned.map(keyOf));
  return m.revocations.slice(mark).flatMap((r) => r.filter((p) => kept.has(keyOf(p))));
}

describe('consumer-protocol members against a real broker (KIP-848)', () => {
  it('join one at a time and leave; kept partitions are never revoked, and the broker records what each member owns', async () => {
    const suffix = `${Date.now()}`;
    const topic = `kip848-it-${suffix}`;
    const groupId = `kip848-it-${suffix}`;
    await createTopic(testCluster(), { topic, partitions: PARTITIONS });

    const a = startMember('a', groupId, { topics: [topic] });
    await waitForBalance([a], topic);
    expect(a.owned).toHaveLength(6);
    expect(a.member.memberEpoch).toBeGreaterThan(0);

    const aMark = a.revocations.length;
    const aBefore = new Set(a.owned.map(keyOf));
    const b = startMember('b', groupId, { topics: [topic] });
    await waitForBalance([a, b], topic);
    expect([a.owned.length, b.owned.length]).toEqual([3, 3]);
    // Incremental: a gave up only what moved to b, and kept the rest without a revocation.
    expect(revokedButKept(a, aMark)).toEqual([]);
    expect(a.owned.every((p) => aBefore.has(keyOf(p)))).toBe(true);
    expect(a.revocations.slice(aMark).flat()).toHaveLength(3);
    expect(await describedOwners(a)).toEqual(ownersSeenByMembers([a, b]));

    const marks = [a.revocations.length, b.revocations.length];
    const c = startMember('c', groupId, { pattern: `kip848-it-${suffix}` });
    await waitForBalance([a, b, c], topic);
    expect([a.owned.length, b.owned.length, c.owned.length]).toEqual([2, 2, 2]);
    expect(revokedButKept(a, marks[0] ?? 0)).toEqual([]);
    expect(revokedButKept(b, marks[1] ?? 0)).toEqual([]);
    expect(await describedOwners(b)).toEqual(ownersSeenByMembers([a, b, c]));

    const leaveMarks = [a.revocations.length, b.revocations.length];
    await c.leave();
    await waitForBalance([a, b], topic);
    expect([a.owned.length, b.owned.length]).toEqual([3, 3]);
    // Taking over c's partitions revokes nothing from the members that stay.
    expect(a.revocations.length).toBe(leaveMarks[0]);
    expect(b.revocations.length).toBe(leaveMarks[1]);

    // Kafka's own tool (Admin client, ConsumerGroupDescribe) sees the same owners.
    const rows = await describeGroup(testCluster(), groupId);
    const onBroker = new Map(rows.map((r) => [keyOf(r), r.consumerId]));
    expect(onBroker).toEqual(ownersSeenByMembers([a, b]));
  });

  it('a static member that leaves with epoch -2 and comes back under the same instance id gets its partitions back, and nobody else is revoked', async () => {
    const suffix = `static-${Date.now()}`;
    const topic = `kip848-it-${suffix}`;
    const groupId = `kip848-it-${suffix}`;
    await createTopic(testCluster(), { topic, partitions: PARTITIONS });

    const first = startMember('first', groupId, { topics: [topic] }, 'instance-1');
    const other = startMember('other', groupId, { topics: [topic] }, 'instance-2');
    await waitForBalance([first, other], topic);
    const partitionsOfInstance1 = first.owned;
    const otherMark = other.revocations.length;

    await first.leave();
    const second = startMember('second', groupId, { topics: [topic] }, 'instance-1');
    await waitForBalance([second, other], topic);
    expect(second.member.memberId).not.toBe(first.member.memberId);
    expect(second.owned).toEqual(partitionsOfInstance1);
    expect(other.revocations.length).toBe(otherMark);
    expect(await describedOwners(other)).toEqual(ownersSeenByMembers([second, other]));
  });
});
