/**
 * A Runnel share consumer that speaks the event protocol of Kafka's `VerifiableShareConsumer` (the
 * system tests' tool, Kafka 4.4): the same options and the same JSON events on stdout, one per line,
 * so a harness can run it beside the Java tool in one share group and check what each got.
 *
 *   node dist/verifiable-share-consumer.js --bootstrap-server H:P --topic T --group-id G
 *     [--max-messages N] [--verbose] [--acknowledgement-mode auto|sync|async]
 *     [--ack-pattern accept,release,...] [--offset-reset-strategy earliest|latest]
 *     [--command-config FILE]
 *
 * Events: startup_complete, offset_reset_strategy_set, records_consumed (per batch: count and the
 * offsets per partition), record_data (with --verbose), offsets_acknowledged (per acknowledgement
 * answer: the offsets per partition, success, error, and ackTypeCounts under --ack-pattern),
 * shutdown_requested, shutdown_complete. `auto` acknowledges implicitly; `sync` and `async` acknowledge
 * each record (by the pattern, accept by default) and commit after each batch, waiting (`sync`) or not.
 * It stops once --max-messages records were acknowledged, or on SIGTERM/SIGINT (close releases what
 * is held).
 */
import { readFileSync } from 'node:fs';
import { type AcknowledgeType, ConfigError, type ShareBatch, ShareConsumer } from '@runnel/consumer';
import { setShareAutoOffsetReset } from './share-group-config.js';
import { parseVerifiableShareConsumerArgs } from './verifiable-share-consumer-options.js';

function emit(name: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ timestamp: Date.now(), name, ...fields })}\n`);
}

async function main(): Promise<void> {
  const options = parseVerifiableShareConsumerArgs(process.argv.slice(2), (path) =>
    readFileSync(path, 'utf8'),
  );
  const { maxMessages, verbose, ackPattern, acknowledgementMode } = options;
  emit('startup_complete');
  if (options.offsetResetStrategy !== null) {
    await setShareAutoOffsetReset(options.config, options.offsetResetStrategy);
    emit('offset_reset_strategy_set', { offsetResetStrategy: options.offsetResetStrategy });
  }
  const consumer = new ShareConsumer(options.config);
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      emit('shutdown_requested');
      stop.abort();
    });
  }
  // What each offset was acknowledged with, for ackTypeCounts (pattern runs only, as in Java).
  const typeOf = new Map<string, AcknowledgeType>();
  let acknowledged = 0;
  consumer.setAcknowledgementCommitCallback((results) => {
    const partitions = results.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      count: r.offsets.length,
      offsets: r.offsets,
    }));
    const failed = results.find((r) => r.error !== null);
    const count = results.reduce((n, r) => n + r.offsets.length, 0);
    const ackTypeCounts: Record<string, number> = {};
    for (const r of results) {
      for (const o of r.offsets) {
        const type = typeOf.get(`${r.partition}:${o}`);
        typeOf.delete(`${r.partition}:${o}`);
        if (type !== undefined)
          ackTypeCounts[type.toUpperCase()] = (ackTypeCounts[type.toUpperCase()] ?? 0) + 1;
      }
    }
    emit('offsets_acknowledged', {
      count,
      partitions,
      ...(failed ? { error: failed.error!.message } : {}),
      success: failed === undefined,
      ...(ackPattern.length > 0 ? { ackTypeCounts } : {}),
    });
    if (failed === undefined) acknowledged += count;
    if (maxMessages >= 0 && acknowledged >= maxMessages) stop.abort();
  });
  consumer.subscribe([options.topic]);

  const onBatch = async (batch: ShareBatch) => {
    if (verbose) {
      for (const r of batch.records) {
        emit('record_data', {
          key: r.key === null ? null : Buffer.from(r.key).toString(),
          value: r.value === null ? null : Buffer.from(r.value).toString(),
          topic: r.topic,
          partition: r.partition,
          offset: r.offset,
        });
      }
    }
    const offsets = batch.records.map((r) => r.offset);
    emit('records_consumed', {
      count: batch.records.length,
      partitions: [{ topic: batch.topic, partition: batch.partition, count: offsets.length, offsets }],
    });
    if (acknowledgementMode === 'auto') return;
    for (const r of batch.records) {
      const type = ackPattern.length > 0 ? ackPattern[r.offset % ackPattern.length]! : 'accept';
      if (ackPattern.length > 0) typeOf.set(`${r.partition}:${r.offset}`, type);
      consumer.acknowledge(r, type);
    }
    if (acknowledgementMode === 'sync') await consumer.commit();
    else void consumer.commit().catch(() => undefined);
  };
  try {
    await consumer.run({ signal: stop.signal, eachBatch: onBatch });
  } finally {
    await consumer.close();
    emit('shutdown_complete');
  }
}

main().catch((error: unknown) => {
  const text = error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error));
  process.stderr.write(`verifiable-share-consumer: ${text}\n`);
  process.exitCode = 1;
});
