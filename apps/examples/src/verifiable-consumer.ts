/**
 * A Runnel consumer that speaks the event protocol of Kafka's `VerifiableConsumer` (the system tests'
 * tool): it takes the same main options and prints the same JSON events on stdout, one per line, so a
 * harness can run it side by side with the Java tool and check the group's behaviour.
 *
 *   node dist/verifiable-consumer.js --bootstrap-server H:P --topic T --group-id G
 *     [--max-messages N] [--session-timeout MS] [--enable-autocommit] [--reset-policy earliest|latest|none]
 *     [--assignment-strategy org.apache.kafka.clients.consumer.RangeAssignor] [--group-instance-id ID] [--verbose]
 *
 * Without --enable-autocommit it commits after each batch, as the Java tool commits after each poll.
 * SIGTERM or SIGINT closes the consumer (commit, leave) and prints `shutdown_complete`.
 */
import {
  type AutoOffsetReset,
  Consumer,
  CooperativeStickyAssignor,
  type PartitionAssignor,
  RangeAssignor,
  RoundRobinAssignor,
  StickyAssignor,
  type TopicPartition,
} from '@runnel/consumer';

const ASSIGNORS: Record<string, () => PartitionAssignor> = {
  'org.apache.kafka.clients.consumer.RangeAssignor': () => new RangeAssignor(),
  'org.apache.kafka.clients.consumer.RoundRobinAssignor': () => new RoundRobinAssignor(),
  'org.apache.kafka.clients.consumer.StickyAssignor': () => new StickyAssignor(),
  'org.apache.kafka.clients.consumer.CooperativeStickyAssignor': () => new CooperativeStickyAssignor(),
};

function emit(name: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ timestamp: Date.now(), name, ...fields })}\n`);
}

function parseArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const flag = arg === '--enable-autocommit' || arg === '--verbose';
    out.set(arg.slice(2), flag ? 'true' : (argv[++i] ?? ''));
  }
  for (const required of ['bootstrap-server', 'topic', 'group-id']) {
    if (!out.get(required)) throw new Error(`--${required} is required`);
  }
  return out;
}

const partitionList = (partitions: readonly TopicPartition[]) =>
  partitions.map((p) => ({ topic: p.topic, partition: p.partition }));

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const maxMessages = Number(args.get('max-messages') ?? -1);
  const autoCommit = args.has('enable-autocommit');
  const verbose = args.has('verbose');
  const strategy = args.get('assignment-strategy') ?? 'org.apache.kafka.clients.consumer.RangeAssignor';
  const assignors = strategy.split(',').map((name) => {
    const make = ASSIGNORS[name.trim()];
    if (!make) throw new Error(`unknown assignment strategy ${name}`);
    return make();
  });
  const groupProtocol = (args.get('group-protocol') ?? 'classic').toLowerCase();
  if (groupProtocol !== 'classic' && groupProtocol !== 'consumer') {
    throw new Error(`unknown group protocol ${groupProtocol}: use classic or consumer`);
  }
  const consumer = new Consumer({
    brokers: args.get('bootstrap-server')!,
    groupProtocol,
    groupId: args.get('group-id')!,
    ...(args.get('group-instance-id') ? { groupInstanceId: args.get('group-instance-id')! } : {}),
    ...(args.get('session-timeout') ? { sessionTimeoutMs: Number(args.get('session-timeout')) } : {}),
    autoOffsetReset: (args.get('reset-policy') ?? 'earliest') as AutoOffsetReset,
    autoCommit,
    assignors,
  });
  consumer.subscribe([args.get('topic')!], {
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
          try {
            await consumer.commit(offsets);
            emit('offsets_committed', { offsets, success: true });
          } catch (error) {
            emit('offsets_committed', { offsets, success: false, error: (error as Error).message });
          }
        }
        if (maxMessages >= 0 && consumed >= maxMessages) stop.abort();
      },
    });
  } finally {
    await consumer.close();
    emit('shutdown_complete');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`verifiable-consumer: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
