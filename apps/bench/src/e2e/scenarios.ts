/** The data each client reads: record size, producer compression and partition count. */
export interface Scenario {
  /** Stable id, also the topic name's stem, e.g. `100B-none-p1`. */
  readonly id: string;
  /** Bytes per record value. */
  readonly recordSize: number;
  /** `compression.type` of the producer that filled the topic. */
  readonly compression: Compression;
  readonly partitions: number;
  /**
   * Records the topic is first filled with. A throughput scenario then grows until the fastest client
   * reads for the steady-state time (see `nextRecordCount`), unless `fixedSize`.
   */
  readonly records: number;
  /** Whether clients read the whole topic (throughput); otherwise only the time to first record is measured. */
  readonly throughput: boolean;
  /** The record count was set by hand (`--records`): the topic is not grown. */
  readonly fixedSize: boolean;
}

export type Compression = 'none' | 'lz4' | 'zstd' | 'gzip' | 'snappy';

export const RECORD_SIZES: readonly number[] = [100, 1024, 10_240];
/** The matrix's compressions: what producers mostly set (lz4, zstd), and none. */
export const COMPRESSIONS: readonly Compression[] = ['none', 'lz4', 'zstd'];
/** Compressions outside the matrix, run by naming their scenarios (`--scenarios 1KiB-gzip-p16`). */
export const OTHER_COMPRESSIONS: readonly Compression[] = ['gzip', 'snappy'];
export const PARTITION_COUNTS: readonly number[] = [1, 16];

/**
 * Bytes of record values a topic starts with: more than a first Fetch takes (1 MiB per partition,
 * 16 partitions) even compressed, so the time to the first record is the same as on a larger topic.
 */
const INITIAL_BYTES = 64 * 1024 * 1024;
/** The most record values a topic may grow to (the broker keeps it on disk and in the page cache). */
export const MAX_TOPIC_BYTES = 8 * 1024 * 1024 * 1024;

/** Scenarios of `--quick`: where the time to first record is measured, and which of them are read whole. */
export const QUICK_SCENARIOS: readonly string[] = ['100B-none-p1', '1KiB-lz4-p16', '10KiB-zstd-p1'];
export const QUICK_THROUGHPUT_SCENARIOS: readonly string[] = ['1KiB-lz4-p16'];

