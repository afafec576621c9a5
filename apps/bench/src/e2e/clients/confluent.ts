/**
 * The @confluentinc/kafka-javascript (librdkafka) client of the end-to-end benchmark, through its
 * KafkaJS-compatible API, the one its documentation leads users to: group subscription from the
 * earliest offset, auto-commit off, read_uncommitted (librdkafka's default is read_committed), the
 * shared fetch sizes in librdkafka's names. `eachBatch` hands out at most 32 messages unless
 * `js.consumer.max.batch.size` says otherwise; -1 hands out everything fetched, as node-rdkafka's
 * `consume(n)` batches do.
 */
import { finish, loadPeer, main, readSpec, sizeOf, Tally, watchdog } from './child.js';

/** The little of the package's API this program uses. */
interface Confluent {
  KafkaJS: {
    Kafka: new (
      config: Record<string, unknown>,
    ) => { consumer(config: Record<string, unknown>): ConfluentConsumer };
    logLevel: { NOTHING: number };
  };
}
interface ConfluentConsumer {
  connect(): Promise<void>;
  subscribe(options: { topics: string[] }): Promise<void>;
  run(options: {
    eachBatch: (payload: { batch: { messages: { key: unknown; value: unknown }[] } }) => Promise<void>;
  }): Promise<void>;
  disconnect(): Promise<void>;
}

main(async () => {
  const spec = readSpec();
  const loaded = await loadPeer<{ default: Confluent }>(spec, '@confluentinc/kafka-javascript');
  const { Kafka, logLevel } = loaded.default.KafkaJS;
  const tally = new Tally(spec.records);
  const cancel = watchdog(spec.timeoutMs, tally);
  const kafka = new Kafka({
    kafkaJS: { clientId: 'confluent-bench', brokers: spec.brokers.split(','), logLevel: logLevel.NOTHING },
  });
  const consumer = kafka.consumer({
    kafkaJS: { groupId: spec.groupId, fromBeginning: true, autoCommit: false },
    'isolation.level': 'read_uncommitted',
    'fetch.max.bytes': spec.fetch.fetchMaxBytes,
    'max.partition.fetch.bytes': spec.fetch.maxPartitionFetchBytes,
    'fetch.min.bytes': spec.fetch.fetchMinBytes,
    'fetch.wait.max.ms': spec.fetch.fetchMaxWaitMs,
    'js.consumer.max.batch.size': -1,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [spec.topic] });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        let bytes = 0;
        for (const message of batch.messages) bytes += sizeOf(message.key) + sizeOf(message.value);
        if (tally.add(batch.messages.length, bytes)) resolve();
      },
    });
  });
  cancel();
  await finish(tally.report('confluent-kafka-javascript'), () => consumer.disconnect());
});
