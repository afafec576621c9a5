/**
 * Benchmark: Runnel's `cooperative-sticky` assignor against Java's `CooperativeStickyAssignor`
 * (Kafka 4.4.0) on the same input: 1,000 members, 10,000 partitions (100 topics x 100), every member
 * subscribed to every topic, 950 members returning with their previous partitions, 50 new members,
 * and the partitions of 50 departed members unowned.
 *
 * Both sides are timed in-process after warm-up (Java: `System.nanoTime()` around `assign()` in the
 * JVM; Node: `performance.now()` around `assign()`). Rounds alternate Java and Node, so that load on
 * the machine hits both alike; the result is the median of each side's per-round medians.
 *
 * Run: `pnpm turbo run build --filter @runnel/bench-app... && node apps/bench/dist/assignors/cooperative-sticky.js`
 * Needs `java`/`javac` and the Kafka 4.4.0 jars: from `@runnel/kafka-local` when it is resolvable,
 * else from the directory in `RUNNEL_KAFKA_LIB`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CooperativeStickyAssignor,
  type GroupSubscription,
  type MemberSubscription,
} from '@runnel/assignors';

const KAFKA_VERSION = '4.4.0';
const MEMBERS = 1000;
const TOPICS = 100;
const PARTITIONS_PER_TOPIC = 100;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
// The JVM needs a few hundred runs before C2 has compiled the assignor; Node's JIT settles sooner,
// but both get the same counts.
const WARMUP = Number(process.env.WARMUP ?? 200);
const ITERATIONS = Number(process.env.ITERATIONS ?? 30);

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const harnessSource = join(repoRoot, 'packages/assignors/test-java/AssignorHarness.java');

/** The benchmark input (deterministic). */
function benchmarkGroup(): GroupSubscription {
  const topics = Array.from({ length: TOPICS }, (_, t) => ({
    topic: `topic-${String(t).padStart(3, '0')}`,
    partitions: Array.from({ length: PARTITIONS_PER_TOPIC }, (_, partition) => ({ partition })),
  }));
  const topicNames = topics.map((t) => t.topic);
  // The previous generation had 1,000 members; the last 50 left and 50 new ones joined.
  const previousMembers = 1000;
  const owned: { topic: string; partition: number }[][] = Array.from({ length: previousMembers }, () => []);
  let i = 0;
  for (const t of topics)
    for (const p of t.partitions)
      owned[i++ % previousMembers]!.push({ topic: t.topic, partition: p.partition });
  const members: MemberSubscription[] = [];
  for (let m = 0; m < MEMBERS; m++) {
    const returning = m < 950;
    members.push({
      memberId: `consumer-${m}-${((m * 2654435761) >>> 0).toString(16)}`,
      topics: topicNames,
      ownedPartitions: returning ? owned[m]! : [],
      generationId: returning ? 41 : -1,
      userData: null,
    });
  }
  return { members, topics };
}

async function kafkaLibDir(): Promise<string> {
  try {
    const local = (await import('@runnel/kafka-local' as string)) as {
      ensureKafkaJars(v: string): Promise<string>;
    };
    return await local.ensureKafkaJars(KAFKA_VERSION);
  } catch (cause) {
    const dir = process.env.RUNNEL_KAFKA_LIB;
    if (dir) return dir;
    throw new Error('Kafka jars not found: make @runnel/kafka-local resolvable or set RUNNEL_KAFKA_LIB', {
      cause,
    });
  }
}

function run(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0)
    throw new Error(`${command} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  return result.stdout;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const group = benchmarkGroup();
  const lib = await kafkaLibDir();
  const classes = mkdtempSync(join(tmpdir(), 'runnel-assignor-bench-'));
  const classpath = `${classes}:${join(lib, '*')}`;
  run('javac', ['-d', classes, '-cp', join(lib, '*'), harnessSource]);
  const javaInput = JSON.stringify({
    bench: { warmup: WARMUP, iterations: ITERATIONS },
    cases: [{ assignor: 'cooperative-sticky', topics: group.topics, members: group.members }],
  });

  const javaMedians: number[] = [];
  const nodeMedians: number[] = [];
  const javaMins: number[] = [];
  const nodeMins: number[] = [];
  let checksum = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // SerialGC: the machine has two cores, and Node collects on its main thread too.
    const out = run(
      'java',
      ['-Xms1g', '-Xmx1g', '-XX:+UseSerialGC', '-Dlog4j2.level=OFF', '-cp', classpath, 'AssignorHarness'],
      javaInput,
    );
    const parsed = JSON.parse(out.slice(out.lastIndexOf('@@RESULT@@') + '@@RESULT@@'.length)) as {
      nanos: number[];
    }[];
    javaMedians.push(median(parsed[0]!.nanos) / 1e6);
    javaMins.push(Math.min(...parsed[0]!.nanos) / 1e6);

    const times: number[] = [];
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      const start = performance.now();
      const assignment = new CooperativeStickyAssignor().assign(group);
      const elapsed = performance.now() - start;
      checksum += assignment.size;
      if (i >= WARMUP) times.push(elapsed);
    }
    nodeMedians.push(median(times));
    nodeMins.push(Math.min(...times));
    console.error(
      `round ${round + 1}: java ${javaMedians[round]!.toFixed(2)} ms, node ${nodeMedians[round]!.toFixed(2)} ms`,
    );
  }
  const java = median(javaMedians);
  const node = median(nodeMedians);
  console.log(
    JSON.stringify({
      benchmark: 'cooperative-sticky 1000 members x 10000 partitions',
      kafkaVersion: KAFKA_VERSION,
      rounds: ROUNDS,
      warmup: WARMUP,
      iterations: ITERATIONS,
      javaMedianMs: Number(java.toFixed(3)),
      nodeMedianMs: Number(node.toFixed(3)),
      nodeOverJava: Number((node / java).toFixed(3)),
      javaMinMs: Number(Math.min(...javaMins).toFixed(3)),
      nodeMinMs: Number(Math.min(...nodeMins).toFixed(3)),
      checksum,
    }),
  );
}

await main();
