/**
 * The KafkaJS client of the end-to-end benchmark, with the settings every client gets: group
 * subscription from the beginning, auto-commit off, read_uncommitted, the shared fetch sizes.
 * KafkaJS ships no lz4 or zstd codec and its own plugins for them (kafkajs-lz4, @kafkajs/zstd) no
 * longer build on current Node, so this program registers codecs over lz4-napi and zstd-napi, the
 * way a KafkaJS user has to. For snappy it registers KafkaJS's own plugin, kafkajs-snappy (pure JS,
 * xerial framing); gzip is built in.
 *
 * The same program runs a drop-in replacement of KafkaJS: the run spec's `module` names the package
 * it imports (`kafkajs` from the peer dir by default, or e.g. `@runnel/kafkajs` from the workspace),
 * and nothing else changes.
 */
import type { ClientRunSpec } from '../spec.js';
import { finish, loadPeer, main, readSpec, sizeOf, Tally, watchdog } from './child.js';

/** The little of KafkaJS's API this program uses. */
interface KafkaJs {
  Kafka: new (
    config: Record<string, unknown>,
  ) => {
    consumer(config: Record<string, unknown>): KafkaJsConsumer;
  };
  logLevel: { NOTHING: number };
  CompressionTypes?: { LZ4: number; ZSTD: number; Snappy: number };
  CompressionCodecs?: Record<number, () => KafkaJsCodec>;
}
interface KafkaJsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}
interface Lz4Napi {
  compressFrameSync(data: Buffer): Buffer;
  decompressFrameSync(data: Buffer): Buffer;
}
interface ZstdNapi {
  compress(data: Uint8Array): Buffer;
  decompress(data: Uint8Array): Buffer;
}
interface KafkaJsConsumer {
  connect(): Promise<void>;
  subscribe(options: { topics: string[]; fromBeginning: boolean }): Promise<void>;
  run(options: {
    autoCommit: boolean;
    eachBatch: (payload: { batch: { messages: { key: unknown; value: unknown }[] } }) => Promise<void>;
  }): Promise<void>;
  disconnect(): Promise<void>;
}

/** @returns the KafkaJS-shaped module: the peer's KafkaJS, or a workspace package named in the spec. */
async function loadKafkaJs(module: string | undefined, spec: ClientRunSpec): Promise<KafkaJs> {
  if (module === undefined || module === 'kafkajs')
    return (await loadPeer<{ default: KafkaJs }>(spec, 'kafkajs')).default;
  const loaded = (await import(module)) as KafkaJs & { default?: KafkaJs };
  return typeof loaded.Kafka === 'function' ? loaded : loaded.default!;
}

main(async () => {
  const spec = readSpec();
  const { Kafka, logLevel, CompressionTypes, CompressionCodecs } = await loadKafkaJs(spec.module, spec);
  const lz4 = (await loadPeer<{ default: Lz4Napi }>(spec, 'lz4-napi')).default;
  const zstd = (await loadPeer<{ default: ZstdNapi }>(spec, 'zstd-napi')).default;
  // A replacement that decodes lz4 and zstd itself may leave the registry out.
  if (CompressionCodecs !== undefined && CompressionTypes !== undefined) {
    CompressionCodecs[CompressionTypes.LZ4] = () => ({
      compress: async (encoder) => lz4.compressFrameSync(encoder.buffer),
      decompress: async (buffer) => lz4.decompressFrameSync(buffer),
    });
    CompressionCodecs[CompressionTypes.ZSTD] = () => ({
      compress: async (encoder) => zstd.compress(encoder.buffer),
      decompress: async (buffer) => zstd.decompress(buffer),
    });
    const snappy = (await loadPeer<{ default: () => KafkaJsCodec }>(spec, 'kafkajs-snappy')).default;
    CompressionCodecs[CompressionTypes.Snappy] = snappy;
  }
  const tally = new Tally(spec.records);
  const cancel = watchdog(spec.timeoutMs, tally);
  const kafka = new Kafka({
    clientId: 'kafkajs-bench',
    brokers: spec.brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: spec.groupId,
    readUncommitted: true,
    maxBytes: spec.fetch.fetchMaxBytes,
    maxBytesPerPartition: spec.fetch.maxPartitionFetchBytes,
    minBytes: spec.fetch.fetchMinBytes,
    maxWaitTimeInMs: spec.fetch.fetchMaxWaitMs,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [spec.topic], fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        let bytes = 0;
        for (const message of batch.messages) bytes += sizeOf(message.key) + sizeOf(message.value);
        if (tally.add(batch.messages.length, bytes)) resolve();
      },
    });
  });
  await done;
  cancel();
  await finish(tally.report(spec.module ?? 'kafkajs'), () => consumer.disconnect());
});
