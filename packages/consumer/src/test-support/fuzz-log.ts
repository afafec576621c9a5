/**
 * Partition logs for the fetch-path fuzz properties: sequences of valid batches (every codec), bombs
 * (a few KiB that decompress to MiBs), truncated and bit-flipped batches and random bytes, and the
 * answer a broker would give for a fetch offset (whole batches from the one holding the offset, cut at
 * the size limit but never below one batch, as KIP-74 brokers do).
 */
import { CompressionType, encodeRecordBatch, getCompressionCodec } from '@runnel/codec';
import fc from 'fast-check';
import { concatBytes } from './bytes.js';

/** One entry of a generated log. */
export type LogItem =
  | {
      readonly kind: 'batch';
      readonly compression: number;
      readonly records: number;
      readonly valueSize: number;
    }
  | { readonly kind: 'bomb'; readonly compression: number; readonly size: number }
  | { readonly kind: 'truncated'; readonly records: number; readonly keep: number }
  | { readonly kind: 'flipped'; readonly compression: number; readonly at: number }
  | { readonly kind: 'garbage'; readonly bytes: Uint8Array };

const MiB = 1024 * 1024;
/** Whether this runtime can write `compression` (zstd needs node:zlib's, Node >= 22.15). */
function canCompress(compression: number): boolean {
  try {
    getCompressionCodec(compression).compress(new Uint8Array(1));
    return true;
  } catch {
    return false;
  }
}
const ZSTD = canCompress(CompressionType.zstd);
const CODECS = [
  CompressionType.gzip,
  CompressionType.snappy,
  CompressionType.lz4,
  ...(ZSTD ? [CompressionType.zstd] : []),
];
/** A codec id this runtime can write: zstd falls back to none where it cannot. */
const usable = (compression: number) => (compression === CompressionType.zstd && !ZSTD ? 0 : compression);
const bombs = new Map<string, Uint8Array>();

/** @returns an arbitrary log item; bombs decompress to at most `maxBombBytes`. */
export function logItem(maxBombBytes: number): fc.Arbitrary<LogItem> {
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('batch' as const),
        compression: fc.integer({ min: 0, max: 4 }),
        records: fc.integer({ min: 1, max: 20 }),
        valueSize: fc.integer({ min: 0, max: 2_000 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('bomb' as const),
        compression: fc.constantFrom(...CODECS),
        size: fc.integer({ min: MiB / 4, max: maxBombBytes }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('truncated' as const),
        records: fc.integer({ min: 1, max: 20 }),
        keep: fc.double({ min: 0, max: 0.99, noNaN: true }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('flipped' as const),
        compression: fc.integer({ min: 0, max: 4 }),
        at: fc.double({ min: 0, max: 0.99, noNaN: true }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('garbage' as const),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }),
      }),
    },
  );
}

function batch(baseOffset: number, compression: number, records: number, valueSize: number): Uint8Array {
  const value = new Uint8Array(valueSize).map((_, i) => (i * 31) % 7);
  return encodeRecordBatch({
    baseOffset,
    compression: usable(compression),
    records: Array.from({ length: records }, () => ({ value })),
  });
}

/** A bomb is expensive to compress: built once per codec and size, then moved to its offset. */
function bomb(baseOffset: number, compression: number, size: number): Uint8Array {
  const key = `${compression}/${size}`;
  let template = bombs.get(key);
  if (!template) {
    template = encodeRecordBatch({ baseOffset: 0, compression, records: [{ value: new Uint8Array(size) }] });
    bombs.set(key, template);
  }
  const out = template.slice();
  // The base offset lies outside the CRC, so moving it keeps the batch valid.
  new DataView(out.buffer).setBigInt64(0, BigInt(baseOffset));
  return out;
}

/** A partition log: its entries' bytes and the offset each starts at. */
export interface PartitionLog {
  readonly entries: readonly Uint8Array[];
  readonly bases: readonly number[];
  /** One past the last offset. */
  readonly end: number;
}

/** @returns the log of `items`, offsets assigned in order (an entry without records takes one). */
export function buildLog(items: readonly LogItem[]): PartitionLog {
  const entries: Uint8Array[] = [];
  const bases: number[] = [];
  let offset = 0;
  for (const item of items) {
    bases.push(offset);
    switch (item.kind) {
      case 'batch':
        entries.push(batch(offset, item.compression, item.records, item.valueSize));
        offset += item.records;
        break;
      case 'bomb':
        entries.push(bomb(offset, item.compression, item.size));
        offset += 1;
        break;
      case 'truncated': {
        const whole = batch(offset, 0, item.records, 50);
        entries.push(whole.subarray(0, Math.max(1, Math.floor(whole.length * item.keep))));
        offset += item.records;
        break;
      }
      case 'flipped': {
        const whole = batch(offset, item.compression, 5, 100);
        whole[Math.floor(whole.length * item.at)]! ^= 0x5a;
        entries.push(whole);
        offset += 5;
        break;
      }
      case 'garbage':
        entries.push(item.bytes);
        offset += 1;
        break;
    }
  }
  return { entries, bases, end: offset };
}

/**
 * @returns what a broker answers for a fetch at `fetchOffset` of at most `maxBytes`: the entries from the
 *   one holding the offset, the first whole, the rest cut at the limit; null past the end.
 */
export function answerFor(log: PartitionLog, fetchOffset: number, maxBytes: number): Uint8Array | null {
  let first = -1;
  for (let i = 0; i < log.bases.length; i++) {
    const next = log.bases[i + 1] ?? log.end;
    if (fetchOffset < next) {
      first = i;
      break;
    }
  }
  if (first < 0) return null;
  const parts: Uint8Array[] = [log.entries[first]!];
  let size = parts[0]!.length;
  for (let i = first + 1; i < log.entries.length && size < maxBytes; i++) {
    const entry = log.entries[i]!;
    const take = Math.min(entry.length, maxBytes - size);
    parts.push(entry.subarray(0, take));
    size += take;
  }
  return concatBytes(...parts);
}
