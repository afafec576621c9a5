import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import { javaProducer } from './test-support/java-producer.js';

const CHILD = fileURLToPath(new URL('./test-support/group-member-child.mjs', import.meta.url));

describe('A group member killed with SIGKILL', () => {
  it('has its partitions reassigned within the session timeout, losing nothing and repeating only past the last commit', async () => {
    const cluster = testCluster();
    const run = randomUUID().slice(0, 8);
    const topic = `kill-${run}`;
    const groupId = `kill-${run}`;
    const TOTAL = 6000;
    const SESSION_MS = 6_000;
    await javaProducer(cluster, 'create', 6, topic);
    await javaProducer(cluster, 'produce', TOTAL, topic, 'none');
    const all = Array.from({ length: 6 }, (_, partition) => ({ topic, partition }));
    const config = {
      brokers: cluster.bootstrap,
      groupId,
      autoOffsetReset: 'earliest',
      autoCommit: { intervalMs: 300 },
      sessionTimeoutMs: SESSION_MS,
      heartbeatIntervalMs: 500,
      maxPartitionFetchBytes: 4_096,
      fetchMaxWaitMs: 100,
    } as const;

    const deliveries = new Map<string, number>();
    const count = (partition: number, offset: number) => {
      const key = `${partition}:${offset}`;
      deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
    };

    // The member in a child process.
    const child: ChildProcess = spawn(
      process.execPath,
      [CHILD, JSON.stringify({ ...config, clientId: 'child' }), topic],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let childPartitions: number[] = [];
    let childRecords = 0;
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [kind, a, b] = line.split(' ');
        if (kind === 'record') {
          count(Number(a), Number(b));
          childRecords++;
        } else if (kind === 'assigned') childPartitions = a ? a.split(',').map(Number) : [];
        else if (kind === 'revoked') childPartitions = [];
      }
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));

    // The member in this process.
    let ownAssignedAt = new Map<number, number>();
    const own = new Consumer({ ...config, clientId: 'parent' });
    own.subscribe([topic], {
      onAssigned: (partitions) => {
        for (const p of partitions) ownAssignedAt.set(p.partition, Date.now());
      },
      onRevoked: (partitions) => {
        ownAssignedAt = new Map(
          [...ownAssignedAt].filter(([p]) => !partitions.some((r) => r.partition === p)),
        );
      },
    });
    const done = own.run({
      eachBatch: async (batch) => {
        for (const r of batch.records) count(r.partition, r.offset);
        await sleep(40);
      },
    });

    try {
      // Wait until both members hold partitions and the child has processed some records.
      const ready = Date.now() + 90_000;
      while (
        (childPartitions.length === 0 || ownAssignedAt.size === 0 || childRecords < 300) &&
        Date.now() < ready
      ) {
        await sleep(100);
      }
      expect(childPartitions.length).toBeGreaterThan(0);
      const killedPartitions = [...childPartitions];
      child.kill('SIGKILL');
      const killedAt = Date.now();
      await exited;
      const committedAtKill = await own.committed(all);

      while (!killedPartitions.every((p) => ownAssignedAt.has(p)) && Date.now() < killedAt + 60_000)
        await sleep(100);
      const takeover =
        Math.max(...killedPartitions.map((p) => ownAssignedAt.get(p) ?? Number.POSITIVE_INFINITY)) - killedAt;
      expect(takeover).toBeLessThan(SESSION_MS + 5_000);

      const deadline = Date.now() + 120_000;
      while (deliveries.size < TOTAL && Date.now() < deadline) await sleep(200);
      expect(deliveries.size).toBe(TOTAL);
      const floor = new Map([...committedAtKill].map(([tp, c]) => [tp.partition, c?.offset ?? 0]));
      const repeatedBelowCommit = [...deliveries]
        .filter(([, n]) => n > 1)
        .map(([key]) => key.split(':').map(Number) as [number, number])
        .filter(([partition, offset]) => offset < floor.get(partition)!);
      expect(repeatedBelowCommit).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await own.close({ timeoutMs: 10_000 });
      await done;
    }
  });
});
