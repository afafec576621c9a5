/**
 * Does decompressing off the event loop pay? A consumer's main thread decompresses each fetched
 * batch and then reads every record of it; with a worker pool, workers decompress (the compressed
 * bytes are transferred there, the output transferred back) while the main thread reads the records
 * of earlier batches. Both variants read the same 1 MiB compressed batches of 1 KiB records and report
 * wall-clock records/s and process CPU per record, interleaved, medians.
 *
 * Run: node apps/bench/dist/codec/worker-bench.js [--codec=zstd|lz4|gzip|snappy] [--rounds=5]
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import {
  CompressionType,
  DEFAULT_MAX_DECOMPRESSED_SIZE,
  decodeRecordBatches,
  encodeRecordBatch,
  getCompressionCodec,
} from '@runnel/codec';
import { median } from './harness.js';

const RECORDS_AT = 61; // where a v2 batch's records (or their compressed form) start
const ATTRIBUTES_AT = 21;

if (!isMainThread) {
  // A pool worker: decompress what it is sent, hand the bytes back without a copy.
  parentPort!.on('message', (m: { id: number; type: number; payload: Uint8Array }) => {
    const out = getCompressionCodec(m.type).decompress(m.payload, DEFAULT_MAX_DECOMPRESSED_SIZE);
    const owned = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : out.slice();
    parentPort!.postMessage({ id: m.id, records: owned }, [owned.buffer as ArrayBuffer]);
  });
} else {
  await main();
}

function eventLines(next: () => number): string {
  let s = '';
  while (s.length < 1000) {
    s += `${JSON.stringify({
      user: `user-${next() % 100_000}`,
      event: ['view', 'click', 'cart', 'buy'][next() % 4],
      amount: (next() % 1_000_000) / 100,
      session: next().toString(36),
    })}\n`;
  }
  return s;
}

function buildBatches(type: number, count: number): Uint8Array[] {
  let seed = 3;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const batches: Uint8Array[] = [];
  for (let b = 0; b < count; b++) {
    const records = Array.from({ length: 1024 }, (_, i) => ({
      key: new TextEncoder().encode(`key-${i}`),
      // JSON event lines with random ids and amounts compress about 3-5x, as real topics do.
      value: new TextEncoder().encode(eventLines(next).slice(0, 1000)),
      timestamp: 1_700_000_000_000 + i,
    }));
    batches.push(encodeRecordBatch({ baseOffset: b * 1024, compression: type, records }));
  }
  return batches;
}

/** Reads every field of every record, as a consumer does. @returns a sum over the fields. */
function readAll(bytes: Uint8Array, verifyCrc: boolean): number {
  let seen = 0;
  for (const batch of decodeRecordBatches(bytes, { verifyCrc })) {
    for (const record of batch) {
      seen += record.offset + record.timestamp + (record.key?.length ?? 0) + (record.value?.length ?? 0);
      for (const header of record.headers) seen += header.key.length;
    }
  }
  return seen;
}

/** The batch with its records replaced by their decompressed form (compression bits cleared). */
function uncompressedBatch(batch: Uint8Array, records: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORDS_AT + records.length);
  out.set(batch.subarray(0, RECORDS_AT));
  new DataView(out.buffer).setInt32(8, out.length - 12);
  out[ATTRIBUTES_AT + 1]! &= ~0x07;
  out.set(records, RECORDS_AT);
  return out;
}

async function inline(batches: Uint8Array[]): Promise<number> {
  let seen = 0;
  for (const batch of batches) seen += readAll(batch, true);
  return seen;
}

interface Pool {
  run(batches: Uint8Array[], type: number): Promise<number>;
  close(): Promise<void>;
}

function pool(size: number): Pool {
  const workers = Array.from({ length: size }, () => new Worker(new URL(import.meta.url)));
  return {
    async run(batches, type) {
      // The main thread checks each batch's CRC (over the compressed bytes) before handing it off,
      // keeps up to 2 batches per worker in flight, and reads results in order.
      const results = new Map<number, Uint8Array>();
      const waiting = new Map<number, (r: Uint8Array) => void>();
      const onMessage = (m: { id: number; records: Uint8Array }) => {
        const wake = waiting.get(m.id);
        if (wake) {
          waiting.delete(m.id);
          wake(m.records);
        } else results.set(m.id, m.records);
      };
      for (const w of workers) w.on('message', onMessage);
      let sent = 0;
      const send = () => {
        const batch = batches[sent]!;
        decodeRecordBatches(batch); // the CRC check, on the main thread as in the inline variant
        const payload = batch.slice(RECORDS_AT);
        workers[sent % size]!.postMessage({ id: sent, type, payload }, [payload.buffer]);
        sent++;
      };
      while (sent < Math.min(batches.length, 2 * size)) send();
      let seen = 0;
      for (let id = 0; id < batches.length; id++) {
        const records =
          results.get(id) ?? (await new Promise<Uint8Array>((resolve) => waiting.set(id, resolve)));
        results.delete(id);
        if (sent < batches.length) send();
        seen += readAll(uncompressedBatch(batches[id]!, records), false);
      }
      for (const w of workers) w.off('message', onMessage);
      return seen;
    },
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const codec = args.find((a) => a.startsWith('--codec='))?.slice(8) ?? 'zstd';
  const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 5);
  const type = CompressionType[codec as keyof typeof CompressionType];
  const batches = buildBatches(type, 64);
  const records = batches.length * 1024;
  const pools = [pool(1), pool(2)];
  const variants: Record<string, () => Promise<number>> = {
    inline: () => inline(batches),
    'pool of 1 worker': () => pools[0]!.run(batches, type),
    'pool of 2 workers': () => pools[1]!.run(batches, type),
  };
  const expected = await inline(batches);
  for (const [name, run] of Object.entries(variants)) {
    if ((await run()) !== expected) throw new Error(`${name} read different records`);
  }
  const wall: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(variants)) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await run();
      const seconds = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      (wall[name] ??= []).push(records / seconds);
      (cpu[name] ??= []).push(((c.user + c.system) * 1000) / records);
    }
  }
  console.log(
    `codec ${codec}, ${batches.length} batches of 1024 x 1 KiB records (${(batches.reduce((n, b) => n + b.length, 0) / batches.length / 1024).toFixed(0)} KiB compressed each), Node ${process.version}, ${availableParallelism()} CPUs, medians of ${rounds} interleaved rounds`,
  );
  console.log('| variant | records/s (wall) | CPU ns per record (all threads) |');
  console.log('|---|---:|---:|');
  for (const name of Object.keys(variants)) {
    console.log(`| ${name} | ${median(wall[name]!).toFixed(0)} | ${median(cpu[name]!).toFixed(0)} |`);
  }
  for (const p of pools) await p.close();
}
