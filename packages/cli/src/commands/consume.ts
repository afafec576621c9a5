/**
 * `runnel consume` and `runnel tail`: print records of topics, without a group (partitions assigned by
 * hand, each from its own start offset) or in one (`--group`, offsets committed as records are
 * printed). Without `--follow` it stops at the end offsets read at start.
 */
import { Consumer, type ConsumerBatch, type IsolationLevel, type TopicPartition } from '@runnel/consumer';
import type { TopicMetadata } from '@runnel/network';
import { Admin, keyOf } from '../admin.js';
import type { CommandContext } from '../context.js';
import { CliTimeoutError, UsageError } from '../errors.js';
import { colorsFor, Output } from '../io.js';
import { lookupsFor, type PositionSpec, resolvePosition } from '../positions.js';
import { ProgressLine } from '../progress.js';
import { type RecordFormatOptions, recordFormatter } from '../record-format.js';

/** What `consume` was asked to do. */
export interface ConsumeOptions {
  readonly topics: readonly string[];
  /** `--group`; null to read without a group (the `--config` file's `group.id` counts too). */
  readonly groupId: string | null;
  readonly groupProtocol: 'classic' | 'consumer' | null;
  readonly from: PositionSpec;
  /** `--partition`; null for every partition. */
  readonly partitions: readonly number[] | null;
  /** `--count`; null for no limit. */
  readonly count: number | null;
  readonly follow: boolean;
  readonly isolation: IsolationLevel | null;
  readonly format: RecordFormatOptions;
}

/** How often the end of the partitions and the progress line are looked at. */
const TICK_MS = 200;

/**
 * Prints records until `--count` is reached, the end offsets read at start are reached (without
 * `--follow`), the reader of stdout goes away, or the context's signal aborts.
 * @returns once the consumer is closed (its offsets committed, in a group).
 * @throws UsageError for options that do not go together; TopicNotFoundError; UsageError for a
 *   partition the topic lacks; CliTimeoutError when the brokers do not answer within `--timeout`
 *   (also while reading without a group: no position moving for that long);
 *   RecordFormatError; what the consumer's iterator throws (AuthenticationError, KafkaProtocolError...).
 */
export async function consume(ctx: CommandContext, options: ConsumeOptions): Promise<void> {
  const { io, settings } = ctx;
  const groupId = options.groupId ?? settings.config.groupId ?? null;
  if (groupId !== null) checkGroupOptions(options);
  const isolationLevel = options.isolation ?? settings.config.isolationLevel ?? 'read_committed';
  const admin = new Admin(settings, ctx.logger);
  const out = new Output(io.stdout);
  const progress = new ProgressLine(
    io.stderr,
    io.stderr.isTTY === true,
    colorsFor(io.stderr, io.env),
    io.now,
  );
  const print = recordFormatter(options.format, colorsFor(io.stdout, io.env));
  const counts = { records: 0, bytes: 0 };
  let consumer: Consumer | null = null;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let stalled: CliTimeoutError | null = null;
  let finished = false;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  ctx.signal.addEventListener('abort', onSignal, { once: true });
  if (ctx.signal.aborted) stop.abort();
  try {
    const partitions = selectPartitions(await admin.topics(options.topics), options.partitions);
    // Only the partition list comes from it; its time limit (`bounded`) still serves below.
    await admin.close();
    consumer = new Consumer({
      ...settings.config,
      groupId: groupId ?? undefined,
      ...(options.groupProtocol === null ? {} : { groupProtocol: options.groupProtocol }),
      isolationLevel,
      autoOffsetReset: options.from.kind === 'latest' ? 'latest' : 'earliest',
      defaultApiTimeoutMs: settings.timeoutMs,
      logger: ctx.logger,
    });
    // Looked up through the consumer, so that its metadata and connections are ready when it fetches.
    const { latest, starts } = await admin.bounded(
      'looking up offsets',
      lookUp(consumer, partitions, groupId === null ? options.from : null),
    );
    const ends = options.follow ? null : latest;
    const toRead = partitions.filter(
      (tp) => ends === null || starts === null || starts.get(keyOf(tp))! < ends.get(keyOf(tp))!,
    );
    if (toRead.length === 0 || stop.signal.aborted) {
      finished = true;
      return;
    }
    const reading = consumer;
    if (starts === null) {
      reading.subscribe(options.topics);
    } else {
      reading.assign(toRead);
      for (const tp of toRead) reading.seek(tp, starts.get(keyOf(tp))!);
    }
    const endOf = (tp: TopicPartition) => (ends === null ? Number.POSITIVE_INFINITY : ends.get(keyOf(tp))!);
    // Reading up to offsets that exist, without a group to wait for: no position moving for
    // `--timeout` means the brokers stopped answering, not that there is nothing to read.
    const stalls = starts !== null && ends !== null;
    let moved = { at: io.now(), positions: positionSum(reading) };
    // A referenced timer: while it runs the process cannot end silently, whatever the consumer's
    // own (unreferenced) timers and sockets do.
    ticker = setInterval(() => {
      if (ends !== null && atEnd(reading, ends)) stop.abort();
      const positions = positionSum(reading);
      if (positions !== moved.positions) moved = { at: io.now(), positions };
      else if (stalls && io.now() - moved.at > settings.timeoutMs && stalled === null) {
        stalled = new CliTimeoutError(`reading ${options.topics.join(', ')}`, settings.timeoutMs, {
          cause: ctx.logger.lastError,
        });
        stop.abort();
      }
      progress.draw({ ...counts, remaining: remainingRecords(reading, ends) });
    }, TICK_MS);

    for await (const batch of reading.batches({ signal: stop.signal })) {
      const { text, cut } = printBatch(batch, endOf(batch), options.count, counts, print);
      progress.clear();
      await out.write(text);
      // In a group, what is committed must be what was printed: move the partition back to the
      // first record left out (a seek also stops this batch from counting as consumed).
      if (cut !== null && groupId !== null) reading.seek(batch, cut);
      if (cut !== null || batch.nextOffset >= endOf(batch)) reading.pause([batch]);
      if (out.closed || (options.count !== null && counts.records >= options.count)) break;
      if (ends !== null && atEnd(reading, ends)) break;
    }
    if (stalled !== null) throw stalled;
    finished = true;
  } finally {
    ctx.signal.removeEventListener('abort', onSignal);
    clearInterval(ticker);
    // A summary only for a run that read; a failure leaves the terminal to its error line.
    if (finished && consumer !== null) progress.finish({ ...counts, remaining: null });
    else progress.clear();
    await consumer?.close({ timeoutMs: settings.timeoutMs });
    await admin.close();
  }
}

