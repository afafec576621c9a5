/**
 * The codec benchmark: record-batch decoding (Runnel against KafkaJS's and @platformatic/kafka's own
 * decoders, on the same bytes) and CRC32C (Runnel's JS against the fastest npm packages).
 *
 * Contenders run interleaved (round 1: A, B, C; round 2: A, B, C; ...) so drift in machine load
 * hits all of them alike; each result is the median of the rounds. Writes JSON and Markdown.
 *
 * Run: pnpm --filter @runnel/codec build && pnpm --filter @runnel/bench-app build &&
 *      node --expose-gc apps/bench/dist/codec/codec-bench.js [--quick] [--only=int64|decode|crc]
 *      [--out apps/bench/results]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import {
  crc32c,
  crc32cJs,
  decodeRecordBatches,
  encodeRecordBatch,
  Reader,
  type RecordInput,
  setNativeCrc32c,
} from '@runnel/codec';
import { kafkaJsDecode, peerCrc32c, platformaticDecode } from './peers.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outDir =
  args[args.indexOf('--out') + 1] && args.includes('--out')
    ? args[args.indexOf('--out') + 1]!
    : 'apps/bench/results';
const ROUNDS = quick ? 3 : 7;
const SAMPLE_MS = quick ? 100 : 300;

// With --expose-gc, collect before each sample so one contender's garbage is not billed to the next.
const collect = (globalThis as { gc?: () => void }).gc;

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * Runs `fn` repeatedly for about `SAMPLE_MS` of this process's CPU time and returns CPU nanoseconds
 * per call. CPU time rather than wall time: on a shared machine the wall clock also counts the time
 * other processes held the cores. Calls are timed in groups of at least a millisecond, so the cost of
 * reading the clock does not count.
 */
async function sample(fn: () => unknown): Promise<number> {
  collect?.();
  let sink = 0;
  let group = 1;
  for (;;) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < group; i++) {
      const r = fn();
      sink += typeof r === 'number' ? r : Number(await r);
    }
    if (process.hrtime.bigint() - t >= 1_000_000n) break;
    group *= 2;
  }
  let calls = 0;
  const start = cpuMicros();
  let elapsed = 0;
  while (elapsed < SAMPLE_MS * 1000) {
    for (let i = 0; i < group; i++) {
      const r = fn();
      sink += typeof r === 'number' ? r : Number(await r);
    }
    calls += group;
    elapsed = cpuMicros() - start;
  }
  if (sink === -1) console.log('unreachable');
  return (elapsed * 1000) / calls;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function interleaved(contenders: Record<string, () => unknown>): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  // One warm-up pass so every contender is optimised before it is measured.
  for (const fn of Object.values(contenders)) await sample(fn);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(contenders)) samples[name]!.push(await sample(fn));
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

/** A fetch-sized blob: batches of about 16 KiB (the producer's default batch.size), 1 MiB in all. */
function buildFetch(recordSize: number, headers: number): { bytes: Uint8Array; records: number } {
  const perBatch = Math.max(1, Math.floor(16384 / recordSize));
  const batches: Uint8Array[] = [];
  let total = 0;
  let offset = 0;
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  while (total < 1024 * 1024) {
    const records: RecordInput[] = [];
    for (let i = 0; i < perBatch; i++) {
      records.push({
        key: new TextEncoder().encode(`key-${offset + i}`),
        value: Uint8Array.from({ length: recordSize }, random),
        timestamp: 1_700_000_000_000 + offset + i,
        headers: Array.from({ length: headers }, (_, h) => ({
          key: `header-${h}`,
          value: new TextEncoder().encode(`v${h}`),
        })),
      });
    }
    const batch = encodeRecordBatch({
      baseOffset: offset,
      records,
      producerId: 1000,
      producerEpoch: 0,
      baseSequence: offset,
    });
    batches.push(batch);
    total += batch.length;
    offset += perBatch;
  }
  return { bytes: new Uint8Array(Buffer.concat(batches)), records: offset };
}

