import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  alterGroupConfig,
  DEFAULT_TOOL_JVM_OPTIONS,
  ensureKafkaJars,
  JVM_MARKER,
  javaProducer,
  kafkaVersionProfile,
  requireJdkProgram,
} from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';
import { MemberProcess } from './test-support/member-process.js';

/** This app's own build: the test runs it as a user would, with plain `node`. */
const VERIFIABLE_SHARE_CONSUMER_APP = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../dist/verifiable-share-consumer.js',
);

const SHARE_GROUPS = kafkaVersionProfile(testCluster().version).major >= 4;
if (!SHARE_GROUPS) {
  process.stderr.write(
    `[mixed-share] Kafka ${testCluster().version} has no share groups (KIP-932 came with Kafka 4): the mixed share group tests are skipped\n`,
  );
}

/** @returns every `partition:offset` a member's events list under `name`, with how often. */
function offsetsIn(member: MemberProcess, name: string, onlySuccess = false): Map<string, number> {
  const seen = new Map<string, number>();
  for (const e of member.named(name)) {
    if (onlySuccess && e.success !== true) continue;
    for (const p of e.partitions ?? []) {
      for (const o of p.offsets ?? [])
        seen.set(`${p.partition}:${o}`, (seen.get(`${p.partition}:${o}`) ?? 0) + 1);
    }
  }
  return seen;
}

/** @returns `maps` added up, key by key. */
function merged(...maps: Map<string, number>[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of maps) for (const [k, n] of m) out.set(k, (out.get(k) ?? 0) + n);
  return out;
}

describe.skipIf(!SHARE_GROUPS)(
  "A share group mixing the Runnel verifiable share consumer and Java's VerifiableShareConsumer (skipped on Kafka 3.9: no share groups)",
  () => {
    it.each(['auto', 'sync'])(
      'shares the records (acknowledgement mode %s): both get some, nothing is lost, each is acknowledged once',
      async (mode) => {
        if (!existsSync(VERIFIABLE_SHARE_CONSUMER_APP)) {
          throw new Error(
            `${VERIFIABLE_SHARE_CONSUMER_APP} is missing: run \`pnpm build\` first (this test runs the built app)`,
          );
        }
        const cluster = testCluster();
        const run = randomUUID().slice(0, 8);
        const topic = `mixed-share-${mode}-${run}`;
        const TOTAL = 6000;
        await javaProducer(cluster, 'create', 6, topic);
        // Heartbeats every 500 ms (the group's default is 5 s), so that the group settles in a second or two.
        await alterGroupConfig(cluster, topic, { 'share.heartbeat.interval.ms': 500 });
        const args = [
          '--bootstrap-server',
          cluster.bootstrap,
          '--topic',
          topic,
          '--group-id',
          topic,
          '--offset-reset-strategy',
          'earliest',
          '--acknowledgement-mode',
          mode,
        ];
        const libDir = await ensureKafkaJars(cluster.version);
        const members: MemberProcess[] = [];
        try {
          const runnel = new MemberProcess(
            'Runnel verifiable share consumer',
            spawn(process.execPath, [VERIFIABLE_SHARE_CONSUMER_APP, ...args], {
              stdio: ['ignore', 'pipe', 'pipe'],
            }),
          );
          members.push(runnel);
          await runnel.until(
            'offset_reset_strategy_set',
            () => runnel.named('offset_reset_strategy_set').length > 0,
            60_000,
          );
          const java = new MemberProcess(
            'Java VerifiableShareConsumer',
            spawn(
              requireJdkProgram('java'),
              [
                ...DEFAULT_TOOL_JVM_OPTIONS,
                JVM_MARKER,
                '-cp',
                join(libDir, '*'),
                'org.apache.kafka.tools.VerifiableShareConsumer',
                ...args,
              ],
              { stdio: ['ignore', 'pipe', 'pipe'] },
            ),
          );
          members.push(java);
          await java.until(
            'offset_reset_strategy_set',
            () => java.named('offset_reset_strategy_set').length > 0,
            90_000,
          );
          // Both join before records exist: a few heartbeats of 500 ms settle the group.
          await sleep(3_000);
          const produced = await javaProducer(cluster, 'produce', TOTAL, topic, 'none');
          expect([...(produced.acked.get(topic)?.values() ?? [])].reduce((a, b) => a + b, 0)).toBe(TOTAL);
          const consumed = () =>
            merged(offsetsIn(runnel, 'records_consumed'), offsetsIn(java, 'records_consumed'));
          await runnel.until(
            'every record consumed by one member or the other',
            () => consumed().size >= TOTAL,
            180_000,
          );
          // Acknowledgements of the last records ride on later fetches (auto) or go at once (sync).
          const acked = () =>
            merged(
              offsetsIn(runnel, 'offsets_acknowledged', true),
              offsetsIn(java, 'offsets_acknowledged', true),
            );
          await runnel.until('every record acknowledged', () => acked().size >= TOTAL, 60_000);
          // A JVM that ran its shutdown hooks on SIGTERM exits with 128 + 15.
          expect(await java.stop(60_000)).toBe(143);
          expect(await runnel.stop(60_000)).toBe(0);

          const byRunnel = offsetsIn(runnel, 'records_consumed');
          const byJava = offsetsIn(java, 'records_consumed');
          expect(byRunnel.size).toBeGreaterThan(0);
          expect(byJava.size).toBeGreaterThan(0);
          const all = merged(byRunnel, byJava);
          const missing: string[] = [];
          for (const [partition, count] of produced.acked.get(topic)!) {
            for (let o = 0; o < count; o++)
              if (!all.has(`${partition}:${o}`)) missing.push(`${partition}:${o}`);
          }
          expect(missing).toEqual([]);
          expect(all.size).toBe(TOTAL);
          // With every record accepted and both members up throughout, none is delivered twice.
          expect([...all].filter(([, n]) => n > 1)).toEqual([]);
          expect([...acked()].filter(([, n]) => n > 1)).toEqual([]);
          expect(acked().size).toBe(TOTAL);
          process.stderr.write(
            `[mixed-share ${mode}] Runnel consumed ${byRunnel.size}, Java ${byJava.size} of ${TOTAL}\n`,
          );
        } finally {
          for (const member of members) member.kill();
        }
      },
      300_000,
    );
  },
);
