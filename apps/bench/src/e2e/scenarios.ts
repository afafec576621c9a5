/** The data each client reads: record size, producer compression and partition count. */
export interface Scenario {
  /** Stable id, also the topic name's stem, e.g. `100B-none-p1`. */
  readonly id: string;
  /** Bytes per record value. */
  readonly recordSize: number;
  /** `compression.type` of the producer that filled the topic. */
  readonly compression: Compression;
  readonly partitions: number;
  /** Records in the topic; every client reads all of them. */
  readonly records: number;
}

export type Compression = 'none' | 'lz4' | 'zstd';

export const RECORD_SIZES: readonly number[] = [100, 1024, 10_240];
export const COMPRESSIONS: readonly Compression[] = ['none', 'lz4', 'zstd'];
export const PARTITION_COUNTS: readonly number[] = [1, 16];

/** Bytes of record values per topic: enough that a run lasts seconds, not milliseconds. */
const FULL_BYTES = 128 * 1024 * 1024;
const QUICK_BYTES = 32 * 1024 * 1024;
const MAX_RECORDS = 1_000_000;

/** @returns the short form of a size: `100B`, `1KiB`, `10KiB`. */
export function sizeLabel(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024}KiB` : `${bytes}B`;
}

/** @returns the scenario of these parameters, holding about `totalBytes` of values (at most 1M records). */
export function scenario(
  recordSize: number,
  compression: Compression,
  partitions: number,
  totalBytes: number,
): Scenario {
  const records = Math.min(MAX_RECORDS, Math.max(1, Math.floor(totalBytes / recordSize)));
  return {
    id: `${sizeLabel(recordSize)}-${compression}-p${partitions}`,
    recordSize,
    compression,
    partitions,
    records,
  };
}

/**
 * The scenarios of a run: every record size, compression and partition count (18), or in quick mode
 * three that still cover each size, each compression and both partition counts; quick scenarios hold
 * a quarter of the data.
 *
 * @param ids when given, these scenarios of the full matrix instead (sized for the mode).
 * @param recordsOverride when given, every scenario holds this many records instead.
 * @returns the scenarios, in matrix order.
 * @throws RangeError when an id names no scenario.
 */
export function scenarioMatrix(
  quick: boolean,
  ids?: readonly string[],
  recordsOverride?: number,
): Scenario[] {
  const bytes = quick ? QUICK_BYTES : FULL_BYTES;
  const all: Scenario[] = [];
  for (const size of RECORD_SIZES)
    for (const compression of COMPRESSIONS)
      for (const partitions of PARTITION_COUNTS) all.push(scenario(size, compression, partitions, bytes));
  let list: Scenario[];
  if (ids !== undefined) {
    list = ids.map((id) => {
      const found = all.find((s) => s.id === id);
      if (found === undefined)
        throw new RangeError(`no scenario ${id}; known: ${all.map((s) => s.id).join(', ')}`);
      return found;
    });
  } else if (quick) {
    list = ['100B-none-p1', '1KiB-lz4-p16', '10KiB-zstd-p1'].map((id) => all.find((s) => s.id === id)!);
  } else {
    list = all;
  }
  return recordsOverride === undefined ? list : list.map((s) => ({ ...s, records: recordsOverride }));
}

/**
 * Writes the text a compressible payload file holds: `lines` lines of exactly `recordSize` ASCII
 * bytes that read like JSON log events (repeated keys, a few words, numbers), the same for a given
 * seed. ProducerPerformance picks one line at random per record.
 *
 * @returns the file's text, lines joined by `\n`.
 */
export function compressiblePayload(recordSize: number, lines = 500, seed = 42): string {
  let state = seed >>> 0;
  const next = () => {
    // xorshift32: small, fast and repeatable; quality is no concern here.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const words = [
    'order',
    'payment',
    'shipped',
    'created',
    'user',
    'cart',
    'item',
    'refund',
    'eu-west',
    'us-east',
  ];
  const pick = () => words[next() % words.length]!;
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    let line = '';
    let field = 0;
    while (line.length < recordSize) {
      line +=
        `{"id":${next() % 1_000_000},"event":"${pick()}.${pick()}","region":"${pick()}",` +
        `"amount":${(next() % 100_000) / 100},"seq":${field++}}`;
    }
    out.push(line.slice(0, recordSize));
  }
  return out.join('\n');
}