function runnelAllFields(bytes: Uint8Array): number {
  let seen = 0;
  for (const batch of decodeRecordBatches(bytes)) {
    for (const record of batch) {
      seen += record.offset + record.timestamp + (record.key?.length ?? 0) + (record.value?.length ?? 0);
      for (const header of record.headers) seen += header.key.length + (header.value?.length ?? 0);
    }
  }
  return seen;
}

const nativeCrc32c = (
  createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: (d: Uint8Array, i?: number) => number }
).crc32c;

/** Runnel with the CRC in pure JS, as on a machine without the optional native package. */
function runnelJsCrc(bytes: Uint8Array): number {
  setNativeCrc32c(null);
  try {
    return runnelAllFields(bytes);
  } finally {
    setNativeCrc32c(nativeCrc32c);
  }
}

function runnelOffsetAndValue(bytes: Uint8Array): number {
  let seen = 0;
  for (const batch of decodeRecordBatches(bytes)) {
    for (const record of batch) seen += record.offset + (record.value?.length ?? 0);
  }
  return seen;
}

function runnelNoCrc(bytes: Uint8Array): number {
  let seen = 0;
  for (const batch of decodeRecordBatches(bytes, { verifyCrc: false })) {
    for (const record of batch) {
      seen += record.offset + record.timestamp + (record.key?.length ?? 0) + (record.value?.length ?? 0);
      for (const header of record.headers) seen += header.key.length + (header.value?.length ?? 0);
    }
  }
  return seen;
}

interface DecodeRow {
  recordSize: number;
  headers: number;
  records: number;
  nsPerRecord: Record<string, number>;
}

async function benchDecode(): Promise<DecodeRow[]> {
  const rows: DecodeRow[] = [];
  for (const recordSize of [100, 1024, 10240]) {
    for (const headers of [0, 3]) {
      const { bytes, records } = buildFetch(recordSize, headers);
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      const result = await interleaved({
        'runnel (all fields, CRC on)': () => runnelAllFields(bytes),
        'runnel (offset + value, CRC on)': () => runnelOffsetAndValue(bytes),
        'runnel (all fields, CRC off)': () => runnelNoCrc(bytes),
        'runnel (all fields, CRC on, JS CRC only)': () => runnelJsCrc(bytes),
        'kafkajs 2.2.4 (no CRC check)': () => kafkaJsDecode(buffer),
        '@platformatic/kafka 2.12.1 (no CRC check)': () => platformaticDecode(buffer),
      });
      const nsPerRecord = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v / records]));
      rows.push({ recordSize, headers, records, nsPerRecord });
      console.log(`decode ${recordSize} B x ${records}, ${headers} headers:`, nsPerRecord);
    }
  }
  return rows;
}

interface CrcRow {
  size: number;
  gbPerSecond: Record<string, number>;
}

async function benchCrc(): Promise<CrcRow[]> {
  const rows: CrcRow[] = [];
  for (const size of [1024, 16 * 1024, 1024 * 1024]) {
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff;
    const contenders: Record<string, () => number> = {
      'runnel crc32cJs (pure JS)': () => crc32cJs(data),
      'runnel crc32c (JS below 256 B, native above when installed)': () => crc32c(data),
    };
    for (const [name, fn] of Object.entries(peerCrc32c)) contenders[name] = () => fn(data);
    const expected = crc32cJs(data);
    for (const [name, fn] of Object.entries(contenders)) {
      if (fn() !== expected) throw new Error(`${name} disagrees on a ${size}-byte input`);
    }
    const result = await interleaved(contenders);
    const gbPerSecond = Object.fromEntries(Object.entries(result).map(([k, ns]) => [k, size / ns]));
    rows.push({ size, gbPerSecond });
    console.log(`crc32c ${size} B (GB/s):`, gbPerSecond);
  }
  return rows;
}

/**
 * The int64 question: what a bigint costs against a number on the consumer's hot path. Reads 8192
 * int64s from a buffer (as bigint, and as a guarded number), and forms 8192 record offsets from a base
 * and a delta (bigint addition, against number addition).
 */
