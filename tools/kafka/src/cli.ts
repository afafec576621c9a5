import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type KafkaClusterInfo, startKafka } from './cluster.js';
import { KafkaToolError } from './errors.js';
import { ensureKafkaJars } from './jars.js';
import { readState, removeState, runningPids, stopDetachedCluster, writeState } from './state.js';
import { createTopic, producePerf } from './tools.js';
import { resolveKafkaVersion } from './versions.js';
import { parseBootstrap, parseNodeCount } from './vitest-global-setup.js';

const USAGE = `usage: kafka <command>
  start [--version V] [--nodes 1|3] [--port P]   start a cluster in the background; prints KAFKA_BROKERS=...
  stop                                           stop the cluster started by 'start'
  status                                         say whether it runs, and where
  create-topic T --partitions N [--replication-factor R]
  fill T --records N [--size S] [--compression C]
Commands other than start/stop/status use KAFKA_BROKERS when set, else the started cluster.`;

/** Output sinks, injectable so tests can read what the CLI prints. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function positiveInt(name: string, text: string | undefined, fallback?: number): number {
  if (text === undefined) {
    if (fallback !== undefined) return fallback;
    throw new KafkaToolError(`--${name} is required`);
  }
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new KafkaToolError(`--${name} must be a positive integer, not ${JSON.stringify(text)}`);
  }
  return value;
}

function parse(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new KafkaToolError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
}

async function targetCluster(): Promise<KafkaClusterInfo> {
  const state = readState();
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    const version =
      state?.bootstrap === external ? state.version : resolveKafkaVersion(process.env.KAFKA_VERSION);
    return {
      bootstrap: external,
      brokers: parseBootstrap(external),
      version,
      libDir: await ensureKafkaJars(version),
    };
  }
  if (state === undefined || runningPids(state).length === 0) {
    throw new KafkaToolError("no Kafka is running: run 'kafka start' or set KAFKA_BROKERS");
  }
  return state;
}

function topicArg(positionals: readonly string[], command: string): string {
  const topic = positionals[1];
  if (topic === undefined || positionals.length > 2)
    throw new KafkaToolError(`usage: kafka ${command} TOPIC ...`);
  return topic;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const command = argv[0];
  switch (command) {
    case 'start': {
      const { values, positionals } = parse(argv, {
        version: { type: 'string' },
        nodes: { type: 'string' },
        port: { type: 'string' },
      });
      if (positionals.length > 1)
        throw new KafkaToolError(`unexpected argument ${JSON.stringify(positionals[1])}`);
      const version = resolveKafkaVersion(values.version as string | undefined);
      const nodes = parseNodeCount(values.nodes as string | undefined);
      const port = values.port === undefined ? undefined : positiveInt('port', values.port as string);
      const existing = readState();
      if (existing !== undefined && runningPids(existing).length > 0) {
        throw new KafkaToolError(`Kafka is already running at ${existing.bootstrap}: run 'kafka stop' first`);
      }
      const cluster = await startKafka({
        version,
        nodes,
        ...(port === undefined ? {} : { port }),
        detached: true,
      });
      await writeState({
        clusterId: cluster.clusterId,
        version: cluster.version,
        libDir: cluster.libDir,
        bootstrap: cluster.bootstrap,
        brokers: cluster.brokers,
        dir: cluster.dir,
        nodes: cluster.brokers.map((b) => ({ nodeId: b.nodeId, pid: cluster.pid(b.nodeId) ?? -1 })),
        startedAt: new Date().toISOString(),
      });
      io.out(`KAFKA_BROKERS=${cluster.bootstrap}`);
      return 0;
    }
    case 'stop': {
      const state = readState();
      if (state === undefined) {
        io.err('no Kafka started by this tool is running');
        return 0;
      }
      const stopped = await stopDetachedCluster(state);
      await removeState();
      io.err(`stopped Kafka ${state.version} at ${state.bootstrap} (${stopped} JVM(s) were running)`);
      return 0;
    }
    case 'status': {
      const state = readState();
      const pids = state === undefined ? [] : runningPids(state);
      if (state === undefined || pids.length === 0) {
        io.out('stopped');
        return 3;
      }
      io.out(
        `running Kafka ${state.version}, ${pids.length}/${state.nodes.length} node(s), pids ${pids.join(',')}`,
      );
      io.out(`KAFKA_BROKERS=${state.bootstrap}`);
      return 0;
    }
    case 'create-topic': {
      const { values, positionals } = parse(argv, {
        partitions: { type: 'string' },
        'replication-factor': { type: 'string' },
      });
      const topic = topicArg(positionals, command);
      const partitions = positiveInt('partitions', values.partitions as string | undefined);
      const replicationFactor = positiveInt('replication-factor', values['replication-factor'] as string, 1);
      await createTopic(await targetCluster(), { topic, partitions, replicationFactor });
      io.err(`created topic ${topic} with ${partitions} partition(s)`);
      return 0;
    }
    case 'fill': {
      const { values, positionals } = parse(argv, {
        records: { type: 'string' },
        size: { type: 'string' },
        compression: { type: 'string' },
      });
      const topic = topicArg(positionals, command);
      const numRecords = positiveInt('records', values.records as string | undefined);
      const recordSize = positiveInt('size', values.size as string | undefined, 100);
      const compression = values.compression as string | undefined;
      const summary = await producePerf(await targetCluster(), {
        topic,
        numRecords,
        recordSize,
        ...(compression === undefined ? {} : { compression }),
      });
      io.out(
        `${summary.records} records sent to ${topic}, ${summary.recordsPerSec.toFixed(0)} records/s (${summary.mbPerSec} MB/s)`,
      );
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.out(USAGE);
      return command === undefined ? 1 : 0;
    default:
      throw new KafkaToolError(
        `unknown command ${JSON.stringify(command)}: use start, stop, status, create-topic or fill`,
      );
  }
}

/**
 * Runs the `kafka` command line.
 *
 * @returns the exit status: 0 on success, 1 on bad input or a failure (one error line on stderr;
 *   a broker that did not start adds its last log lines), 3 for `status` when nothing runs.
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof KafkaToolError) {
      io.err(`kafka: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
