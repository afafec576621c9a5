/**
 * A Runnel consumer that speaks the event protocol of Kafka's `VerifiableConsumer` (the system tests'
 * tool): it takes the same options and prints the same JSON events on stdout, one per line, so a
 * harness can run it side by side with the Java tool and check the group's behaviour.
 *
 *   node dist/verifiable-consumer.js --bootstrap-server H:P --topic T --group-id G
 *     [--group-protocol classic|consumer] [--group-remote-assignor NAME] [--group-instance-id ID]
 *     [--max-messages N] [--session-timeout MS] [--close-timeout MS] [--enable-autocommit]
 *     [--reset-policy earliest|latest|none] [--verbose]
 *     [--assignment-strategy org.apache.kafka.clients.consumer.RangeAssignor]
 *     [--consumer.config FILE | --command-config FILE]
 *     [--stats-interval-ms MS] [--log-level debug|info|warn|error] [--seek-back-every N]
 *     [--pause-every N] [--pause-ms MS]
 *
 * The properties file is a Java consumer's (see `consumerConfigFromProperties` of @runnel/consumer
 * for the keys it maps); the options replace its values. Without --enable-autocommit it commits after each batch, as the Java
 * tool commits after each poll. SIGTERM or SIGINT closes the consumer (commit, leave) and prints
 * `shutdown_complete`. The Runnel-only options print events of their own beside Kafka's (see
 * `verifiable-consumer-probes.ts`).
 */
import { readFileSync } from 'node:fs';
import { ConfigError, Consumer, type TopicPartition } from '@runnel/consumer';
import { parseVerifiableConsumerArgs } from './verifiable-consumer-options.js';
import { eventLogger, seekAndPause, startProcessStats } from './verifiable-consumer-probes.js';

function emit(name: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ timestamp: Date.now(), name, ...fields })}\n`);
}

const partitionList = (partitions: readonly TopicPartition[]) =>
  partitions.map((p) => ({ topic: p.topic, partition: p.partition }));

async function main(): Promise<void> {
  const options = parseVerifiableConsumerArgs(process.argv.slice(2), (path) => readFileSync(path, 'utf8'));
  const { maxMessages, autoCommit, verbose } = options;
  const logger = eventLogger(emit, options.probes.logLevel);
  const consumer = new Consumer(logger === undefined ? options.config : { ...options.config, logger });
  const stopStats = startProcessStats(emit, options.probes.statsIntervalMs);
  const afterBatch = seekAndPause(consumer, emit, options.probes);
  consumer.subscribe([options.topic], {
    onAssigned: (partitions) => emit('partitions_assigned', { partitions: partitionList(partitions) }),
    onRevoked: (partitions) => emit('partitions_revoked', { partitions: partitionList(partitions) }),
    onLost: (partitions) => emit('partitions_lost', { partitions: partitionList(partitions) }),
  });
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  emit('startup_complete');

  let consumed = 0;
  try {
    await consumer.run({
      signal: stop.signal,
      eachBatch: async (batch) => {
        if (verbose) {
          for (const r of batch.records) {
            emit('record_data', {
              topic: r.topic,
              partition: r.partition,
              offset: r.offset,
              key: r.key === null ? null : Buffer.from(r.key).toString(),
              value: r.value === null ? null : Buffer.from(r.value).toString(),
            });
          }
        }
        emit('records_consumed', {
          count: batch.records.length,
          partitions: [
            {
              topic: batch.topic,
              partition: batch.partition,
              count: batch.records.length,
              minOffset: batch.firstOffset,
              maxOffset: batch.lastOffset,
            },
          ],
        });
        consumed += batch.records.length;
        if (!autoCommit) {
          const offsets = [{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset }];
          // The leader epoch of the last record goes with the commit (the event keeps Kafka's shape), so
          // that the partition's next owner can check it against the log (KIP-320) and find a
          // truncation instead of meeting an offset out of range.
          const leaderEpoch = batch.records.at(-1)?.leaderEpoch ?? -1;
          try {
            await consumer.commit([{ ...offsets[0]!, leaderEpoch }]);
            emit('offsets_committed', { offsets, success: true });
          } catch (error) {
            emit('offsets_committed', { offsets, success: false, error: (error as Error).message });
          }
        }
        afterBatch?.(batch);
        if (maxMessages >= 0 && consumed >= maxMessages) stop.abort();
      },
    });
  } finally {
    await consumer.close({ timeoutMs: options.closeTimeoutMs });
    stopStats();
    emit('shutdown_complete');
  }
}

main().catch((error: unknown) => {
  // A refused option or property is the user's to fix: its message says which; anything else is a bug.
  const text = error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error));
  process.stderr.write(`verifiable-consumer: ${text}\n`);
  process.exitCode = 1;
});
