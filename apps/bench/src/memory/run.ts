/**
 * `node apps/bench/dist/memory/run.js`: peak RSS of a Runnel consumer reading 16 partitions of highly
 * compressible data (about 100:1 where the codec can reach it), against the bound the consumer promises:
 * `maxBufferedBytes` + 64 MiB. The data is served by the fake broker of @runnel/network/testing from
 * memory, so the figure is the consumer's alone (no JVM on the machine competing for it). The consumer
 * runs in its own process and is measured from outside (GNU time's ru_maxrss, else /proc VmHWM).
 *
 * The runtime and the code alone take tens of MiB (measured each time as the baseline: the same program
 * connected, reading nothing), so the table gives the peak both as measured and above that baseline.
 * `--child` runs another build's consume-all.js (e.g. one copied into a checkout of main) for a before/after.
 *
 * usage: node apps/bench/dist/memory/run.js [--codecs gzip,lz4,zstd,snappy] [--buffered-mib 32,100]
 *          [--partition-mib 64] [--reps 3] [--out DIR] [--child PATH] [--release-batch-memory]
 * `--release-batch-memory` runs the consumer with `releaseBatchMemory: true` (files named -memory-release).
 * Writes <date>-memory.json and <date>-memory.md into apps/bench/results (or --out).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CompressionType, encodeRecordBatch, getCompressionCodec } from '@runnel/codec';
import { FakeBroker } from '@runnel/network/testing';
import { runMeasured } from '../e2e/measure.js';
import { BENCH_DIR } from '../e2e/paths.js';

const MiB = 1024 * 1024;
const PARTITIONS = 16;
const VALUE_BYTES = 10 * 1024;
/** Records per batch: 1 MiB of values, as a producer with a large batch.size and linger writes them. */
const BATCH_RECORDS = 100;
const CODECS: Record<string, number> = {
  gzip: CompressionType.gzip,
  lz4: CompressionType.lz4,
  zstd: CompressionType.zstd,
  snappy: CompressionType.snappy,
};

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : (process.argv[i + 1] ?? fallback);
}

/** A value of event-like text with one varying digit every `every` bytes: the larger, the more it compresses. */
function value(seed: number, every: number): Uint8Array {
  const line = new TextEncoder().encode(
    '{"type":"page_view","site":"example.org","path":"/home","ok":true}\n',
  );
  const out = new Uint8Array(VALUE_BYTES);
  for (let i = 0; i < out.length; i++) out[i] = line[i % line.length]!;
  for (let i = 50; i < out.length; i += every) out[i] = 48 + ((seed * 7 + i) % 10);
  return out;
}

/** @returns the batch of the codec whose compression ratio comes closest to 100:1 (snappy tops out near 20:1). */
function batchNear100To1(compression: number): Uint8Array {
  let best: Uint8Array | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const every of [97, 197, 397, 797, 1009, 1597, 2503, 4093, 8191]) {
    const records = Array.from({ length: BATCH_RECORDS }, (_, i) => ({ value: value(i, every) }));
    const batch = encodeRecordBatch({ baseOffset: 0, compression, records });
    const distance = Math.abs(Math.log((BATCH_RECORDS * VALUE_BYTES) / batch.length / 100));
    if (distance < bestDistance) {
      best = batch;
      bestDistance = distance;
    }
  }
  return best!;
}

function canCompress(compression: number): boolean {
  try {
    getCompressionCodec(compression).compress(new Uint8Array(1));
    return true;
  } catch {
    return false;
  }
}

/** One partition's log: `batches` copies of one compressed batch, each moved to its base offset. */
function partitionLog(template: Uint8Array, batches: number): Uint8Array {
  const log = new Uint8Array(template.length * batches);
  for (let b = 0; b < batches; b++) {
    log.set(template, b * template.length);
    // The base offset lies outside the batch CRC: moving it keeps the batch valid.
    new DataView(log.buffer).setBigInt64(b * template.length, BigInt(b * BATCH_RECORDS));
  }
  return log;
}

