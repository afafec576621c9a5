import type { TestProject } from 'vitest/node';
import { type KafkaCluster, startKafka } from './cluster.js';
import { KafkaToolError } from './errors.js';
import { ensureKafkaJars } from './jars.js';
import { readState } from './state.js';
import type { ProvidedKafkaCluster } from './test-cluster.js';
import { resolveKafkaVersion } from './versions.js';

/**
 * Parses a bootstrap list (`host:port,host:port`) into brokers numbered from 1 in list order (the
 * real node ids are not known without asking the cluster).
 *
 * @throws KafkaToolError on an entry that is not `host:port`.
 */
export function parseBootstrap(bootstrap: string): ProvidedKafkaCluster['brokers'] {
  return bootstrap
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry, i) => {
      const match = /^(.+):(\d{1,5})$/.exec(entry);
      const port = Number(match?.[2]);
      if (match === null || port < 1 || port > 65535) {
        throw new KafkaToolError(`KAFKA_BROKERS entry ${JSON.stringify(entry)} is not host:port`);
      }
      return { nodeId: i + 1, host: match[1]!, port };
    });
}

/**
 * Parses `KAFKA_NODES`.
 *
 * @returns 1 or 3 (1 when unset).
 * @throws KafkaToolError on anything else.
 */
export function parseNodeCount(text: string | undefined): 1 | 3 {
  const value = text?.trim() ?? '';
  if (value === '' || value === '1') return 1;
  if (value === '3') return 3;
  throw new KafkaToolError(`KAFKA_NODES must be 1 or 3, not ${JSON.stringify(text)}`);
}

/**
 * Vitest global setup of the integration project: uses the brokers in `KAFKA_BROKERS` when set
 * (their version is the one `pnpm kafka start` recorded, else `KAFKA_VERSION`), otherwise starts a
 * cluster (`KAFKA_VERSION` alias, `KAFKA_NODES` 1 or 3) and stops it in teardown. Tests read it
 * with `testCluster()` from `@runnel/kafka-local/vitest`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    const state = readState();
    const version =
      state !== undefined && state.bootstrap === external
        ? state.version
        : resolveKafkaVersion(process.env.KAFKA_VERSION);
    const provided: ProvidedKafkaCluster = {
      bootstrap: external,
      brokers: state?.bootstrap === external ? state.brokers : parseBootstrap(external),
      version,
      libDir: await ensureKafkaJars(version),
      external: true,
    };
    project.provide('runnelKafka', provided);
    return async () => {};
  }
  const started = Date.now();
  const cluster: KafkaCluster = await startKafka({
    version: resolveKafkaVersion(process.env.KAFKA_VERSION),
    nodes: parseNodeCount(process.env.KAFKA_NODES),
  });
  process.stderr.write(
    `[kafka] Kafka ${cluster.version} with ${cluster.brokers.length} node(s) ready at ${cluster.bootstrap} in ${Date.now() - started} ms\n`,
  );
  project.provide('runnelKafka', {
    bootstrap: cluster.bootstrap,
    brokers: cluster.brokers,
    version: cluster.version,
    libDir: cluster.libDir,
    external: false,
  });
  return () => cluster.stop();
}
