/**
 * The node-rdkafka (librdkafka) client of the end-to-end benchmark: group subscription from the
 * earliest offset, auto-commit off, read_uncommitted (librdkafka's default is read_committed), the
 * shared fetch sizes in librdkafka's names. Records are taken in batches with `consume(n)`, the
 * binding's fastest path.
 */
import { finish, loadPeer, main, readSpec, sizeOf, Tally, watchdog } from './child.js';

/** The little of node-rdkafka's API this program uses. */
interface NodeRdkafka {
  KafkaConsumer: new (global: Record<string, unknown>, topic: Record<string, unknown>) => RdkafkaConsumer;
}
interface RdkafkaConsumer {
  connect(options: Record<string, unknown>, callback: (error: Error | null) => void): void;
  subscribe(topics: string[]): void;
  setDefaultConsumeTimeout(ms: number): void;
  consume(
    count: number,
    callback: (error: Error | null, messages: { key: unknown; value: unknown }[]) => void,
  ): void;
  disconnect(callback: () => void): void;
}

const BATCH = 10_000;

main(async () => {
  const spec = readSpec();
  const loaded = await loadPeer<{ default: NodeRdkafka }>(spec, 'node-rdkafka');
  const tally = new Tally(spec.records);
  const cancel = watchdog(spec.timeoutMs, tally);
  const consumer = new loaded.default.KafkaConsumer(
    {
      'bootstrap.servers': spec.brokers,
      'client.id': 'rdkafka-bench',
      'group.id': spec.groupId,
      'enable.auto.commit': false,
      'isolation.level': 'read_uncommitted',
      'fetch.max.bytes': spec.fetch.fetchMaxBytes,
      'max.partition.fetch.bytes': spec.fetch.maxPartitionFetchBytes,
      'fetch.min.bytes': spec.fetch.fetchMinBytes,
      'fetch.wait.max.ms': spec.fetch.fetchMaxWaitMs,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) =>
    consumer.connect({}, (error) => (error ? reject(error) : resolve())),
  );
  consumer.subscribe([spec.topic]);
  consumer.setDefaultConsumeTimeout(100);
  while (!tally.done()) {
    const messages = await new Promise<{ key: unknown; value: unknown }[]>((resolve, reject) =>
      consumer.consume(BATCH, (error, batch) => (error ? reject(error) : resolve(batch))),
    );
    let bytes = 0;
    for (const message of messages) bytes += sizeOf(message.key) + sizeOf(message.value);
    tally.add(messages.length, bytes);
  }
  cancel();
  await finish(
    tally.report('node-rdkafka'),
    () => new Promise<void>((resolve) => consumer.disconnect(resolve)),
  );
});
