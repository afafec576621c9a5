import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, type KafkaCluster, producePerf, startKafka } from '@runnel/kafka-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireFreshBuild, startCli } from './test-support/run-cli.js';

const TOPIC = 'cli-stall';
const RECORDS = 20_000;

let kafka: KafkaCluster;

beforeAll(async () => {
  requireFreshBuild();
  // A broker of its own: the test freezes it.
  kafka = await startKafka();
  await createTopic(kafka, { topic: TOPIC, partitions: 1 });
  expect((await producePerf(kafka, { topic: TOPIC, numRecords: RECORDS, recordSize: 100 })).records).toBe(
    RECORDS,
  );
}, 240_000);

afterAll(async () => {
  const pid = kafka?.pid(kafka.brokers[0]!.nodeId);
  if (pid !== undefined) process.kill(pid, 'SIGCONT');
  await kafka?.stop();
}, 60_000);

describe('a broker that stops answering while records are read', () => {
  it('ends consume with exit 1 and one line once no position moved for --timeout', async () => {
    // Small fetches, so that reading the topic takes many round trips.
    const config = join(tmpdir(), `runnel-cli-stall-${process.pid}.properties`);
    writeFileSync(config, 'max.partition.fetch.bytes=2048\nfetch.max.bytes=2048\n');
    const cli = startCli([
      'consume',
      TOPIC,
      '-b',
      kafka.bootstrap,
      '--config',
      config,
      '--timeout',
      '3000',
      '-f',
      '%o\n',
    ]);
    await cli.waitForOutput(/^100\n/m);
    const pid = kafka.pid(kafka.brokers[0]!.nodeId)!;
    process.kill(pid, 'SIGSTOP');
    const frozenAt = performance.now();
    const r = await cli.done;
    process.kill(pid, 'SIGCONT');
    expect(r.code).toBe(1);
    const printed = r.stdout.split('\n').filter((l) => l !== '');
    expect(printed.length).toBeGreaterThan(100);
    expect(printed.length).toBeLessThan(RECORDS);
    expect(r.stderr).toMatch(new RegExp(`^runnel: reading ${TOPIC} did not finish within 3000 ms`));
    expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    // The limit, one tick, and the consumer's close (bounded by --timeout as well).
    expect(performance.now() - frozenAt).toBeLessThan(3000 + 3000 + 2000);
  });
});
