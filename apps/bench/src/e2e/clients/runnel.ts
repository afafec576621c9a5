/**
 * The Runnel client of the end-to-end benchmark: reads from the earliest offset with auto-commit off,
 * read_uncommitted and the shared fetch settings, and counts key and value bytes of every record. The
 * run spec's `variant` says whether it subscribes in a group or assigns every partition by hand, and
 * which consumer options go over the shared ones (e.g. `groupProtocol`). It loads @runnel/consumer at
 * run time, through the small slice of its public API declared below, so the suite still builds (and
 * reports Runnel "not available") while the consumer package is unbuilt or mid-change.
 *
 * `runnel.js --probe [module]` only loads the package: exit 0, or the reason on stderr and exit 1.
 */
import { finish, main, readSpec, sizeOf, Tally, watchdog } from './child.js';

/** The part of @runnel/consumer's API this program uses. */
export interface RunnelConsumerModule {
  Consumer: new (config: Record<string, unknown>) => RunnelConsumer;
}
interface RunnelConsumer {
  subscribe(topics: readonly string[]): void;
  assign(partitions: readonly { topic: string; partition: number }[]): void;
  batches(): AsyncIterableIterator<{ readonly records: readonly { key: unknown; value: unknown }[] }>;
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/**
 * Loads @runnel/consumer as built (`module`: from another build, a file URL of its dist/index.js).
 *
 * @returns the module, or why it cannot be used.
 */
export async function loadRunnel(
  module = '@runnel/consumer',
): Promise<RunnelConsumerModule | { reason: string }> {
  let loaded: Partial<RunnelConsumerModule>;
  try {
    loaded = (await import(module)) as unknown as Partial<RunnelConsumerModule>;
  } catch (error) {
    return { reason: `@runnel/consumer does not load: ${(error as Error).message}` };
  }
  if (typeof loaded.Consumer !== 'function') {
    return { reason: '@runnel/consumer has no Consumer export yet (unbuilt, or not written yet)' };
  }
  return loaded as RunnelConsumerModule;
}

if (process.argv[1]?.endsWith('runnel.js') === true && process.argv[2] === '--probe') {
  void loadRunnel(process.argv[3]).then((loaded) => {
    if ('reason' in loaded) process.stderr.write(`${loaded.reason}\n`);
    process.exit('reason' in loaded ? 1 : 0);
  });
} else if (process.argv[1]?.endsWith('runnel.js') === true) {
  main(async () => {
    const spec = readSpec();
    const variant = spec.variant ?? { mode: 'subscribe', config: {} };
    const runnel = await loadRunnel(variant.module);
    if ('reason' in runnel) throw new Error(runnel.reason);
    // The telemetry variant reports to a real OpenTelemetry SDK, as a program with telemetry on would.
    const stopSdk =
      variant.config.telemetry === true ? (await import('./otel-sdk.js')).startOpenTelemetrySdk() : null;
    const tally = new Tally(spec.records);
    const cancel = watchdog(spec.timeoutMs, tally);
    const consumer = new runnel.Consumer({
      brokers: spec.brokers,
      clientId: 'runnel-bench',
      ...(variant.mode === 'subscribe' ? { groupId: spec.groupId } : {}),
      autoCommit: false,
      autoOffsetReset: 'earliest',
      isolationLevel: 'read_uncommitted',
      fetchMaxBytes: spec.fetch.fetchMaxBytes,
      maxPartitionFetchBytes: spec.fetch.maxPartitionFetchBytes,
      fetchMinBytes: spec.fetch.fetchMinBytes,
      fetchMaxWaitMs: spec.fetch.fetchMaxWaitMs,
      ...variant.config,
    });
    if (variant.mode === 'assign') {
      consumer.assign(
        Array.from({ length: spec.partitions }, (_, partition) => ({ topic: spec.topic, partition })),
      );
    } else {
      consumer.subscribe([spec.topic]);
    }
    for await (const batch of consumer.batches()) {
      let bytes = 0;
      for (const record of batch.records) bytes += sizeOf(record.key) + sizeOf(record.value);
      if (tally.add(batch.records.length, bytes)) break;
    }
    cancel();
    await finish(tally.report('runnel'), async () => {
      await consumer.close({ timeoutMs: 5000 });
      await stopSdk?.();
    });
  });
}
