import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Consumer } from '@runnel/consumer';
import { javaProducer } from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
/** This app's own build: the program runs as a user would run it, with plain `node`. */
const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');
const PROGRAM = resolve(DIST, 'kafkajs-orders.js');
const TOTAL = 200;

interface Summary {
  distinct: number;
  deliveries: number;
  commitEvents: number;
  joins: number;
  batches: number;
  paused: boolean;
  sought: boolean;
}

async function runProgram(path: string, topic: string, groupId: string): Promise<Summary> {
  const { stdout } = await run(process.execPath, [path], {
    env: {
      ...process.env,
      KAFKA_BROKERS: testCluster().bootstrap,
      TOPIC: topic,
      EXPECTED: String(TOTAL),
      GROUP_ID: groupId,
    },
    timeout: 120_000,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('{"distinct"'));
  if (!line) throw new Error(`no summary in the program's output: ${stdout.slice(-2000)}`);
  return JSON.parse(line) as Summary;
}

async function committedTotal(topic: string, groupId: string): Promise<number> {
  const check = new Consumer({ brokers: testCluster().bootstrap, groupId });
  try {
    const committed = await check.committed([0, 1].map((partition) => ({ topic, partition })));
    return [...committed.values()].reduce((sum, c) => sum + (c?.offset ?? 0), 0);
  } finally {
    await check.close();
  }
}

describe('a KafkaJS program (eachMessage, manual commits, pause/resume, seek, events)', () => {
  const id = randomUUID().slice(0, 8);
  const topic = `kafkajs-orders-${id}`;

  it('runs on @runnel/kafkajs, and on KafkaJS itself with only the import changed, with the same results', async () => {
    await javaProducer(testCluster(), 'create', 2, topic);
    await javaProducer(testCluster(), 'produce', TOTAL, topic, 'none');

    const runnel = await runProgram(PROGRAM, topic, `runnel-${id}`);
    expect(runnel).toMatchObject({ distinct: TOTAL, paused: true, sought: true });
    // Every record once, and offsets 10..19 of partition 0 again after the seek.
    expect(runnel.deliveries).toBe(TOTAL + 10);
    expect(runnel.joins).toBeGreaterThanOrEqual(1);
    expect(runnel.commitEvents).toBeGreaterThan(0);
    expect(runnel.batches).toBeGreaterThan(0);
    expect(await committedTotal(topic, `runnel-${id}`)).toBe(TOTAL);

    // The same program with `from 'kafkajs'`: the import is the only difference.
    const source = await readFile(PROGRAM, 'utf8');
    const kafkajsCopy = resolve(DIST, `kafkajs-orders-original-${id}.js`);
    expect(source).toContain("from '@runnel/kafkajs'");
    await writeFile(kafkajsCopy, source.replace("from '@runnel/kafkajs'", "from 'kafkajs'"));
    try {
      const original = await runProgram(kafkajsCopy, topic, `kafkajs-${id}`);
      expect(original).toMatchObject({ distinct: TOTAL, paused: true, sought: true });
      expect(original.deliveries).toBeGreaterThanOrEqual(TOTAL + 10);
      expect(await committedTotal(topic, `kafkajs-${id}`)).toBe(TOTAL);
    } finally {
      await rm(kafkajsCopy, { force: true });
    }
  });
});
