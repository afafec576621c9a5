/**
 * A KafkaJS program that touches every part of the consumer API's types. The type test compiles it
 * as it is (against this package) and with its import changed to 'kafkajs': both must compile.
 */
import {
  type Batch,
  type Consumer,
  type ConsumerConfig,
  type EachBatchPayload,
  type EachMessagePayload,
  type GroupDescription,
  Kafka,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  type KafkaMessage,
  type LogEntry,
  logLevel,
  type TopicPartitionOffsetAndMetadata,
} from '../index.js';

export async function program(): Promise<void> {
  const lines: LogEntry[] = [];
  const kafka = new Kafka({
    clientId: 'app',
    brokers: async () => ['localhost:9092'],
    ssl: { rejectUnauthorized: false },
    sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
    connectionTimeout: 3_000,
    requestTimeout: 25_000,
    retry: { initialRetryTime: 100, retries: 8 },
    logLevel: logLevel.ERROR,
    logCreator: () => (entry) => void lines.push(entry),
  });
  const config: ConsumerConfig = {
    groupId: 'g',
    sessionTimeout: 30_000,
    rebalanceTimeout: 60_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: 1_048_576,
    minBytes: 1,
    maxBytes: 10_485_760,
    maxWaitTimeInMs: 500,
    allowAutoTopicCreation: false,
    readUncommitted: false,
    rackId: 'r1',
  };
  const consumer: Consumer = kafka.consumer(config);
  const removers = [
    consumer.on(consumer.events.GROUP_JOIN, (e) =>
      console.log(e.payload.memberAssignment, e.payload.groupId),
    ),
    consumer.on(consumer.events.COMMIT_OFFSETS, (e) =>
      console.log(e.payload.topics[0]?.partitions[0]?.offset),
    ),
    consumer.on(consumer.events.CRASH, (e) => console.log(e.payload.error.message, e.payload.restart)),
    consumer.on(consumer.events.START_BATCH_PROCESS, (e) => console.log(e.payload.firstOffset)),
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => console.log(e.payload.duration)),
    consumer.on(consumer.events.REBALANCING, (e) => console.log(e.payload.memberId)),
    consumer.on(consumer.events.STOP, () => {}),
    consumer.on(consumer.events.DISCONNECT, () => {}),
  ];
  await consumer.connect();
  await consumer.subscribe({ topics: ['a', /^b-.*/], fromBeginning: true });
  await consumer.subscribe({ topic: 'c' });
  const onMessage = async ({ topic, partition, message, heartbeat, pause }: EachMessagePayload) => {
    const m: KafkaMessage = message;
    const text: string | undefined = m.value?.toString('utf8');
    const header = m.headers?.['trace-id'];
    console.log(topic, partition, m.offset, m.timestamp, m.key?.length, text, header?.toString());
    await heartbeat();
    if (text === 'stop') setTimeout(pause(), 1_000);
  };
  const onBatch = async (payload: EachBatchPayload) => {
    const batch: Batch = payload.batch;
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale()) break;
      payload.resolveOffset(message.offset);
      await payload.heartbeat();
    }
    console.log(
      batch.highWatermark,
      batch.offsetLag(),
      batch.offsetLagLow(),
      batch.firstOffset(),
      batch.isEmpty(),
    );
    console.log(payload.uncommittedOffsets().topics);
    await payload.commitOffsetsIfNecessary();
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: 0, offset: '1' }] }],
    });
  };
  await consumer.run({ eachMessage: onMessage, autoCommit: false, partitionsConsumedConcurrently: 2 });
  await consumer.run({
    eachBatch: onBatch,
    eachBatchAutoResolve: false,
    autoCommitInterval: 5_000,
    autoCommitThreshold: 100,
  });
  const offsets: TopicPartitionOffsetAndMetadata[] = [
    { topic: 'a', partition: 0, offset: '42', metadata: null },
  ];
  await consumer.commitOffsets(offsets);
  consumer.seek({ topic: 'a', partition: 0, offset: '0' });
  consumer.pause([{ topic: 'a' }, { topic: 'b', partitions: [1] }]);
  console.log(consumer.paused()[0]?.partitions);
  consumer.resume([{ topic: 'a' }]);
  const group: GroupDescription = await consumer.describeGroup();
  console.log(group.state, group.members[0]?.memberId, group.protocol);
  consumer.logger().info('done', { extra: 1 });
  try {
    await consumer.stop();
  } catch (error) {
    if (error instanceof KafkaJSProtocolError) console.log(error.type, error.code, error.retriable);
    else if (error instanceof KafkaJSNumberOfRetriesExceeded) console.log(error.retryCount);
    else if (error instanceof KafkaJSNonRetriableError || error instanceof KafkaJSError)
      console.log(error.name);
  }
  for (const remove of removers) remove();
  await consumer.disconnect();
}
