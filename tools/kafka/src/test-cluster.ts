import { inject } from 'vitest';
import type { KafkaBroker, KafkaClusterInfo } from './cluster.js';
import { KafkaToolError } from './errors.js';
import type { ProcessResult } from './exec.js';
import { type RunJavaOptions, runJava } from './java.js';

/** What the integration project's global setup hands to every test file. */
export interface ProvidedKafkaCluster extends KafkaClusterInfo {
  readonly brokers: readonly KafkaBroker[];
  /** True when the brokers came from `KAFKA_BROKERS` (started elsewhere, e.g. `pnpm kafka start`). */
  readonly external: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    runnelKafka: ProvidedKafkaCluster | undefined;
  }
}

/** The shared test cluster, plus a shortcut to run Kafka's Java tools against it. */
export interface TestKafkaCluster extends ProvidedKafkaCluster {
  /**
   * Runs a Java main class with this cluster's Kafka jars (see `runJava`); `args` are passed as is,
   * so include `--bootstrap-server` with `bootstrap` where the tool wants it.
   */
  runJava(
    mainClass: string,
    args?: readonly string[],
    options?: Omit<RunJavaOptions, 'version' | 'mainClass' | 'args'>,
  ): Promise<ProcessResult>;
}

/**
 * Returns the Kafka cluster the integration project's global setup started (or found through
 * `KAFKA_BROKERS`). Call it inside a test or hook of a `*.int.test.ts` file. Tests that stop or
 * restart brokers start a cluster of their own with `startKafka` instead.
 *
 * @throws KafkaToolError when no cluster was provided (the test is not in the integration project).
 */
export function testCluster(): TestKafkaCluster {
  const provided = inject('runnelKafka');
  if (provided === undefined) {
    throw new KafkaToolError(
      'no Kafka cluster was provided: run this file as a *.int.test.ts in the vitest "integration" project',
    );
  }
  return {
    ...provided,
    runJava: (mainClass, args = [], options = {}) =>
      runJava({ ...options, version: provided.version, mainClass, args }),
  };
}
