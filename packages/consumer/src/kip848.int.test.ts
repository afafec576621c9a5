import { randomUUID } from 'node:crypto';
import { createTopic, producePerf } from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import { committedTotal, type RebalanceCall, runJoinLeaveScenario } from './test-support/group-scenario.js';

const key = (p: { topic: string; partition: number }) => `${p.topic}-${p.partition}`;

describe("Consumer groups under groupProtocol 'consumer' (KIP-848)", () => {
  it('shares 6 partitions among 3 members started and stopped one by one, consuming every record exactly once and never revoking a partition from a member that keeps it', async () => {
    const cluster = testCluster();
    const run = randomUUID().slice(0, 8);
    const topic = `kip848-${run}`;
    const groupId = `kip848-${run}`;
    const TOTAL = 6000;
    await createTopic(cluster, { topic, partitions: 6 });
    const produced = await producePerf(cluster, { topic, numRecords: TOTAL, recordSize: 64 });
    expect(produced.records).toBe(TOTAL);

    const { seen, calls } = await runJoinLeaveScenario({
      cluster,
      topic,
      groupId,
      total: TOTAL,
      config: { groupProtocol: 'consumer' },
      // The broker's default heartbeat interval is 5 s: a member learns of a new target only that often.
      stepMs: 6_000,
    });

    expect(seen.size).toBe(TOTAL);
    expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
    expect(calls.filter((call) => call.kind === 'lost')).toEqual([]);
    const assigned = calls.filter((call) => call.kind === 'assigned' && call.partitions.length > 0);
    expect([...new Set(assigned.map((call) => call.member))].sort()).toEqual(['a', 'b', 'c']);

    // While members join, a member gives up only partitions that move to another member: what it
    // revokes it never gets back, and what it keeps it never revokes (no eager revoke-all).
    const joining = calls.filter((call) => call.phase === 'joining');
    for (const member of ['a', 'b', 'c']) {
      const own = joining.filter((call) => call.member === member);
      const revoked = new Set(own.filter((c) => c.kind === 'revoked').flatMap((c) => c.partitions.map(key)));
      const reassigned = own
        .filter((c, i) => c.kind === 'assigned' && own.slice(0, i).some((r) => r.kind === 'revoked'))
        .flatMap((c) => c.partitions.map(key));
      expect(reassigned.filter((p) => revoked.has(p))).toEqual([]);
    }
    // Every revocation while joining keeps part of what the member held: no eager revoke-all.
    expect(keptAtEachRevocation(joining).filter((kept) => kept === 0)).toEqual([]);
    expect(joining.some((c) => c.kind === 'revoked')).toBe(true);

    expect(await committedTotal(cluster, groupId, topic, 6)).toBe(TOTAL);
  });
});

/** @returns for each revocation in `calls`, how many partitions the member kept (replaying `calls` in order). */
function keptAtEachRevocation(calls: readonly RebalanceCall[]): number[] {
  const owned = new Map<string, Set<string>>();
  const kept: number[] = [];
  for (const call of calls) {
    const mine = owned.get(call.member) ?? new Set<string>();
    owned.set(call.member, mine);
    if (call.kind === 'assigned') {
      for (const p of call.partitions) mine.add(key(p));
    } else {
      for (const p of call.partitions) mine.delete(key(p));
      if (call.kind === 'revoked') kept.push(mine.size);
    }
  }
  return kept;
}
