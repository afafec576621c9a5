import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import type { GroupProtocol } from './config.js';
import { Consumer } from './consumer.js';
import { clusterWithGroupTiming, memberTiming } from './test-support/group-timing.js';
import { javaProducer } from './test-support/java-producer.js';
import { until } from './test-support/until.js';

const CHILD = fileURLToPath(new URL('./test-support/group-member-child.mjs', import.meta.url));
const TIMING = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 };

describe.each<GroupProtocol>(['classic', 'consumer'])(
  "A group member killed with SIGKILL (groupProtocol '%s')",
  (protocol) => {
    it('has its partitions reassigned within the session timeout, losing nothing and repeating only past the last commit', async () => {
      const run = randomUUID().slice(0, 8);
      const topic = `kill-${protocol}-${run}`;
      const groupId = `kill-${protocol}-${run}`;
      const { cluster, release } = await clusterWithGroupTiming(testCluster(), protocol, groupId, TIMING);
      const TOTAL = 6000;
      const children: ChildProcess[] = [];
      let own: Consumer | undefined;
      let done: Promise<void> | undefined;
      try {
        await javaProducer(cluster, 'create', 6, topic);
        await javaProducer(cluster, 'produce', TOTAL, topic, 'none');
        const all = Array.from({ length: 6 }, (_, partition) => ({ topic, partition }));
        const config = {
          brokers: cluster.bootstrap,
          groupId,
          autoOffsetReset: 'earliest',
          autoCommit: { intervalMs: 300 },
          maxPartitionFetchBytes: 4_096,
          fetchMaxWaitMs: 100,
          ...memberTiming(protocol, TIMING),
        } as const;

        const deliveries = new Map<string, number>();
        const count = (partition: number, offset: number) => {
          const key = `${partition}:${offset}`;
          deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
        };

        // The member in a child process. Listeners name only the partitions that change (incremental
        // protocols revoke and assign a part), so what it holds is kept as a set.
        const child: ChildProcess = spawn(
          process.execPath,
          [CHILD, JSON.stringify({ ...config, clientId: 'child' }), topic],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        children.push(child);
        const childPartitions = new Set<number>();
        let childRecords = 0;
        let pending = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          pending += chunk.toString();
          const lines = pending.split('\n');
          pending = lines.pop()!;
          for (const line of lines) {
            const [kind, a, b] = line.split(' ');
            const partitions = a ? a.split(',').map(Number) : [];
            if (kind === 'record') {
              count(Number(a), Number(b));
              childRecords++;
            } else if (kind === 'assigned') for (const p of partitions) childPartitions.add(p);
            else if (kind === 'revoked' || kind === 'lost')
              for (const p of partitions) childPartitions.delete(p);
          }
        });
        const exited = new Promise((resolve) => child.once('exit', resolve));

        // The child starts slowly (it loads the sources through Vite): had this process joined at once,
        // it would have read most of the topic alone, and on a loaded machine left the child too few
        // records to reach 300 (the wait below then ran its full 90 s). So the child reads first.
        await until(
          'partitions and 300 records processed in the child',
          () => childPartitions.size > 0 && childRecords >= 300,
          90_000,
        );

        // The member in this process.
        const ownAssignedAt = new Map<number, number>();
        own = new Consumer({ ...config, clientId: 'parent' });
        own.subscribe([topic], {
          onAssigned: (partitions) => {
            for (const p of partitions) ownAssignedAt.set(p.partition, Date.now());
          },
          onRevoked: (partitions) => {
            for (const p of partitions) ownAssignedAt.delete(p.partition);
          },
          onLost: (partitions) => {
            for (const p of partitions) ownAssignedAt.delete(p.partition);
          },
        });
        done = own.run({
          eachBatch: async (batch) => {
            for (const r of batch.records) count(r.partition, r.offset);
            await sleep(40);
          },
        });

        await until(
          'partitions held by both members',
          () => childPartitions.size > 0 && ownAssignedAt.size > 0,
          90_000,
        );
        const killedPartitions = [...childPartitions];
        child.kill('SIGKILL');
        const killedAt = Date.now();
        await exited;
        const committedAtKill = await own.committed(all);

        while (!killedPartitions.every((p) => ownAssignedAt.has(p)) && Date.now() < killedAt + 60_000)
          await sleep(100);
        const takeover =
          Math.max(...killedPartitions.map((p) => ownAssignedAt.get(p) ?? Number.POSITIVE_INFINITY)) -
          killedAt;
        expect(takeover).toBeLessThan(TIMING.sessionTimeoutMs + 5_000);

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
        for (const child of children)
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await own?.close({ timeoutMs: 10_000 });
        await done;
        await release();
      }
    });
  },
);
