/**
 * The README's first command: start a local Kafka (unless KAFKA_BROKERS names one), fill a demo topic
 * with Kafka's own producer tool, consume it in a group and print what was read.
 */
import { Consumer } from '@runnel/consumer';
import {
  createTopic,
  DEFAULT_KAFKA_VERSION,
  ensureKafkaJars,
  getEndOffsets,
  type KafkaCluster,
  type KafkaClusterInfo,
  producePerf,
  startKafka,
} from '@runnel/kafka-local';

const RECORDS = 10_000;
const PARTITIONS = 3;

function say(line: string): void {
  process.stdout.write(`quickstart: ${line}\n`);
}

async function connect(): Promise<{ cluster: KafkaClusterInfo; started?: KafkaCluster }> {
  const given = process.env.KAFKA_BROKERS;
  if (given) {
    say(`using the cluster in KAFKA_BROKERS (${given})`);
    const version = DEFAULT_KAFKA_VERSION;
    // Kafka's own tools fill the topic, so their jars are needed even for a remote cluster.
    const libDir = await ensureKafkaJars(version);
    const brokers = given.split(',').map((hostPort, i) => {
      const at = hostPort.lastIndexOf(':');
      return { nodeId: i, host: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)) };
    });
    return { cluster: { bootstrap: given, brokers, version, libDir } };
  }
  say(`starting a local Kafka ${DEFAULT_KAFKA_VERSION} (the first start downloads its jars once)...`);
  const started = await startKafka();
  say(`Kafka is up: KAFKA_BROKERS=${started.bootstrap}`);
  return { cluster: started, started };
}

/** Consumes the whole topic in a consumer group, printing progress, then closes the consumer. */
async function consumeAll(bootstrap: string, topic: string, expected: number): Promise<void> {
  const groupId = `${topic}-group`;
  say(`consuming it with Runnel in group ${groupId}...`);
  const consumer = new Consumer({ brokers: bootstrap, groupId, autoOffsetReset: 'earliest' });
  const perPartition = new Map<number, number>();
  let read = 0;
  let firstValue: string | undefined;
  const started = Date.now();
  consumer.subscribe([topic], {
    onAssigned: (partitions) =>
      say(`  assigned ${partitions.map((p) => `${p.topic}-${p.partition}`).join(', ')}`),
  });
  try {
    for await (const batch of consumer) {
      for (const record of batch.records) {
        firstValue ??= Buffer.from(record.value ?? new Uint8Array()).toString('utf8', 0, 40);
        read++;
      }
      perPartition.set(batch.partition, (perPartition.get(batch.partition) ?? 0) + batch.records.length);
      if (read % 2_000 < batch.records.length || read >= expected) say(`  read ${read}/${expected} records`);
      // Leaving the loop marks the last batch processed, so close() commits it.
      if (read >= expected) break;
    }
  } finally {
    await consumer.close({ timeoutMs: 10_000 });
  }
  const seconds = (Date.now() - started) / 1000;
  for (const [partition, count] of [...perPartition].sort((a, b) => a[0] - b[0])) {
    say(`  partition ${partition}: ${count} records`);
  }
  say(`read ${read} records in ${seconds.toFixed(1)} s; the first value starts with "${firstValue ?? ''}"`);
  say('offsets committed and the group left; done');
}

async function main(): Promise<void> {
  const { cluster, started } = await connect();
  const stop = async () => {
    if (started) {
      say('stopping the local Kafka');
      await started.stop();
    }
  };
  process.once('SIGINT', () => {
    void stop().finally(() => process.exit(130));
  });
  try {
    const topic = `runnel-quickstart-${Date.now()}`;
    say(`creating topic ${topic} with ${PARTITIONS} partitions`);
    await createTopic(cluster, { topic, partitions: PARTITIONS });
    say(`filling it with ${RECORDS} records of 100 bytes (Kafka's ProducerPerformance)...`);
    const summary = await producePerf(cluster, { topic, numRecords: RECORDS, recordSize: 100 });
    say(`produced ${summary.records} records at ${Math.round(summary.recordsPerSec)} records/s`);
    const ends = await getEndOffsets(cluster, topic);
    for (const [partition, end] of [...ends].sort((a, b) => a[0] - b[0])) {
      say(`  partition ${partition}: end offset ${end}`);
    }
    const expected = [...ends.values()].reduce((sum, end) => sum + Number(end), 0);
    await consumeAll(cluster.bootstrap, topic, expected);
    say(`the runnel command reads it too: npx runnel consume ${topic} -b ${cluster.bootstrap} -n 5`);
    if (started)
      say('(this Kafka stops now; with KAFKA_BROKERS naming a cluster of your own, the topic stays)');
  } finally {
    await stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`quickstart failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
