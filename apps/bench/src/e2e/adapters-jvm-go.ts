import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JVM_MARKER } from '@runnel/kafka-local';
import { BOTH_PHASES, type ClientAdapter } from './client-adapter.js';
import { parseConsumerPerformance } from './java-performance.js';
import { benchCacheDir } from './paths.js';
import { ensureFranzGo, ensureJavaPeer, FRANZ_GO_VERSION } from './peers.js';
import { type ClientRunSpec, parseClientReport } from './spec.js';

/** franz-go, a small Go program (peers/franz-go) built with `go build`. */
export function franzGoAdapter(): ClientAdapter {
  let binary = '';
  return {
    id: 'franz-go',
    label: `franz-go ${FRANZ_GO_VERSION}`,
    checksCrc: true,
    defaultPhases: BOTH_PHASES,
    notes: () => 'Go program in apps/bench/peers/franz-go; PollFetches loop; CRC check on (its default)',
    async prepare({ log }) {
      const built = await ensureFranzGo(log);
      if ('reason' in built) return { available: false, reason: built.reason };
      binary = built.path;
      return { available: true };
    },
    async command(spec) {
      const f = spec.fetch;
      return {
        command: binary,
        args: [
          ...['-brokers', spec.brokers, '-topic', spec.topic, '-group', spec.groupId],
          ...['-records', String(spec.records), '-timeout', `${spec.timeoutMs}ms`],
          ...[
            '-fetch-max-bytes',
            String(f.fetchMaxBytes),
            '-max-partition-fetch-bytes',
            String(f.maxPartitionFetchBytes),
          ],
          ...['-fetch-min-bytes', String(f.fetchMinBytes), '-fetch-max-wait-ms', String(f.fetchMaxWaitMs)],
        ],
      };
    },
    parse: parseClientReport,
  };
}

/**
 * JVM options of Kafka's own `kafka-run-class.sh` for its tools (heap as kafka-consumer-perf-test.sh),
 * and the marker every JVM this project starts carries.
 */
export const JAVA_OPTIONS: readonly string[] = [
  '-Xmx512M',
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
  JVM_MARKER,
];

const JAVA_RUNTIME_NOTE =
  'kafka-clients of the broker version, JVM options as kafka-consumer-perf-test.sh (512 MiB heap, G1)';

/**
 * Kafka's Java consumer in ConsumerPerformance's loop (peers/java/BenchConsumer.java), which also
 * reports the time to the first record.
 */
export function javaAdapter(): ClientAdapter {
  let libDir = '';
  let classDir = '';
  return {
    id: 'java',
    label: 'Java KafkaConsumer',
    checksCrc: true,
    defaultPhases: BOTH_PHASES,
    notes: () =>
      `${JAVA_RUNTIME_NOTE}; apps/bench/peers/java: poll(100 ms) loop as ConsumerPerformance's; ` +
      'receive.buffer.bytes -1 (the OS default, as the other clients; Java would pin 64 KiB); its CPU figure includes the JVM start',
    async prepare({ kafkaLibDir, kafkaVersion, log }) {
      libDir = kafkaLibDir;
      const compiled = await ensureJavaPeer(kafkaVersion, log);
      if ('reason' in compiled) return { available: false, reason: compiled.reason };
      classDir = compiled.dir;
      return { available: true };
    },
    async command(spec: ClientRunSpec) {
      const f = spec.fetch;
      return {
        command: 'java',
        args: [
          ...JAVA_OPTIONS,
          '-cp',
          `${classDir}:${join(libDir, '*')}`,
          'BenchConsumer',
          ...[spec.brokers, spec.topic, spec.groupId, String(spec.records)],
          ...[f.fetchMaxBytes, f.maxPartitionFetchBytes, f.fetchMinBytes, f.fetchMaxWaitMs].map(String),
          String(spec.timeoutMs),
        ],
      };
    },
    parse: parseClientReport,
  };
}

/**
 * Kafka's own `ConsumerPerformance` tool, opt-in (`--clients java-perf`): the reference the Java peer
 * above can be checked against. It reports no time to the first record.
 */
export function javaPerformanceAdapter(): ClientAdapter {
  let libDir = '';
  return {
    id: 'java-perf',
    label: 'Java ConsumerPerformance',
    checksCrc: true,
    defaultPhases: [],
    namedPhases: ['throughput'],
    notes: () =>
      `${JAVA_RUNTIME_NOTE}; its receive buffer is 2 MiB (the tool default); its CPU figure includes the JVM start; ` +
      'the tool reports no time to first record',
    async prepare({ kafkaLibDir }) {
      libDir = kafkaLibDir;
      return { available: true };
    },
    async command(spec) {
      const f = spec.fetch;
      await mkdir(benchCacheDir(), { recursive: true });
      const config = join(benchCacheDir(), `consumer-performance-${process.pid}.properties`);
      await writeFile(
        config,
        [
          'enable.auto.commit=false',
          'auto.offset.reset=earliest',
          'isolation.level=read_uncommitted',
          `fetch.max.bytes=${f.fetchMaxBytes}`,
          `max.partition.fetch.bytes=${f.maxPartitionFetchBytes}`,
          `fetch.min.bytes=${f.fetchMinBytes}`,
          `fetch.max.wait.ms=${f.fetchMaxWaitMs}`,
          '',
        ].join('\n'),
      );
      return {
        command: 'java',
        args: [
          ...JAVA_OPTIONS,
          '-cp',
          join(libDir, '*'),
          'org.apache.kafka.tools.ConsumerPerformance',
          ...['--bootstrap-server', spec.brokers, '--topic', spec.topic, '--group', spec.groupId],
          ...['--num-records', String(spec.records), '--fetch-size', String(f.maxPartitionFetchBytes)],
          ...['--command-config', config, '--timeout', String(spec.timeoutMs)],
        ],
      };
    },
    parse: parseConsumerPerformance,
  };
}