async function benchInt64(): Promise<Record<string, number>> {
  const n = 8192;
  const bytes = new Uint8Array(n * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) view.setBigInt64(i * 8, BigInt(1_700_000_000_000 + i * 1009));
  const baseBig = 123_456_789_012n;
  const baseNumber = 123_456_789_012;
  const result = await interleaved({
    'readInt64 (bigint)': () => {
      const r = new Reader(bytes);
      let s = 0n;
      for (let i = 0; i < n; i++) s += r.readInt64();
      return Number(s & 1n);
    },
    'readInt64Number (number, guarded)': () => {
      const r = new Reader(bytes);
      let s = 0;
      for (let i = 0; i < n; i++) s += r.readInt64Number();
      return s;
    },
    'offset = base + BigInt(delta)': () => {
      let last = 0n;
      for (let i = 0; i < n; i++) last = baseBig + BigInt(i);
      return Number(last & 1n);
    },
    'offset = base + delta (number)': () => {
      let last = 0;
      for (let i = 0; i < n; i++) last = baseNumber + i;
      return last;
    },
  });
  const perOp = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v / n]));
  console.log('int64 (ns per value):', perOp);
  return perOp;
}

function markdown(decode: DecodeRow[], crc: CrcRow[], int64: Record<string, number>): string {
  const lines = [
    `# Codec benchmark`,
    '',
    `Node ${process.version}, ${ROUNDS} interleaved rounds of ${SAMPLE_MS} ms of process CPU time, medians${collect ? ', GC before each sample' : ''}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} CPUs at the end.`,
    '',
  ];
  if (decode.length > 0) {
    lines.push('## Record batch decode (ns per record; lower is better)', '');
    const names = Object.keys(decode[0]!.nsPerRecord);
    lines.push(`| record size | headers | ${names.join(' | ')} | kafkajs / runnel | platformatic / runnel |`);
    lines.push(`|---|---|${names.map(() => '---').join('|')}|---|---|`);
    for (const row of decode) {
      const runnel = row.nsPerRecord['runnel (all fields, CRC on)']!;
      const kjs = row.nsPerRecord['kafkajs 2.2.4 (no CRC check)']!;
      const plat = row.nsPerRecord['@platformatic/kafka 2.12.1 (no CRC check)']!;
      const cells = names.map((n) => row.nsPerRecord[n]!.toFixed(1)).join(' | ');
      lines.push(
        `| ${row.recordSize} B | ${row.headers} | ${cells} | ${(kjs / runnel).toFixed(1)}x | ${(plat / runnel).toFixed(1)}x |`,
      );
    }
    lines.push('');
  }
  if (crc.length > 0) {
    lines.push('## CRC32C (GB/s; higher is better)', '');
    lines.push(
      `| contender | ${crc.map((r) => `${r.size} B`).join(' | ')} |`,
      `|---|${crc.map(() => '---').join('|')}|`,
    );
    for (const name of Object.keys(crc[0]!.gbPerSecond)) {
      lines.push(`| ${name} | ${crc.map((r) => r.gbPerSecond[name]!.toFixed(2)).join(' | ')} |`);
    }
    lines.push('');
  }
  if (Object.keys(int64).length > 0) {
    lines.push('## int64 (ns per value)', '', '| operation | ns |', '|---|---|');
    for (const [name, ns] of Object.entries(int64)) lines.push(`| ${name} | ${ns.toFixed(2)} |`);
  }
  return lines.join('\n') + '\n';
}

const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const int64 = only === undefined || only === 'int64' ? await benchInt64() : {};
const decode = only === undefined || only === 'decode' ? await benchDecode() : [];
const crc = only === undefined || only === 'crc' ? await benchCrc() : [];
mkdirSync(outDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const json = { node: process.version, rounds: ROUNDS, sampleMs: SAMPLE_MS, int64, decode, crc };
writeFileSync(join(outDir, `codec-${stamp}.json`), JSON.stringify(json, null, 2));
writeFileSync(join(outDir, `codec-${stamp}.md`), markdown(decode, crc, int64));
console.log(`wrote ${join(outDir, `codec-${stamp}.{json,md}`)}`);
