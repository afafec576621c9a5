/**
 * Decompression speed, MB/s of decompressed output, for every codec in the framing Kafka's Java
 * producer writes (gzip; snappy in xerial 32 KiB blocks; LZ4 frames of 64 KiB blocks; zstd without a
 * content size, as zstd-jni's stream writes it, and with one), on JSON-like event lines, at a 16 KiB
 * batch and a 1 MiB batch. lz4 and snappy run with the JS block decoders and the native ones; with
 * `--baseline`, another build of @runnel/codec (e.g. main's) runs beside them on the same bytes.
 */
import * as zlib from 'node:zlib';
import {
  CompressionType,
  getCompressionCodec,
  lz4Codec,
  setNativeDecompression,
  snappyCodec,
  zstdCodec,
} from '@runnel/codec';
import { type HarnessOptions, interleaved } from './harness.js';

export interface DecompressRow {
  codec: string;
  size: number;
  /** MB/s of decompressed output per contender. */
  mbPerSecond: Record<string, number>;
}

type Decompress = (data: Uint8Array, maxSize: number) => Uint8Array;
type ZstdCompress = (data: Uint8Array, options?: { params?: Record<number, number> }) => Buffer;

const CAP = 64 * 1024 * 1024;

/** Event lines like a typical topic's: JSON with a few varying fields. */
function eventLines(size: number): Uint8Array {
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const line = JSON.stringify({
      id: i,
      user: `user-${next() % 5000}`,
      event: ['page_view', 'click', 'add_to_cart', 'purchase'][next() % 4],
      ts: 1_700_000_000_000 + i * 17,
      amount: (next() % 100_000) / 100,
      session: next().toString(36),
    });
    lines.push(line);
    length += line.length + 1;
  }
  return new TextEncoder().encode(lines.join('\n')).subarray(0, size);
}

interface Payload {
  codec: string;
  compressed: Uint8Array;
  /** The built-in codec's decompress, and the baseline's for the same type. */
  type: number;
  native?: 'lz4' | 'snappy';
}

function payloads(data: Uint8Array): Payload[] {
  // @types/node 20 lacks zstd; every Node line the packages support has it.
  const zstdCompressSync = (zlib as unknown as { zstdCompressSync: ZstdCompress }).zstdCompressSync;
  const contentSizeFlag = (zlib.constants as unknown as Record<string, number>).ZSTD_c_contentSizeFlag!;
  return [
    { codec: 'gzip', type: CompressionType.gzip, compressed: new Uint8Array(zlib.gzipSync(data)) },
    {
      codec: 'snappy (xerial)',
      type: CompressionType.snappy,
      compressed: snappyCodec.compress(data),
      native: 'snappy',
    },
    {
      codec: 'lz4 (Kafka frame)',
      type: CompressionType.lz4,
      compressed: lz4Codec.compress(data),
      native: 'lz4',
    },
    {
      codec: 'zstd (no content size, as Java writes)',
      type: CompressionType.zstd,
      compressed: new Uint8Array(zstdCompressSync(data, { params: { [contentSizeFlag]: 0 } })),
    },
    {
      codec: 'zstd (content size declared)',
      type: CompressionType.zstd,
      compressed: zstdCodec.compress(data),
    },
  ];
}

/**
 * Measures every codec at 16 KiB and 1 MiB.
 * @param baseline path of another @runnel/codec build's `dist/index.js`, or undefined.
 * @returns one row per codec and size.
 */
export async function benchDecompress(
  harness: HarnessOptions,
  baseline: string | undefined,
): Promise<DecompressRow[]> {
  const other = baseline
    ? ((await import(baseline)) as { getCompressionCodec(type: number): { decompress: Decompress } })
    : undefined;
  const rows: DecompressRow[] = [];
  for (const size of [16 * 1024, 1024 * 1024]) {
    const data = eventLines(size);
    for (const p of payloads(data)) {
      const ours = getCompressionCodec(p.type).decompress;
      const check = (out: Uint8Array) => {
        if (!Buffer.from(out).equals(data)) throw new Error(`${p.codec} decoded wrongly`);
        return out.length;
      };
      const contenders: Record<string, () => number> = {};
      if (other) {
        const theirs = other.getCompressionCodec(p.type).decompress;
        check(theirs(p.compressed, CAP));
        contenders['baseline'] = () => theirs(p.compressed, CAP).length;
      }
      if (p.native) {
        const native = p.native;
        contenders['runnel, JS blocks'] = () => {
          setNativeDecompression(native, 'js');
          return ours(p.compressed, CAP).length;
        };
        contenders['runnel, native blocks'] = () => {
          setNativeDecompression(native, 'native');
          return ours(p.compressed, CAP).length;
        };
        setNativeDecompression(native, 'js');
        check(ours(p.compressed, CAP));
        setNativeDecompression(native, 'native');
        check(ours(p.compressed, CAP));
      } else {
        contenders['runnel'] = () => ours(p.compressed, CAP).length;
        check(ours(p.compressed, CAP));
      }
      const ns = await interleaved(contenders, harness);
      const mbPerSecond = Object.fromEntries(Object.entries(ns).map(([k, v]) => [k, (size / v) * 1000]));
      console.log(
        `decompress ${p.codec} ${size} B (ratio ${(size / p.compressed.length).toFixed(1)}), MB/s:`,
        mbPerSecond,
      );
      rows.push({ codec: p.codec, size, mbPerSecond });
      if (p.native) setNativeDecompression(p.native, 'auto');
    }
  }
  return rows;
}

/** @returns the Markdown lines of the decompression table. */
export function decompressMarkdown(rows: DecompressRow[]): string[] {
  const names = ['baseline', 'runnel', 'runnel, JS blocks', 'runnel, native blocks'].filter((n) =>
    rows.some((r) => r.mbPerSecond[n] !== undefined),
  );
  const lines = [
    '## Decompression (MB/s of decompressed output; higher is better)',
    '',
    `| codec | batch | ${names.join(' | ')} |`,
    `|---|---|${names.map(() => '---').join('|')}|`,
  ];
  for (const row of rows) {
    const cells = names.map((n) => row.mbPerSecond[n]?.toFixed(0) ?? '');
    lines.push(`| ${row.codec} | ${row.size / 1024} KiB | ${cells.join(' | ')} |`);
  }
  lines.push('');
  return lines;
}
