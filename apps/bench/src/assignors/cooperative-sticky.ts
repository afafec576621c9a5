/**
 * Benchmark: Runnel's `cooperative-sticky` assignor against Java's `CooperativeStickyAssignor`
 * (of `@runnel/kafka-local`'s default Kafka version) on the same input: 1,000 members, 10,000 partitions (100 topics x 100), every member
 * subscribed to every topic, 950 members returning with their previous partitions, 50 new members,
 * and the partitions of 50 departed members unowned.
 *
 * Both sides are timed in-process after warm-up (Java: `System.nanoTime()` around `assign()` in the
 * JVM; Node: `performance.now()` around `assign()`). Rounds alternate Java and Node, so that load on
 * the machine hits both alike; the result is the median of each side's per-round medians.
 *
 * Run: `pnpm turbo run build --filter @runnel/bench-app... && node apps/bench/dist/assignors/cooperative-sticky.js`
 * Needs `java`/`javac`; the Kafka jars and Java's side (`runJavaAssignors`) come from `@runnel/kafka-local`.
 */
import {
  CooperativeStickyAssignor,
  type GroupSubscription,
  type MemberSubscription,
} from '@runnel/assignors';
import { DEFAULT_KAFKA_VERSION, runJavaAssignors } from '@runnel/kafka-local';

const MEMBERS = 1000;
const TOPICS = 100;
const PARTITIONS_PER_TOPIC = 100;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
// The JVM needs a few hundred runs before C2 has compiled the assignor; Node's JIT settles sooner,
// but both get the same counts.
const WARMUP = Number(process.env.WARMUP ?? 200);
const ITERATIONS = Number(process.env.ITERATIONS ?? 30);

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

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const group = benchmarkGroup();
  const javaInput = {
    bench: { warmup: WARMUP, iterations: ITERATIONS },
    cases: [{ assignor: 'cooperative-sticky', topics: group.topics, members: group.members }],
  };

  const javaMedians: number[] = [];
  const nodeMedians: number[] = [];
  const javaMins: number[] = [];
  const nodeMins: number[] = [];
  let checksum = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // SerialGC: the machine has two cores, and Node collects on its main thread too.
    const [result] = await runJavaAssignors(javaInput, {
      jvmOptions: ['-Xms1g', '-Xmx1g', '-XX:+UseSerialGC', '-Dlog4j2.level=OFF'],
    });
    if (result === undefined || !('nanos' in result))
      throw new Error(`Java answered ${JSON.stringify(result)}`);
    javaMedians.push(median(result.nanos) / 1e6);
    javaMins.push(Math.min(...result.nanos) / 1e6);

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
      kafkaVersion: DEFAULT_KAFKA_VERSION,
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