/** @returns the short form of a size: `100B`, `1KiB`, `10KiB`. */
export function sizeLabel(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024}KiB` : `${bytes}B`;
}

/** @returns the scenario of these parameters, first filled with about `totalBytes` of values. */
export function scenario(
  recordSize: number,
  compression: Compression,
  partitions: number,
  totalBytes: number = INITIAL_BYTES,
): Scenario {
  return {
    id: `${sizeLabel(recordSize)}-${compression}-p${partitions}`,
    recordSize,
    compression,
    partitions,
    records: Math.max(1, Math.floor(totalBytes / recordSize)),
    throughput: true,
    fixedSize: false,
  };
}

/**
 * The scenarios of a run: every record size, compression and partition count (18), or in quick mode
 * the three of `QUICK_SCENARIOS`, which cover each size, each compression and both partition counts,
 * of which only `QUICK_THROUGHPUT_SCENARIOS` are read whole (the others measure the time to first
 * record only), so that a quick run stays within minutes while every read lasts steady-state long.
 *
 * @param ids when given, these scenarios instead (all read whole): of the full matrix, or of a
 *   compression outside it (`OTHER_COMPRESSIONS`).
 * @param recordsOverride when given, every scenario holds exactly this many records.
 * @returns the scenarios, in matrix order.
 * @throws RangeError when an id names no scenario.
 */
export function scenarioMatrix(
  quick: boolean,
  ids?: readonly string[],
  recordsOverride?: number,
): Scenario[] {
  const known: Scenario[] = [];
  for (const size of RECORD_SIZES)
    for (const compression of [...COMPRESSIONS, ...OTHER_COMPRESSIONS])
      for (const partitions of PARTITION_COUNTS) known.push(scenario(size, compression, partitions));
  const all = known.filter((s) => COMPRESSIONS.includes(s.compression));
  const find = (id: string) => {
    const found = known.find((s) => s.id === id);
    if (found === undefined)
      throw new RangeError(
        `no scenario ${id}; known: ${all.map((s) => s.id).join(', ')}, and ${OTHER_COMPRESSIONS.join(' or ')} ` +
          `in place of the compression (e.g. ${scenario(RECORD_SIZES[0]!, OTHER_COMPRESSIONS[0]!, 1).id})`,
      );
    return found;
  };
  let list: Scenario[];
  if (ids !== undefined) list = ids.map(find);
  else if (quick)
    list = QUICK_SCENARIOS.map((id) => ({
      ...find(id),
      throughput: QUICK_THROUGHPUT_SCENARIOS.includes(id),
    }));
  else list = all;
  return recordsOverride === undefined
    ? list
    : list.map((s) => ({ ...s, records: recordsOverride, fixedSize: true }));
}

/**
 * Decides how far a throughput topic must grow for the steady state: the calibration client (the
 * fastest peer) read `records` records in `readMs` (first record to last); a read shorter than
 * `targetMs` means start-up would weigh too much in the rates. The new count aims 20% past the target,
 * grows at most 64-fold per step (a very short read says little about the rate), and stops at
 * `maxRecords`.
 *
 * @returns the record count to grow the topic to, or undefined when it is long enough or cannot grow.
 */
export function nextRecordCount(
  records: number,
  readMs: number,
  targetMs: number,
  maxRecords: number,
): number | undefined {
  if (readMs >= targetMs || records >= maxRecords) return undefined;
  const wanted = Math.ceil((records * 1.2 * targetMs) / Math.max(readMs, 1));
  return Math.min(wanted, records * 64, maxRecords);
}

/**
 * Sizes one client's timed reads from an untimed probe read of part of the topic: a client that would
 * take longer than `maxReadMs` over the whole topic reads the prefix it covers in about that time (a
 * prefix still holds every partition's first records, and a read that long is steady state), so one slow
 * client does not make a scenario last an hour. Never less than the probe read itself.
 *
 * @returns the records to read, `topicRecords` when the whole topic fits or `maxReadMs` is 0.
 */
export function prefixRecordCount(
  topicRecords: number,
  probe: { readonly records: number; readonly totalMs: number },
  maxReadMs: number,
): number {
  if (maxReadMs <= 0 || probe.records <= 0) return topicRecords;
  const fits = Math.floor((probe.records * maxReadMs) / Math.max(probe.totalMs, 1));
  return Math.min(topicRecords, Math.max(fits, probe.records));
}

/**
 * How long a timed run may last before the next client needs a settle read: the bench machines' kernel
 * pages out file pages left untouched for a minute (a DAMON `pageout` scheme: age of 12 aggregation
 * intervals of 5 s), so a run this long leaves the part of the topic it read first, or never read (a
 * prefix), on disk for whoever reads next. Half the minute, for margin.
 */
export const SETTLE_AFTER_MS = 30_000;

/**
 * @returns whether a client's timed reads of `records` will last `SETTLE_AFTER_MS` or more, projected
 *   from its probe read (such a client runs last in each round: see `roundOrder`).
 */
export function readsLong(
  records: number,
  probe: { readonly records: number; readonly totalMs: number },
): boolean {
  return probe.records > 0 && (probe.totalMs * records) / probe.records >= SETTLE_AFTER_MS;
}

/**
 * @returns whether the sizing client should read the whole topic, untimed, before the next timed run:
 *   after a prefix read, or a run of `SETTLE_AFTER_MS` or longer.
 */
export function needsSettleRead(
  run: { readonly usage?: { readonly wallMs: number }; readonly report?: { readonly totalMs: number } },
  readPrefix: boolean,
): boolean {
  return readPrefix || (run.usage?.wallMs ?? run.report?.totalMs ?? 0) >= SETTLE_AFTER_MS;
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