interface Row {
  readonly codec: string;
  readonly ratio: number;
  readonly bufferedMiB: number;
  readonly boundMiB: number;
  readonly baselineRssMiB: number;
  readonly peakRssMiB: number[];
  readonly medianPeakRssMiB: number;
  /** The median peak less the baseline: what reading the data added. */
  readonly aboveBaselineMiB: number;
  readonly peakBufferedMiB: number;
  /**
   * The median over the runs of the peak of `process.memoryUsage().arrayBuffers` sampled inside the
   * consumer: buffers alive or not yet collected by V8 (freed decompressed batches wait for a GC).
   */
  readonly peakArrayBuffersMiB: number;
  /** The same for the JS heap in use. */
  readonly peakHeapUsedMiB: number;
  readonly decompressedMiB: number;
  readonly seconds: number;
}

/** Peaks of `process.memoryUsage()` sampled by consume-all, in bytes. */
interface InsidePeaks {
  readonly arrayBuffers: number;
  readonly heapUsed: number;
}

interface Run {
  readonly child: string;
  readonly releaseBatchMemory: boolean;
  readonly partitionMiB: number;
  readonly reps: number;
}

/** @returns peak RSS (MiB) and the program's own report of one measured run of consume-all. */
async function consumeAll(
  child: string,
  spec: object,
): Promise<{ rssMiB: number; peakBuffered: number; ms: number; peaks: InsidePeaks }> {
  const run = await runMeasured(process.execPath, [child, JSON.stringify(spec)], { timeoutMs: 600_000 });
  if (run.code !== 0 || run.usage === undefined) {
    throw new Error(`consume-all failed (${run.code}, ${run.signal}): ${run.stderr.slice(-2000)}`);
  }
  const report = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    peakBuffered: number;
    ms: number;
    peaks: InsidePeaks;
  };
  return { rssMiB: Math.round((run.usage.peakRssKiB / 1024) * 10) / 10, ...report };
}

