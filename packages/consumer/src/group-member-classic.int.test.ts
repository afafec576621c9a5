import { CooperativeStickyAssignor, type PartitionAssignor, RangeAssignor } from '@runnel/assignors';
import { ClassicGroupMember, FencedInstanceIdError } from '@runnel/group';
import { createTopic, describeGroup } from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import type { TopicPartition } from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type MemberRunner, MemberRunners, waitForBalancedGroup } from './test-support/member-runner.js';

const PARTITIONS = 6;
type Runner = MemberRunner<ClassicGroupMember>;
const runners = new MemberRunners<ClassicGroupMember>(() => testCluster().bootstrap);

afterEach(() => runners.stopAll());

function startMember(
  name: string,
  groupId: string,
  topic: string,
  assignor: () => PartitionAssignor,
  groupInstanceId: string | null = null,
): Runner {
  const member = new ClassicGroupMember({
    groupId,
    groupInstanceId,
    assignors: [assignor()],
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 500,
    maxPollIntervalMs: 30_000,
    retryBackoffMs: 100,
    retryBackoffMaxMs: 1_000,
  });
  member.subscribe([topic], Date.now());
  return runners.start(name, member);
}

/** Waits until every runner is STABLE in one generation and together they own each partition once. */
function waitForBalance(members: readonly Runner[], topic: string): Promise<void> {
  const oneGeneration = () => new Set(members.map((m) => m.member.generation().generationId)).size === 1;
  return waitForBalancedGroup(members, topic, PARTITIONS, { timeoutMs: 60_000, also: oneGeneration });
}

/** The owner the broker records for each partition, by member id (ConsumerGroupCommand --describe). */
async function ownersOnBroker(groupId: string): Promise<Map<number, string | null>> {
  const rows = await describeGroup(testCluster(), groupId);
  return new Map(rows.map((r) => [r.partition, r.consumerId]));
}

function ownersSeenByMembers(members: readonly Runner[]): Map<number, string> {
  const owners = new Map<number, string>();
  for (const m of members) {
    for (const p of m.owned as TopicPartition[]) owners.set(p.partition, m.member.generation().memberId);
  }
  return owners;
}

for (const [protocol, assignor, cooperative] of [
  ['eager (range)', () => new RangeAssignor(), false],
  ['cooperative (cooperative-sticky)', () => new CooperativeStickyAssignor(), true],
] as const) {
  describe(`three members against a real broker, ${protocol}`, () => {
    it('share the partitions through a join, a member leaving and a member joining, as the broker records', async () => {
      const suffix = `${protocol.split(' ')[0]}-${Date.now()}`;
      const topic = `group-it-${suffix}`;
      const groupId = `group-it-${suffix}`;
      await createTopic(testCluster(), { topic, partitions: PARTITIONS });

      const a = startMember('a', groupId, topic, assignor);
      const b = startMember('b', groupId, topic, assignor);
      const c = startMember('c', groupId, topic, assignor);
      await waitForBalance([a, b, c], topic);
      for (const m of [a, b, c]) expect(m.owned).toHaveLength(2);
      expect(await ownersOnBroker(groupId)).toEqual(ownersSeenByMembers([a, b, c]));

      await c.leave();
      await waitForBalance([a, b], topic);
      for (const m of [a, b]) expect(m.owned).toHaveLength(3);
      expect(await ownersOnBroker(groupId)).toEqual(ownersSeenByMembers([a, b]));

      const ownedBefore = [a.owned.length, b.owned.length];
      const revocationsBefore = [a.revocations.length, b.revocations.length];
      const d = startMember('d', groupId, topic, assignor);
      await waitForBalance([a, b, d], topic);
      // Eager members give up everything before rejoining; cooperative ones only what moves to d.
      const largestRevocation = [a, b].map((m, i) =>
        Math.max(0, ...m.revocations.slice(revocationsBefore[i]).map((r) => r.length)),
      );
      if (cooperative) expect(largestRevocation).toEqual([1, 1]);
      else expect(largestRevocation).toEqual(ownedBefore);
      for (const m of [a, b, d]) expect(m.owned).toHaveLength(2);
      expect(await ownersOnBroker(groupId)).toEqual(ownersSeenByMembers([a, b, d]));
    });
  });
}

describe('static members against a real broker', () => {
  it('a static member bouncing within the session timeout gets its partitions back without a rebalance, and the instance it replaced is fenced', async () => {
    const suffix = `static-${Date.now()}`;
    const topic = `group-it-${suffix}`;
    const groupId = `group-it-${suffix}`;
    const range = () => new RangeAssignor();
    await createTopic(testCluster(), { topic, partitions: PARTITIONS });

    const first = startMember('first', groupId, topic, range, 'instance-1');
    const other = startMember('other', groupId, topic, range, 'instance-2');
    await waitForBalance([first, other], topic);
    const generation = other.member.generation().generationId;
    const partitionsOfInstance1 = first.owned;
    const otherEvents = other.log.length;

    // The process holding instance-1 stops without LeaveGroup (static members never send it) and a
    // new one takes its place well within the session timeout.
    await first.stop();
    const second = startMember('second', groupId, topic, range, 'instance-1');
    await waitForBalance([second, other], topic);
    expect(second.owned).toEqual(partitionsOfInstance1);
    expect(second.member.generation().generationId).toBe(generation);
    expect(other.member.generation().generationId).toBe(generation);
    expect(other.log.slice(otherEvents)).toEqual([]);
    expect(await ownersOnBroker(groupId)).toEqual(ownersSeenByMembers([second, other]));

    // A third process claims instance-1 while the second still runs: the second is fenced for good.
    const third = startMember('third', groupId, topic, range, 'instance-1');
    const deadline = Date.now() + 30_000;
    while (second.member.state !== 'FATAL' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(second.member.state).toBe('FATAL');
    expect(second.member.fatalError).toBeInstanceOf(FencedInstanceIdError);
    await waitForBalance([third, other], topic);
    expect(third.owned).toEqual(partitionsOfInstance1);
  });
});
