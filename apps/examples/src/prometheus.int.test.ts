import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { javaProducer } from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { afterEach, describe, expect, it } from 'vitest';

/** This app's own build: the test runs it as a user would, with plain `node`. */
const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/prometheus.js');

/** @returns a TCP port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** @returns the value of each sample of `metric` whose labels include every one of `labels`. */
function samples(body: string, metric: string, labels: Record<string, string>): number[] {
  return body
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
}

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

describe('the Prometheus example', () => {
  it('serves the consumer lag per partition and the records consumed, and exits cleanly on SIGTERM', async () => {
    const cluster = testCluster();
    const topic = `prometheus-${randomUUID().slice(0, 8)}`;
    await javaProducer(cluster, 'create', 2, topic);
    await javaProducer(cluster, 'produce', 300, topic, 'none');
    const port = await freePort();
    let stdout = '';
    child = spawn(process.execPath, [EXAMPLE], {
      env: { ...process.env, KAFKA_BROKERS: cluster.bootstrap, TOPIC: topic, METRICS_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((done) => child!.once('exit', (code) => done(code)));

    let body = '';
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      body = await fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      const consumed = samples(body, 'messaging_client_consumed_messages_total', {
        messaging_destination_name: topic,
      });
      if (consumed.reduce((a, b) => a + b, 0) >= 300 && samples(body, 'runnel_consumer_lag', {}).length === 2)
        break;
      await sleep(500);
    }
    expect(
      samples(body, 'messaging_client_consumed_messages_total', { messaging_destination_name: topic }).reduce(
        (a, b) => a + b,
        0,
      ),
    ).toBe(300);
    for (const partition of ['0', '1'])
      expect(
        samples(body, 'runnel_consumer_lag', {
          messaging_destination_name: topic,
          messaging_destination_partition_id: partition,
        }),
      ).toEqual([0]);
    expect(body).toContain('# TYPE runnel_consumer_lag gauge');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('read 300 records');
  });
});