async function measure(
  codec: string,
  bufferedMiB: number,
  { child, partitionMiB, reps, releaseBatchMemory }: Run,
): Promise<Row> {
  const template = batchNear100To1(CODECS[codec]!);
  const batches = Math.max(1, Math.round((partitionMiB * MiB) / (BATCH_RECORDS * VALUE_BYTES)));
  const log = partitionLog(template, batches);
  const end = BigInt(batches * BATCH_RECORDS);
  const broker = await FakeBroker.start({
    topics: { memory: PARTITIONS },
    endOffset: () => end,
    fetch: (_topic, _partition, offset, maxBytes) => {
      const from = Number(offset / BigInt(BATCH_RECORDS)) * template.length;
      if (from >= log.length) return undefined;
      const whole = Math.max(1, Math.floor(maxBytes / template.length)) * template.length;
      return { records: log.subarray(from, Math.min(log.length, from + whole)) };
    },
  });
  const peaks: number[] = [];
  const baselines: number[] = [];
  const arrayBuffers: number[] = [];
  const heapUsed: number[] = [];
  let peakBuffered = 0;
  let seconds = 0;
  const spec = {
    brokers: broker.bootstrap,
    topic: 'memory',
    partitions: PARTITIONS,
    records: PARTITIONS * batches * BATCH_RECORDS,
    maxBufferedBytes: bufferedMiB * MiB,
    releaseBatchMemory,
  };
  try {
    // Interleaved, so that a slow moment of the machine falls on both alike.
    for (let rep = 0; rep < reps; rep++) {
      baselines.push((await consumeAll(child, { ...spec, records: 0 })).rssMiB);
      const run = await consumeAll(child, spec);
      peaks.push(run.rssMiB);
      arrayBuffers.push(run.peaks.arrayBuffers);
      heapUsed.push(run.peaks.heapUsed);
      peakBuffered = Math.max(peakBuffered, run.peakBuffered);
      seconds += run.ms / 1000 / reps;
    }
  } finally {
    await broker.down();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;
  return {
    codec,
    ratio: Math.round(((BATCH_RECORDS * VALUE_BYTES) / template.length) * 10) / 10,
    bufferedMiB,
    boundMiB: bufferedMiB + 64,
    baselineRssMiB: median(baselines),
    peakRssMiB: peaks,
    medianPeakRssMiB: median(peaks),
    aboveBaselineMiB: Math.round((median(peaks) - median(baselines)) * 10) / 10,
    peakBufferedMiB: mib(peakBuffered),
    peakArrayBuffersMiB: mib(median(arrayBuffers)),
    peakHeapUsedMiB: mib(median(heapUsed)),
    decompressedMiB: Math.round((PARTITIONS * batches * BATCH_RECORDS * VALUE_BYTES) / MiB),
    seconds: Math.round(seconds * 10) / 10,
  };
}

function markdown(rows: readonly Row[], node: string, releaseBatchMemory: boolean): string {
  const lines = [
    `# Memory bound: 16 partitions of compressed data (${new Date().toISOString().slice(0, 10)}, Node ${node}${releaseBatchMemory ? ', `releaseBatchMemory: true`' : ''})`,
    '',
    'Peak RSS of the consumer process reading every record once (median of the runs), and the same',
    "program's baseline (connected, reading nothing) measured in between; bound = `maxBufferedBytes` + 64 MiB.",
    '`peak buffered` is the largest `health().bufferedBytes` seen between batches; `array buffers` and',
    '`heap used` are the peaks of `process.memoryUsage()` sampled inside the consumer every 5 ms (median',
    'of the runs): array buffers count the decompressed batches both alive and freed but not yet collected.',
    '',
    '| codec | ratio | read (decompressed) | maxBufferedBytes | bound | baseline | peak RSS (runs) | median | within bound (absolute) | above baseline | within bound (above baseline) | peak buffered | array buffers | heap used | s/run |',
    '|---|---:|---:|---:|---:|---:|---|---:|:---:|---:|:---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.codec} | ${r.ratio}:1 | ${r.decompressedMiB} MiB | ${r.bufferedMiB} MiB | ${r.boundMiB} MiB | ${r.baselineRssMiB} MiB | ${r.peakRssMiB.join(', ')} | ${r.medianPeakRssMiB} MiB | ${r.medianPeakRssMiB <= r.boundMiB ? 'yes' : 'NO'} | ${r.aboveBaselineMiB} MiB | ${r.aboveBaselineMiB <= r.boundMiB ? 'yes' : 'NO'} | ${r.peakBufferedMiB} MiB | ${r.peakArrayBuffersMiB} MiB | ${r.peakHeapUsedMiB} MiB | ${r.seconds} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<number> {
  const codecs = option('--codecs', 'gzip,lz4,zstd,snappy').split(',');
  const buffered = option('--buffered-mib', '32,100').split(',').map(Number);
  const partitionMiB = Number(option('--partition-mib', '64'));
  const reps = Number(option('--reps', '3'));
  const out = option('--out', join(BENCH_DIR, 'results'));
  const child = option('--child', join(BENCH_DIR, 'dist', 'memory', 'consume-all.js'));
  const releaseBatchMemory = process.argv.includes('--release-batch-memory');
  const rows: Row[] = [];
  for (const bufferedMiB of buffered) {
    for (const codec of codecs) {
      if (!canCompress(CODECS[codec]!)) {
        // zstd needs node:zlib's, from Node 22.15.
        process.stderr.write(`[memory] ${codec}: this runtime cannot compress it, skipped\n`);
        continue;
      }
      process.stderr.write(`[memory] ${codec}, maxBufferedBytes ${bufferedMiB} MiB\n`);
      rows.push(await measure(codec, bufferedMiB, { child, partitionMiB, reps, releaseBatchMemory }));
    }
  }
  const stem = `${new Date().toISOString().slice(0, 10)}-memory${releaseBatchMemory ? '-release' : ''}`;
  await mkdir(out, { recursive: true });
  const settings = {
    partitions: PARTITIONS,
    valueBytes: VALUE_BYTES,
    batchRecords: BATCH_RECORDS,
    partitionMiB,
    reps,
    child,
    releaseBatchMemory,
  };
  await writeFile(
    join(out, `${stem}.json`),
    `${JSON.stringify({ node: process.version, settings, rows }, null, 2)}\n`,
  );
  const md = markdown(rows, process.version, releaseBatchMemory);
  await writeFile(join(out, `${stem}.md`), md);
  process.stdout.write(md);
  return rows.every((r) => r.aboveBaselineMiB <= r.boundMiB) ? 0 : 1;
}

process.exitCode = await main();
