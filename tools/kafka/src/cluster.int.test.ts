import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_BROKER_JVM_OPTIONS, startKafka } from './cluster.js';
import { KafkaToolError } from './errors.js';
import { runJava } from './java.js';
import { portAccepts } from './ports.js';
import { createTopic, getEndOffsets, producePerf } from './tools.js';

/** The one-letter state of a process in /proc (R, S, T for stopped...). */
function processState(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.charAt(0);
}

/**
 * The process state once it settles: a JVM's threads each take the stop or continue signal in turn,
 * so on a busy machine the process still reads 'R' or 'S' for a moment after SIGSTOP.
 */
async function settledState(pid: number, expected: (state: string) => boolean): Promise<string> {
  const deadline = Date.now() + 5_000;
  let state = processState(pid);
  while (!expected(state) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    state = processState(pid);
  }
  return state;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The log of node 1 of the one cluster under `parentDir`; '' until there is one. */
async function nodeLog(parentDir: string): Promise<string> {
  const [cluster] = await readdir(parentDir);
  const file = cluster === undefined ? undefined : join(parentDir, cluster, 'node-1', 'server.log');
  return file !== undefined && existsSync(file) ? readFileSync(file, 'utf8') : '';
}

describe('a cluster of its own', () => {
  let parentDir: string;
  beforeAll(async () => {
    parentDir = await mkdtemp(join(tmpdir(), 'runnel-own-'));
  });
  afterAll(() => rm(parentDir, { recursive: true, force: true }));

  it('brings a stopped node back on the same port with its data, and removes everything on stop', async () => {
    const cluster = await startKafka({ parentDir });
    try {
      const [broker] = cluster.brokers;
      await createTopic(cluster, { topic: 'kept', partitions: 2 });
      await producePerf(cluster, { topic: 'kept', numRecords: 300, recordSize: 10 });
      const firstPid = cluster.pid(1)!;

      await cluster.stopNode(1);
      expect(cluster.isRunning(1)).toBe(false);
      expect(alive(firstPid)).toBe(false);
      expect(await portAccepts(broker!.port)).toBe(false);

      await cluster.startNode(1);
      expect(cluster.isRunning(1)).toBe(true);
      expect(cluster.pid(1)).not.toBe(firstPid);
      expect(await portAccepts(broker!.port)).toBe(true);
      const offsets = await getEndOffsets(cluster, 'kept');
      expect([...offsets.values()].reduce((a, b) => a + b, 0n)).toBe(300n);
    } finally {
      const pid = cluster.pid(1);
      await cluster.stop();
      if (pid !== undefined) expect(alive(pid)).toBe(false);
    }
    expect(existsSync(cluster.dir)).toBe(false);
    expect(() => cluster.logTail(1)).not.toThrow();
  });

  it('kills, freezes and thaws a node, and advertises the EXTERNAL listener at the asked port', async () => {
    const cluster = await startKafka({ parentDir, externalListener: { advertisedPorts: [7] } });
    try {
      const external = cluster.external![0]!;
      expect(external.nodeId).toBe(1);
      expect(external.port).not.toBe(cluster.brokers[0]!.port);
      // Bootstrapping through EXTERNAL, the broker advertises the asked port (a proxy's, in the suite).
      const api = await runJava({
        version: cluster.version,
        mainClass: cluster.version.startsWith('3.')
          ? 'kafka.admin.BrokerApiVersionsCommand'
          : 'org.apache.kafka.tools.BrokerApiVersionsCommand',
        args: ['--bootstrap-server', `${external.host}:${external.port}`],
        timeoutMs: 60_000,
      });
      expect(api.stdout).toMatch(/^127\.0\.0\.1:7 \(id: 1 rack: null/m);

      const pid = cluster.pid(1)!;
      cluster.pauseNode(1);
      expect(await settledState(pid, (state) => state === 'T')).toBe('T');
      expect(cluster.isRunning(1)).toBe(true);
      cluster.resumeNode(1);
      expect(await settledState(pid, (state) => state !== 'T')).not.toBe('T');

      await cluster.killNode(1);
      expect(alive(pid)).toBe(false);
      expect(cluster.isRunning(1)).toBe(false);
      await cluster.startNode(1);
      expect(await portAccepts(external.port)).toBe(true);

      // A frozen node still stops: it is thawed before SIGTERM.
      const frozen = cluster.pid(1)!;
      cluster.pauseNode(1);
      await cluster.stopNode(1);
      expect(alive(frozen)).toBe(false);
    } finally {
      await cluster.stop();
    }
  });

  it('fails with the reason and the log tail when a broker JVM exits during startup, leaving nothing behind', async () => {
    const error = await startKafka({ parentDir, jvmOptions: ['-Xmx1m'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaToolError);
    const { code, message } = error as KafkaToolError;
    expect(code).toBe('ERR_KAFKA_NOT_READY');
    expect(message.split('\n')[0]).toMatch(
      /^Kafka \d+\.\d+\.\d+ node 1 \(port \d+\) exited with code 1 before it was ready; last log lines:$/,
    );
    expect(message).toMatch(/heap/i);
    expect(await readdir(parentDir)).toEqual([]);
  });

  it('starts a broker JVM once more when it exits during its first start', async () => {
    // The JVM reads its flags from a pipe, opened once per start: the first start reads an unknown
    // option and exits with code 1, the second reads nothing and starts. The second write waits until
    // the first JVM has said it gives up, so that it cannot reach the first JVM still reading.
    const pipeDir = await mkdtemp(join(tmpdir(), 'runnel-flags-'));
    const flags = join(pipeDir, 'flags');
    execFileSync('mkfifo', [flags]);
    const feed = (async () => {
      await writeFile(flags, '+NoSuchRunnelFlag\n');
      while (!(await nodeLog(parentDir)).includes('Could not create the Java Virtual Machine')) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await writeFile(flags, '');
    })();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const cluster = await startKafka({
        parentDir,
        jvmOptions: [...DEFAULT_BROKER_JVM_OPTIONS, `-XX:Flags=${flags}`],
      }).catch((error: unknown) => {
        // Let a writer still waiting for a reader go.
        closeSync(openSync(flags, constants.O_RDONLY | constants.O_NONBLOCK));
        throw error;
      });
      try {
        await feed;
        expect(cluster.isRunning(1)).toBe(true);
        expect(await portAccepts(cluster.brokers[0]!.port)).toBe(true);
      } finally {
        await cluster.stop();
      }
      const printed = stderr.mock.calls.map(([chunk]) => String(chunk)).join('');
      expect(printed).toMatch(
        /node 1 \(port \d+\) exited with code 1 before it was ready; last log lines:\n[\s\S]*NoSuchRunnelFlag[\s\S]*\nstarting node 1 once more\n/,
      );
    } finally {
      stderr.mockRestore();
      await rm(pipeDir, { recursive: true, force: true });
    }
    expect(await readdir(parentDir)).toEqual([]);
  });

  it('fails when the cluster is not ready in time, leaving nothing behind', async () => {
    const error = await startKafka({ parentDir, readyTimeoutMs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaToolError);
    expect((error as KafkaToolError).message.split('\n')[0]).toMatch(
      /node 1 \(port \d+\) was not ready within 1 ms/,
    );
    expect(await readdir(parentDir)).toEqual([]);
  });
});
