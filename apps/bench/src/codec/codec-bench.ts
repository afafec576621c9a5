/**
 * The codec benchmark: record-batch decoding (Runnel against KafkaJS's and @platformatic/kafka's own
 * fetch-path decoders, on the same records, in two fetch shapes), CRC32C (Runnel's JS against the
 * fastest npm packages), int64 reads, and decompression speed per codec (JS and native blocks).
 *
 * Contenders run interleaved (round 1: A, B, C; round 2: A, B, C; ...) so drift in machine load
 * hits all of them alike; each result is the median of the rounds (see harness.ts). The decoders run
 * each in a process of its own (isolated.ts), as in a client: a peer's garbage is not collected on
 * Runnel's clock, nor Runnel's on a peer's. Writes JSON and Markdown.
 *
 * Run: pnpm --filter @runnel/codec build && pnpm --filter @runnel/bench-app build &&
 *      node apps/bench/dist/codec/codec-bench.js [--quick] [--only=int64|decode|crc|decompress]
 *      [--baseline=<another codec build's dist/index.js>] [--out apps/bench/results]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { crc32c, crc32cJs, Reader } from '@runnel/codec';
import { DECODE_CONTENDERS, KAFKAJS, PLATFORMATIC, RUNNEL } from './decode-contenders.js';
import { benchDecompress, type DecompressRow, decompressMarkdown } from './decompress-bench.js';
import { buildFetch, FETCH_SHAPES, type FetchShape } from './fetch-shapes.js';
import { type HarnessOptions, interleaved } from './harness.js';
import { isolatedInterleaved } from './isolated.js';
import { peerCrc32c } from './peers.js';

const CONTENDERS_MODULE = new URL('./decode-contenders.js', import.meta.url).href;

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outDir =
  args[args.indexOf('--out') + 1] && args.includes('--out')
    ? args[args.indexOf('--out') + 1]!
    : 'apps/bench/results';
// The same warm-up floor in both: a shorter one measured KafkaJS's decoder before V8 had settled it
// (see harness.ts), which flattered Runnel's ratio up to 2x.
const harness: HarnessOptions = quick
  ? { rounds: 3, sampleMs: 150, minWarmupMs: 5000, maxWarmupMs: 6000 }
  : { rounds: 7, sampleMs: 300, minWarmupMs: 5000, maxWarmupMs: 8000 };

interface DecodeRow {
  shape: FetchShape;
  recordSize: number;
  headers: number;
  records: number;
  nsPerRecord: Record<string, number>;
}

async function benchDecode(): Promise<DecodeRow[]> {
  const rows: DecodeRow[] = [];
  for (const shape of FETCH_SHAPES) {
    for (const recordSize of quick ? [100] : [100, 1024, 10240]) {
      for (const headers of [0, 3]) {
        const { records } = buildFetch(shape, recordSize, headers);
        const contenders = Object.fromEntries(
          DECODE_CONTENDERS.map((name) => [
            name,
            {
              module: CONTENDERS_MODULE,
              factory: 'decodeContender',
              args: [name, shape, recordSize, headers],
            },
          ]),
        );
        const result = await isolatedInterleaved(contenders, harness);
        const nsPerRecord = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v / records]));
        rows.push({ shape, recordSize, headers, records, nsPerRecord });
        console.log(`decode ${shape}, ${recordSize} B x ${records}, ${headers} headers:`, nsPerRecord);
      }
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
    const result = await interleaved(contenders, harness);
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
  const result = await interleaved(
    {
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
    },
    harness,
  );
  const perOp = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v / n]));
  console.log('int64 (ns per value):', perOp);
  return perOp;
}

function markdown(
  decode: DecodeRow[],
  crc: CrcRow[],
  int64: Record<string, number>,
  decompress: DecompressRow[],
): string {
  const lines = [
    `# Codec benchmark`,
    '',
    `Node ${process.version}, each contender warmed up for ${harness.minWarmupMs} ms and then until it settles (at most ${harness.maxWarmupMs} ms), then ${harness.rounds} interleaved rounds of ${harness.sampleMs} ms of process CPU time, medians; the decoders each in a process of its own (its own heap and garbage collector, as in a client); load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} CPUs at the end.`,
    '',
  ];
  if (decode.length > 0) {
    lines.push('## Record batch decode (ns per record; lower is better)', '');
    const names = Object.keys(decode[0]!.nsPerRecord);
    lines.push(
      `| shape | record size | headers | ${names.join(' | ')} | kafkajs / runnel | platformatic / runnel |`,
    );
    lines.push(`|---|---|---|${names.map(() => '---').join('|')}|---|---|`);
    for (const row of decode) {
      const runnel = row.nsPerRecord[RUNNEL]!;
      const kjs = row.nsPerRecord[KAFKAJS]!;
      const plat = row.nsPerRecord[PLATFORMATIC]!;
      const cells = names.map((n) => row.nsPerRecord[n]!.toFixed(1)).join(' | ');
      lines.push(
        `| ${row.shape} | ${row.recordSize} B | ${row.headers} | ${cells} | ${(kjs / runnel).toFixed(1)}x | ${(plat / runnel).toFixed(1)}x |`,
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
    lines.push('');
  }
  if (decompress.length > 0) lines.push(...decompressMarkdown(decompress));
  return lines.join('\n') + '\n';
}

/** `--baseline=<path>`: another build of @runnel/codec (its dist/index.js) to compare decompression with. */
function baselineModule(): string | undefined {
  return args.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length);
}

const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const int64 = only === undefined || only === 'int64' ? await benchInt64() : {};
const decode = only === undefined || only === 'decode' ? await benchDecode() : [];
const crc = only === undefined || only === 'crc' ? await benchCrc() : [];
const decompress =
  only === undefined || only === 'decompress' ? await benchDecompress(harness, baselineModule()) : [];
mkdirSync(outDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const json = { node: process.version, harness, int64, decode, crc, decompress };
writeFileSync(join(outDir, `codec-${stamp}.json`), JSON.stringify(json, null, 2));
writeFileSync(join(outDir, `codec-${stamp}.md`), markdown(decode, crc, int64, decompress));
console.log(`wrote ${join(outDir, `codec-${stamp}.{json,md}`)}`);
