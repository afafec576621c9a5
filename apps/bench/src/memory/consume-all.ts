/**
 * The consumer side of the memory benchmark: assigns every partition of one topic, reads until it holds
 * the expected number of records (touching each value's length), and prints one JSON line. Its peak RSS
 * is measured from outside by the parent.
 *
 * usage: consume-all.js '{"brokers":...,"topic":...,"partitions":N,"records":N,"maxBufferedBytes":N,
 *   "releaseBatchMemory":false}'
 * With `records` 0 it only connects and looks up positions: the baseline of the runtime and the code.
 */
import { Consumer } from '@runnel/consumer';

interface Spec {
  readonly brokers: string;
  readonly topic: string;
  readonly partitions: number;
  readonly records: number;
  readonly maxBufferedBytes: number;
  /** The consumer option of that name (default false). */
  readonly releaseBatchMemory?: boolean;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
const consumer = new Consumer({
  brokers: spec.brokers,
  autoOffsetReset: 'earliest',
  isolationLevel: 'read_uncommitted',
  maxBufferedBytes: spec.maxBufferedBytes,
  releaseBatchMemory: spec.releaseBatchMemory === true,
});
const partitions = Array.from({ length: spec.partitions }, (_, partition) => ({
  topic: spec.topic,
  partition,
}));
consumer.assign(partitions);
// Where the memory is, seen from inside: the peak of each part of process.memoryUsage(), sampled
// every few ms (the peak RSS itself is measured from outside).
const peaks = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
const sample = (): void => {
  const usage = process.memoryUsage();
  for (const key of Object.keys(peaks) as (keyof typeof peaks)[])
    peaks[key] = Math.max(peaks[key], usage[key]);
};
const sampler = setInterval(sample, 5);
const started = performance.now();
let records = 0;
let valueBytes = 0;
let peakBuffered = 0;
if (spec.records === 0) {
  // The baseline: connected and positioned, nothing read; what the runtime and the code take.
  for (const p of partitions) await consumer.position(p);
} else {
  for await (const batch of consumer) {
    peakBuffered = Math.max(peakBuffered, consumer.health().bufferedBytes);
    for (const record of batch.records) valueBytes += record.value?.length ?? 0;
    records += batch.records.length;
    if (records >= spec.records) break;
  }
}
sample();
clearInterval(sampler);
await consumer.close({ timeoutMs: 5_000 });
const ms = Math.round(performance.now() - started);
process.stdout.write(`${JSON.stringify({ records, valueBytes, peakBuffered, ms, peaks })}\n`);