function checkGroupOptions(options: ConsumeOptions): void {
  if (options.partitions !== null) {
    throw new UsageError('cannot be used with --group (the group assigns the partitions)', '--partition');
  }
  if (options.from.kind !== 'earliest' && options.from.kind !== 'latest') {
    throw new UsageError(
      'with --group takes earliest or latest: where to start in partitions the group has no offset for',
      '--from',
    );
  }
}

/**
 * @returns the partitions to read: every partition of each topic, or those `--partition` names.
 * @throws UsageError for a partition number some topic does not have.
 */
function selectPartitions(
  topics: readonly TopicMetadata[],
  wanted: readonly number[] | null,
): TopicPartition[] {
  const out: TopicPartition[] = [];
  for (const t of topics) {
    const count = t.partitions.length;
    for (const partition of wanted ?? [...Array(count).keys()]) {
      if (partition >= count) {
        throw new UsageError(
          `topic ${t.name} has ${count} partition(s), 0 to ${count - 1}; got ${partition}`,
          '--partition',
        );
      }
      out.push({ topic: t.name, partition });
    }
  }
  return out;
}

/**
 * Looks up the end offset of each partition (the last stable offset under read_committed) and, without
 * a group, where each starts as `--from` says; the lookups go out together.
 * @returns the end offsets, and the start offsets (null when a group decides where to start).
 * @throws what the consumer's `watermarks` and `offsetsForTimes` throw.
 */
async function lookUp(
  consumer: Consumer,
  partitions: readonly TopicPartition[],
  from: PositionSpec | null,
): Promise<{ latest: Map<string, number>; starts: Map<string, number> | null }> {
  const needs = from === null ? { earliest: false, timestamp: null } : lookupsFor(from);
  const byKey = <V>(found: ReadonlyMap<TopicPartition, V>) =>
    new Map([...found].map(([tp, value]) => [keyOf(tp), value]));
  const [latestFound, earliest, atTime] = await Promise.all([
    consumer.watermarks(partitions, 'latest').then(byKey),
    needs.earliest ? consumer.watermarks(partitions, 'earliest').then(byKey) : null,
    needs.timestamp === null
      ? null
      : consumer
          .offsetsForTimes(partitions.map((tp) => ({ ...tp, timestamp: needs.timestamp! })))
          .then(byKey),
  ]);
  const latest = new Map(partitions.map((tp) => [keyOf(tp), Math.max(0, latestFound.get(keyOf(tp)) ?? 0)]));
  if (from === null) return { latest, starts: null };
  const starts = new Map(
    partitions.map((tp) => {
      const key = keyOf(tp);
      const bounds = {
        earliest: Math.max(0, earliest?.get(key) ?? 0),
        latest: latest.get(key)!,
        atTimestamp: atTime?.get(key)?.offset ?? null,
      };
      return [key, resolvePosition(from, bounds)];
    }),
  );
  return { latest, starts };
}

/**
 * Formats a batch's records that lie before `end`, up to `count` records in all.
 * @returns the text, and the offset of the first record left out (null when none was).
 */
function printBatch(
  batch: ConsumerBatch,
  end: number,
  count: number | null,
  counts: { records: number; bytes: number },
  print: (r: ConsumerBatch['records'][number]) => string,
): { text: string; cut: number | null } {
  let text = '';
  for (const r of batch.records) {
    if (r.offset >= end || (count !== null && counts.records >= count)) return { text, cut: r.offset };
    text += print(r);
    counts.records++;
    counts.bytes += (r.key?.byteLength ?? 0) + (r.value?.byteLength ?? 0);
  }
  return { text, cut: null };
}

/** @returns whether every assigned partition's position reached its end offset (and one is assigned). */
function atEnd(consumer: Consumer, ends: ReadonlyMap<string, number>): boolean {
  const lags = consumer.lag();
  return (
    lags.length > 0 &&
    lags.every((l) => l.position !== null && l.position >= (ends.get(keyOf(l)) ?? Number.POSITIVE_INFINITY))
  );
}

/** @returns the sum of the assigned partitions' positions (-1 for each not yet known): it moves when reading does. */
function positionSum(consumer: Consumer): number {
  return consumer.lag().reduce((sum, l) => sum + (l.position ?? -1), 0);
}

/** @returns the records left before the end offsets (or, following, the current lag); null while unknown. */
function remainingRecords(consumer: Consumer, ends: ReadonlyMap<string, number> | null): number | null {
  let sum = 0;
  for (const l of consumer.lag()) {
    if (ends === null) {
      if (l.lag === null) return null;
      sum += l.lag;
    } else {
      const end = ends.get(keyOf(l)) ?? 0;
      sum += Math.max(0, end - (l.position ?? end));
    }
  }
  return sum;
}
