import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type KafkaCluster, startKafka } from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { javaProducer } from './test-support/java-producer.js';
import { startUserProgram, type UserEvent, type UserProcess } from './test-support/user-process.js';

// User programs (plain `node` on the built packages) against a broker of this file's own that the
// tests stop and start: the program must live through every outage, resume, and lose nothing.
let cluster: KafkaCluster;
let kafka: Parameters<typeof javaProducer>[0];
const programs: UserProcess[] = [];

beforeAll(async () => {
  cluster = await startKafka({ version: testCluster().version });
  kafka = { bootstrap: cluster.bootstrap, version: cluster.version, runJava: testCluster().runJava };
});

afterAll(async () => {
  await cluster?.stop();
});

afterEach(async () => {
  await Promise.all(programs.splice(0).map((p) => p.stop()));
  if (!cluster.isRunning(1)) await cluster.startNode(1);
});

function start(args: Record<string, unknown>): UserProcess {
  const program = startUserProgram('consume-child.mjs', {
    ...args,
    config: { brokers: cluster.bootstrap, reconnectBackoffMaxMs: 500, ...(args.config as object) },
  });
  programs.push(program);
  return program;
}

/** @returns every `partition:offset` the program printed, in order, repeats included. */
function delivered(program: UserProcess): string[] {
  return program
    .eventsOf('records')
    .flatMap((e: UserEvent) => (e.offsets as number[]).map((o) => `${e.partition}:${o}`));
}

async function recordsSeen(program: UserProcess, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (new Set(delivered(program)).size < count) {
    if (!program.running) throw new Error(`the program exited early\n${program.report()}`);
    if (Date.now() > deadline)
      throw new Error(`fewer than ${count} records in ${timeoutMs} ms\n${program.report()}`);
    await sleep(200);
  }
}

/** Waits for the program to read all it was asked to, close and end with code 0. */
async function finishes(program: UserProcess): Promise<void> {
  await program.waitFor((e) => e.event === 'done', 120_000, 'the end of consumption');
  expect((await program.exited).code, program.report()).toBe(0);
}

async function topicWith(partitions: number, records: number): Promise<string> {
  const topic = `outage-${randomUUID().slice(0, 8)}`;
  await javaProducer(kafka, 'create', partitions, topic);
  await javaProducer(kafka, 'produce', records, topic, 'none');
  return topic;
}

describe('a consumer program across broker outages', () => {
  it('stays alive while the bootstrap broker is down at start, then consumes once it starts', async () => {
    const topic = await topicWith(2, 200);
    await cluster.stopNode(1);
    const program = start({
      config: { groupId: `g-${topic}`, autoOffsetReset: 'earliest' },
      subscribe: [topic],
      stopAfter: 200,
    });
    await program.waitFor((e) => e.event === 'ready', 20_000, 'ready');
    await sleep(5_000);
    expect(program.running, program.report()).toBe(true);
    expect(program.eventsOf('log').some((e) => e.msg === 'cannot connect to broker')).toBe(true);
    await cluster.startNode(1);
    await finishes(program);
    expect(new Set(delivered(program)).size).toBe(200);
  });

  it('survives a broker restart mid-consumption and resumes with what was produced after it', async () => {
    const topic = await topicWith(2, 100);
    const program = start({
      config: { groupId: `g-${topic}`, autoOffsetReset: 'earliest', autoCommit: { intervalMs: 200 } },
      subscribe: [topic],
      stopAfter: 200,
    });
    await recordsSeen(program, 100, 90_000);
    await cluster.stopNode(1);
    await sleep(2_000);
    expect(program.running, program.report()).toBe(true);
    await cluster.startNode(1);
    await javaProducer(kafka, 'produce', 100, topic, 'none');
    await finishes(program);
    expect(new Set(delivered(program)).size).toBe(200);
  });

  it('survives the whole cluster down for 30 s and goes on from where it was: no offset reset', async () => {
    const topic = await topicWith(1, 100);
    const program = start({
      config: { autoOffsetReset: 'earliest' },
      assign: [{ topic, partition: 0 }],
      stopAfter: 200,
      healthEveryMs: 1_000,
    });
    await recordsSeen(program, 100, 90_000);
    await cluster.stopNode(1);
    const stoppedAt = Date.now();
    await sleep(30_000);
    expect(program.running, program.report()).toBe(true);
    const health = program.eventsOf('health').at(-1)!;
    // Within 5 s of the stop: the first failed reconnect (reconnectBackoffMaxMs 500) marks the outage.
    expect(health.allBrokersDownSince as number, program.timeline(stoppedAt - 2_000)).toBeLessThan(
      stoppedAt + 5_000,
    );
    await cluster.startNode(1);
    await javaProducer(kafka, 'produce', 100, topic, 'none');
    await finishes(program);
    // A reset to the log start would hand out 0..99 again; to the end, skip records.
    expect(delivered(program)).toEqual(Array.from({ length: 200 }, (_, i) => `0:${i}`));
    expect(program.eventsOf('log').filter((e) => /reset/.test(String(e.msg)))).toEqual([]);
  });

  it('closes with everything down within the close timeout and exits by itself, code 0', async () => {
    const topic = await topicWith(1, 50);
    const program = start({
      config: { groupId: `g-${topic}`, autoOffsetReset: 'earliest', autoCommit: { intervalMs: 200 } },
      subscribe: [topic],
      closeTimeoutMs: 5_000,
    });
    await recordsSeen(program, 50, 90_000);
    await cluster.stopNode(1);
    await sleep(1_000);
    const exit = await program.terminate();
    expect(exit.code, program.report()).toBe(0);
    expect(exit.afterMs).toBeLessThan(5_000 + 2_000);
    expect(program.eventsOf('closed')).toHaveLength(1);
  });
});
