/**
 * Kafka's own Java producer and admin client writing the records Runnel's integration tests read back
 * (`java/RunnelTestProducer.java`, compiled once per Kafka version and source text): the consumer's
 * tests and the examples' mixed-group test use it alike.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileJava } from './java.js';
import { kafkaCacheDir } from './paths.js';
import type { TestKafkaCluster } from './test-cluster.js';

const SOURCE = fileURLToPath(new URL('../java/RunnelTestProducer.java', import.meta.url));
const compiled = new Map<string, Promise<string>>();

/**
 * Compiles RunnelTestProducer once per Kafka version and source text, into the version's cache dir.
 * @returns the class directory.
 */
function classes(version: string): Promise<string> {
  let dir = compiled.get(version);
  if (!dir) {
    const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 12);
    const outDir = join(kafkaCacheDir(version), 'consumer-test-java', hash);
    dir = existsSync(join(outDir, 'RunnelTestProducer.class'))
      ? Promise.resolve(outDir)
      : compileJava({ version, sources: [SOURCE], outDir }).then(() => outDir);
    compiled.set(version, dir);
  }
  return dir;
}

/** What RunnelTestProducer reported. */
export interface JavaProducerResult {
  /** The count on its `done` line. */
  readonly count: number;
  /** Per topic, records acknowledged per partition (`produce` only). */
  readonly acked: Map<string, Map<number, number>>;
}

/**
 * Runs one command of RunnelTestProducer (Kafka's Java producer and admin client) against the cluster:
 * `create PARTITIONS TOPIC...`, `produce COUNT (TOPIC CODEC)...`, `big TOPIC SIZE COUNT`,
 * `keyed TOPIC COUNT KEYS` or
 * `transactions TOPIC TXNS PER_TXN` (see the Java source).
 * @returns the count it printed and the acknowledged records per topic and partition.
 * @throws Error when the program fails.
 */
export async function javaProducer(
  cluster: Pick<TestKafkaCluster, 'bootstrap' | 'version' | 'runJava'>,
  command: string,
  ...args: (string | number)[]
): Promise<JavaProducerResult> {
  const classDir = await classes(cluster.version);
  const result = await cluster.runJava(
    'RunnelTestProducer',
    [command, cluster.bootstrap, ...args.map(String)],
    {
      classpath: [classDir],
      timeoutMs: 180_000,
    },
  );
  const match = /^done \S+ (\d+)$/m.exec(result.stdout);
  if (result.code !== 0 || !match) {
    throw new Error(
      `RunnelTestProducer ${command} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr.slice(-3000)}`,
    );
  }
  const acked = new Map<string, Map<number, number>>();
  for (const line of result.stdout.matchAll(/^acked (\S+)((?: \d+=\d+)*)$/gm)) {
    const counts = new Map<number, number>();
    for (const pair of line[2]!.trim().split(' ').filter(Boolean)) {
      const [p, n] = pair.split('=');
      counts.set(Number(p), Number(n));
    }
    acked.set(line[1]!, counts);
  }
  return { count: Number(match[1]), acked };
}
