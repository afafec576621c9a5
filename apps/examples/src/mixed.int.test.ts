import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_TOOL_JVM_OPTIONS,
  ensureKafkaJars,
  JVM_MARKER,
  javaProducer,
  requireJdkProgram,
} from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import { MemberProcess } from './test-support/member-process.js';

/** This app's own build: the test runs it as a user would, with plain `node`. */
const VERIFIABLE_CONSUMER_APP = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../dist/verifiable-consumer.js',
);

const RANGE = 'org.apache.kafka.clients.consumer.RangeAssignor';
const COOPERATIVE = 'org.apache.kafka.clients.consumer.CooperativeStickyAssignor';

/** A member of the group; `gotPartitions` says whether some assignment handed it a partition. */
class Member extends MemberProcess {
  /** @returns whether some `partitions_assigned` event handed this member at least one partition. */
  gotPartitions(): boolean {
    return this.named('partitions_assigned').some((e) => (e.partitions?.length ?? 0) > 0);
  }
}

describe('A group mixing the Runnel verifiable consumer and the Java VerifiableConsumer', () => {
  // Under the consumer protocol (KIP-848) the broker assigns and sets the session timeout: Java's tool
  // refuses --session-timeout there and ignores --assignment-strategy, so neither is passed.
  it.each([
    {
      name: 'range',
      slug: 'range',
      groupArgs: [
        '--group-protocol',
        'classic',
        '--session-timeout',
        '10000',
        '--assignment-strategy',
        RANGE,
      ],
    },
    {
      name: 'cooperative-sticky',
      slug: 'coop',
      groupArgs: [
        '--group-protocol',
        'classic',
        '--session-timeout',
        '10000',
        '--assignment-strategy',
        COOPERATIVE,
      ],
    },
    {
      name: 'the consumer protocol (uniform)',
      slug: 'kip848',
      groupArgs: ['--group-protocol', 'consumer', '--group-remote-assignor', 'uniform'],
    },
  ])(
    'shares partitions under $name: both get some, nothing is lost, nothing is consumed twice on clean stops',
    async ({ slug, groupArgs }) => {
      if (!existsSync(VERIFIABLE_CONSUMER_APP)) {
        throw new Error(
          `${VERIFIABLE_CONSUMER_APP} is missing: run \`pnpm build\` first (this test runs the built app)`,
        );
      }
      const cluster = testCluster();
      const run = randomUUID().slice(0, 8);
      const topic = `mixed-${slug}-${run}`;
      const groupId = `mixed-${slug}-${run}`;
      const TOTAL = 6000;
      await javaProducer(cluster, 'create', 6, topic);

      const common = [
        '--bootstrap-server',
        cluster.bootstrap,
        '--topic',
        topic,
        '--group-id',
        groupId,
        '--reset-policy',
        'earliest',
        ...groupArgs,
      ];
      const libDir = await ensureKafkaJars(cluster.version);
      const members: Member[] = [];
      try {
        const runnel = new Member(
          'Runnel verifiable consumer',
          spawn(process.execPath, [VERIFIABLE_CONSUMER_APP, ...common], {
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
        );
        members.push(runnel);
        await runnel.until('partitions', () => runnel.gotPartitions(), 60_000);

        const java = new Member(
          'Java VerifiableConsumer',
          spawn(
            requireJdkProgram('java'),
            [
              ...DEFAULT_TOOL_JVM_OPTIONS,
              JVM_MARKER,
              '-cp',
              [join(libDir, '*')].join(delimiter),
              'org.apache.kafka.tools.VerifiableConsumer',
              ...common,
            ],
            { stdio: ['ignore', 'pipe', 'pipe'] },
          ),
        );
        members.push(java);
        await java.until('partitions', () => java.gotPartitions(), 90_000);

        // Records are produced once both members hold partitions, so both of them consume.
        const produced = await javaProducer(cluster, 'produce', TOTAL, topic, 'none');
        const acked = produced.acked.get(topic) ?? new Map<number, number>();

        const deliveries = new Map<string, number>();
        const consumedBy = new Map<Member, number>();
        const tally = () => {
          deliveries.clear();
          for (const member of members) {
            let records = 0;
            for (const e of member.named('records_consumed')) {
              for (const p of e.partitions ?? []) {
                expect(p.maxOffset! - p.minOffset! + 1).toBe(p.count);
                for (let o = p.minOffset!; o <= p.maxOffset!; o++) {
                  const key = `${p.partition}:${o}`;
                  deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
                }
                records += p.count!;
              }
            }
            consumedBy.set(member, records);
          }
          return deliveries.size;
        };
        await runnel.until('full coverage', () => tally() >= TOTAL, 120_000);

        // Java stops first, while idle in poll, so its last commit is not cut short; the Runnel
        // member then takes over its partitions and must not read anything again.
        const assignedBefore = runnel.named('partitions_assigned').length;
        // A JVM that ran its shutdown hooks on SIGTERM exits with 128 + 15; shutdown_complete is the clean part.
        expect(await java.stop(60_000)).toBe(143);
        await runnel.until(
          'reassignment after the Java member left',
          () => runnel.named('partitions_assigned').length > assignedBefore,
          60_000,
        );
        await sleep(2_000);
        expect(await runnel.stop(60_000)).toBe(0);

        tally();
        expect(runnel.gotPartitions()).toBe(true);
        expect(java.gotPartitions()).toBe(true);
        expect(consumedBy.get(runnel)).toBeGreaterThan(0);
        expect(consumedBy.get(java)).toBeGreaterThan(0);
        expect([...acked.values()].reduce((a, b) => a + b, 0)).toBe(TOTAL);
        const missing: string[] = [];
        for (const [partition, count] of acked) {
          for (let o = 0; o < count; o++)
            if (!deliveries.has(`${partition}:${o}`)) missing.push(`${partition}:${o}`);
        }
        expect(missing).toEqual([]);
        expect(deliveries.size).toBe(TOTAL);
        expect([...deliveries].filter(([, n]) => n > 1)).toEqual([]);
      } finally {
        for (const member of members) member.kill();
      }
    },
    240_000,
  );
});
