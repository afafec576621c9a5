/**
 * `pnpm bench:parallel`: what `run({ ordering: 'key', maxInFlight })` buys over one record at a time
 * per partition, on 1 partition with a handler that waits 5 ms (a stand-in for a call to another
 * service). A local broker's topic is filled with records over 100 keys; runs alternate between
 * ordering 'partition' and ordering 'key' (maxInFlight 100), each a fresh consumer reading from the
 * start. Records/s counts from the first record handled to the last, so connecting and fetching the
 * first batch stay out of it. Prints the medians and their ratio; writes results/<date>-parallel.{json,md}.
 *
 * usage: pnpm bench:parallel [--reps N] [--out DIR]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, type ConsumerRecord } from '@runnel/consumer';
import { javaProducer, runJava, startKafka } from '@runnel/kafka-local';
import { BENCH_DIR } from './e2e/paths.js';
import { median } from './e2e/stats.js';

const HANDLER_MS = 5;
const log = (message: string) =>
  process.stderr.write(`[parallel ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const KEYS = 100;
const MAX_IN_FLIGHT = 100;
/** Records per run: enough for several seconds of each (about 200/s one at a time, about 100x that in parallel). */
const RECORDS = { partition: 1_000, key: 40_000 } as const;
type Ordering = keyof typeof RECORDS;

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** @returns records/s of one run: a fresh consumer from the start of `topic` until `count` records are handled. */
async function measure(bootstrap: string, topic: string, ordering: Ordering): Promise<number> {
  const count = RECORDS[ordering];
  const consumer = new Consumer({ brokers: bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 });
  consumer.assign([{ topic, partition: 0 }]);
  let handled = 0;
  let first = 0;
  let last = 0;
  const stop = new AbortController();
  const started = performance.now();
  const eachRecord = async (_record: ConsumerRecord) => {
    if (first === 0) {
      first = performance.now();
      log(`${ordering}: first record after ${(first - started).toFixed(0)} ms`);
    }
    // Past the count, the rest of the batch in hand goes through at once: under 'partition' an abort
    // lets the batch in progress finish, which at 5 ms a record would be minutes.
    if (handled >= count) return;
    await sleep(HANDLER_MS);
    if (++handled === count) {
      last = performance.now();
      stop.abort();
    }
  };
  const options =
    ordering === 'key'
      ? { eachRecord, ordering, maxInFlight: MAX_IN_FLIGHT, signal: stop.signal }
      : { eachRecord, signal: stop.signal };
  await consumer.run(options as Parameters<Consumer['run']>[0]);
  const closing = performance.now();
  await consumer.close();
  log(`${ordering}: closed in ${(performance.now() - closing).toFixed(0)} ms`);
  log(`${ordering}: ${count} records in ${(last - first).toFixed(0)} ms`);
  return ((count - 1) / (last - first)) * 1_000;
}

async function main(): Promise<void> {
  const reps = Number(option('--reps') ?? 3);
  const outDir = resolve(option('--out') ?? join(BENCH_DIR, 'results'));
  const cluster = await startKafka();
  const rates: Record<Ordering, number[]> = { partition: [], key: [] };
  try {
    const topic = 'parallel-bench';
    const java = {
      bootstrap: cluster.bootstrap,
      version: cluster.version,
      runJava: (mainClass: string, args: readonly string[] = [], options = {}) =>
        runJava({ ...options, version: cluster.version, mainClass, args }),
    };
    log(`Kafka ${cluster.version} ready; filling ${topic}`);
    await javaProducer(java, 'create', 1, topic);
    await javaProducer(java, 'keyed', topic, RECORDS.key, KEYS);
    log('filled');
    for (let rep = 0; rep < reps; rep++) {
      // Interleaved, so that a slow moment of the machine hits both.
      for (const ordering of ['partition', 'key'] as const) {
        const rate = await measure(cluster.bootstrap, topic, ordering);
        rates[ordering].push(rate);
        log(`rep ${rep + 1} ${ordering}: ${rate.toFixed(0)} records/s`);
      }
    }
  } finally {
    await cluster.stop();
  }
  const partition = median(rates.partition) ?? Number.NaN;
  const key = median(rates.key) ?? Number.NaN;
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    kafka: cluster.version,
    loadAverage: loadavg(),
    settings: {
      partitions: 1,
      handlerMs: HANDLER_MS,
      keys: KEYS,
      maxInFlight: MAX_IN_FLIGHT,
      records: RECORDS,
      reps,
    },
    rates,
    median: { partition, key },
    ratio: key / partition,
  };
  const md = [
    `# Parallel processing (${result.date.slice(0, 10)}, Node ${process.version}, Kafka ${cluster.version})`,
    '',
    `1 partition, handler waiting ${HANDLER_MS} ms, ${KEYS} keys; median of ${reps} interleaved runs.`,
    '',
    '| ordering | records/s (median) |',
    '| --- | ---: |',
    `| partition | ${partition.toFixed(0)} |`,
    `| key, maxInFlight ${MAX_IN_FLIGHT} | ${key.toFixed(0)} |`,
    '',
    `key / partition: ${result.ratio.toFixed(1)}x`,
    '',
  ].join('\n');
  await mkdir(outDir, { recursive: true });
  const stem = join(outDir, `${result.date.slice(0, 10)}-parallel`);
  await writeFile(`${stem}.json`, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(`${stem}.md`, md);
  process.stdout.write(md);
}

await main();
