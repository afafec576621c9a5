/**
 * A KafkaJS program, unchanged but for its import: it runs on KafkaJS (`from 'kafkajs'`) and on Runnel
 * (`from '@runnel/kafkajs'`). It reads a topic in a group with `eachMessage` and manual commits,
 * pauses a partition for a moment, seeks back once to read ten records again, listens to events, and
 * prints one JSON line of what it saw before disconnecting.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 TOPIC=orders EXPECTED=200 node dist/kafkajs-orders.js
 */
import { type EachMessagePayload, Kafka, logLevel } from '@runnel/kafkajs';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const topic = process.env.TOPIC ?? 'orders';
const expected = Number(process.env.EXPECTED ?? '100');
const groupId = process.env.GROUP_ID ?? 'orders-app';

const kafka = new Kafka({ clientId: 'orders-app', brokers, logLevel: logLevel.WARN });
const consumer = kafka.consumer({
  groupId,
  maxWaitTimeInMs: 200,
  sessionTimeout: 10_000,
  heartbeatInterval: 1_000,
});

const seen = new Set<string>();
let deliveries = 0;
let commitEvents = 0;
let joins = 0;
let paused = false;
let sought = false;
let batches = 0;
const last = new Map<number, number>();

consumer.on(consumer.events.GROUP_JOIN, () => {
  joins++;
});
consumer.on(consumer.events.COMMIT_OFFSETS, (event) => {
  commitEvents += event.payload.topics.length > 0 ? 1 : 0;
});
consumer.on(consumer.events.END_BATCH_PROCESS, () => {
  batches++;
});

let finish: () => void = () => {};
const finished = new Promise<void>((resolve) => {
  finish = resolve;
});

async function handle({ topic: t, partition, message, pause }: EachMessagePayload): Promise<void> {
  const offset = Number(message.offset);
  deliveries++;
  seen.add(`${partition}:${message.offset}`);
  last.set(partition, Math.max(last.get(partition) ?? -1, offset));
  if (partition === 0 && offset === 5 && !paused) {
    // Hold this partition for a moment; the message is processed, the rest of the batch comes after resume.
    paused = true;
    const resume = pause();
    setTimeout(resume, 300);
  }
  if (partition === 0 && offset === 19 && !sought) {
    // Read offsets 10..19 of partition 0 once more.
    sought = true;
    consumer.seek({ topic: t, partition, offset: '10' });
    return;
  }
  if (offset % 10 === 9) {
    await consumer.commitOffsets([{ topic: t, partition, offset: String(offset + 1) }]);
  }
  if (seen.size === expected) finish();
}

await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
await consumer.run({ autoCommit: false, eachMessage: handle });
await finished;
await consumer.stop();
// The offsets after the last records, so that the group's lag ends at 0.
await consumer.commitOffsets(
  [...last].map(([partition, offset]) => ({ topic, partition, offset: String(offset + 1) })),
);
console.log(
  JSON.stringify({ distinct: seen.size, deliveries, commitEvents, joins, batches, paused, sought }),
);
await consumer.disconnect();
