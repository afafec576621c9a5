/**
 * Interoperability with Kafka's Java code through a real broker:
 * - batches written by the Java producer (each codec, keys and headers; a transaction with its commit
 *   and abort markers) are read back from the broker's log segment and must decode right;
 * - batches this codec encodes (each codec) are sent in a Produce request, accepted by the broker and
 *   read back by the Java consumer.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CompressionType,
  ControlRecordType,
  decodeControlRecord,
  decodeRecordBatches,
  encodeRecordBatch,
  type KafkaRecord,
  Reader,
  type RecordBatch,
  type RecordInput,
  setNativeDecompression,
  Writer,
} from '@runnel/codec';
import { compileJava } from '@runnel/kafka-local';
import { testCluster } from '@runnel/kafka-local/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const COUNT = 20;
const suffix = Date.now().toString(36);
const classes = mkdtempSync(join(tmpdir(), 'runnel-codec-interop-'));
const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('hex'));
const utf8 = (s: string) => new TextEncoder().encode(s);

async function java(args: string[]): Promise<string> {
  const cluster = testCluster();
  const result = await cluster.runJava('CodecInterop', args, { classpath: [classes], timeoutMs: 170_000 });
  if (result.code !== 0)
    throw new Error(`CodecInterop ${args[0]} failed:\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

/**
 * Asks the broker (LogDirsCommand) where it keeps its log, then reads partition 0's segments in order
 * (the broker rolls a segment early when record timestamps are old, as these are).
 */
async function readLog(topic: string): Promise<Uint8Array> {
  const cluster = testCluster();
  const result = await cluster.runJava('org.apache.kafka.tools.LogDirsCommand', [
    '--bootstrap-server',
    cluster.bootstrap,
    '--describe',
    '--topic-list',
    topic,
  ]);
  const json = result.stdout.split('\n').find((line) => line.startsWith('{'));
  if (json === undefined)
    throw new Error(`LogDirsCommand printed no JSON:\n${result.stdout}\n${result.stderr}`);
  const described = JSON.parse(json) as {
    brokers: { logDirs: { logDir: string; partitions: { partition: string }[] }[] }[];
  };
  const dir = described.brokers
    .flatMap((b) => b.logDirs)
    .find((d) => d.partitions.some((p) => p.partition === `${topic}-0`));
  if (dir === undefined) throw new Error(`no log dir holds ${topic}-0: ${json}`);
  const partitionDir = join(dir.logDir, `${topic}-0`);
  const segments = readdirSync(partitionDir)
    .filter((name) => name.endsWith('.log'))
    .sort();
  return new Uint8Array(Buffer.concat(segments.map((name) => readFileSync(join(partitionDir, name)))));
}

/** Sends one record batch in a Produce request (v7: zstd needs 7 or later) over a plain socket and returns the partition's result. */
async function produceBatch(
  topic: string,
  batch: Uint8Array,
): Promise<{ errorCode: number; baseOffset: bigint }> {
  const cluster = testCluster();
  const broker = cluster.brokers[0]!;
  const w = new Writer(batch.length + 128);
  const size = w.reserveInt32();
  w.writeInt16(0).writeInt16(7).writeInt32(1).writeNullableString('runnel-codec-interop');
  w.writeNullableString(null).writeInt16(-1).writeInt32(30_000);
  w.writeArrayLength(1).writeString(topic);
  w.writeArrayLength(1).writeInt32(0).writeNullableBytes(batch);
  w.patchInt32(size, w.length - 4);
  const request = w.finish();
  const response = await new Promise<Uint8Array>((resolve, reject) => {
    const socket = connect(broker.port, broker.host, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) {
        socket.end();
        resolve(new Uint8Array(all.subarray(4)));
      }
    });
    socket.on('error', reject);
    socket.setTimeout(60_000, () => socket.destroy(new Error('produce timed out')));
  });
  const r = new Reader(response);
  expect(r.readInt32()).toBe(1); // correlation id
  expect(r.readArrayLength()).toBe(1);
  expect(r.readString()).toBe(topic);
  expect(r.readArrayLength()).toBe(1);
  expect(r.readInt32()).toBe(0);
  const errorCode = r.readInt16();
  const baseOffset = r.readInt64();
  return { errorCode, baseOffset };
}

function records(batches: RecordBatch[]): KafkaRecord[] {
  return batches.filter((b) => !b.isControl).flatMap((b) => b.toArray());
}

beforeAll(async () => {
  const cluster = testCluster();
  await compileJava({
    version: cluster.version,
    sources: [fileURLToPath(new URL('./java/CodecInterop.java', import.meta.url))],
    outDir: classes,
  });
  await java([
    'create-topics',
    cluster.bootstrap,
    ...CODECS.flatMap((c) => [`java-to-runnel-${c}-${suffix}`, `runnel-to-java-${c}-${suffix}`]),
    `java-transactions-${suffix}`,
  ]);
});

afterAll(() => rmSync(classes, { recursive: true, force: true }));

describe('batches written by the Java producer', () => {
  it('decode right for every compression codec, with keys, headers and timestamps', async () => {
    await java([
      'produce',
      testCluster().bootstrap,
      String(COUNT),
      ...CODECS.map((c) => `java-to-runnel-${c}-${suffix}:${c}`),
    ]);
    // lz4 and snappy blocks decode in JS and natively (lz4-napi, snappy: the codec's dev dependencies).
    for (const [codec, mode] of CODECS.flatMap((c) =>
      (['js', 'native'] as const).map((m) => [c, m] as const),
    )) {
      setNativeDecompression('lz4', mode);
      setNativeDecompression('snappy', mode);
      const batches = decodeRecordBatches(await readLog(`java-to-runnel-${codec}-${suffix}`), {
        eager: true,
      });
      expect(batches.length).toBeGreaterThan(0);
      for (const batch of batches) {
        expect(batch.magic).toBe(2);
        expect(batch.compression).toBe(codec === 'none' ? 0 : CompressionType[codec]);
      }
      const got = records(batches);
      expect(got.map((r) => r.offset)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
      got.forEach((r, i) => {
        expect(hex(r.key)).toBe(hex(utf8(`key-${i}`)));
        expect(hex(r.value)).toBe(hex(utf8(`value ${i} `.repeat(1 + (i % 5)))));
        expect(r.timestamp).toBe(1_700_000_000_000 + i);
        expect(r.headers.map((h) => [h.key, hex(h.value)])).toEqual([
          ['trace', hex(utf8(`t-${i}`))],
          ['empty', null],
        ]);
      });
    }
    setNativeDecompression('lz4', 'auto');
    setNativeDecompression('snappy', 'auto');
  });

  it('mark transactional batches and end them with commit and abort control records', async () => {
    const topic = `java-transactions-${suffix}`;
    await java(['produce-tx', testCluster().bootstrap, topic]);
    const batches = decodeRecordBatches(await readLog(topic), { eager: true });
    const layout = batches.map((b) => `${b.baseOffset}..${b.lastOffset}${b.isControl ? ' control' : ''}`);
    expect(layout).toEqual(['0..2', '3..3 control', '4..5', '6..6 control']);
    const data = batches.filter((b) => !b.isControl);
    const control = batches.filter((b) => b.isControl);
    expect(data.every((b) => b.isTransactional && b.producerId >= 0)).toBe(true);
    expect(records(batches).map((r) => hex(r.key))).toEqual(
      [0, 1, 2, 3, 4].map((i) => hex(utf8(`key-${i}`))),
    );
    expect(control.map((b) => decodeControlRecord(b.toArray()[0]!).type)).toEqual([
      ControlRecordType.commit,
      ControlRecordType.abort,
    ]);
    expect(control.every((b) => b.isTransactional && b.producerId === data[0]!.producerId)).toBe(true);
    // The commit marker follows the three committed records, the abort marker the two aborted ones.
    expect(control.map((b) => b.baseOffset)).toEqual([3, 6]);
  });
});

describe('batches encoded by the codec', () => {
  const input: RecordInput[] = Array.from({ length: 10 }, (_, i) => ({
    key: i === 3 ? null : utf8(`k${i}`),
    value: i === 4 ? null : utf8(`payload ${i} `.repeat(i + 1)),
    timestamp: Date.now() + i,
    headers:
      i % 2 === 0
        ? [
            { key: 'h', value: utf8(`${i}`) },
            { key: 'null', value: null },
          ]
        : [],
  }));

  it('are accepted by a real broker and read by the Java consumer, for every codec', async () => {
    for (const codec of CODECS) {
      const batch = encodeRecordBatch({
        compression: codec === 'none' ? 0 : CompressionType[codec],
        records: input,
      });
      const result = await produceBatch(`runnel-to-java-${codec}-${suffix}`, batch);
      expect({ codec, ...result }).toEqual({ codec, errorCode: 0, baseOffset: 0n });
    }
    const out = await java([
      'consume',
      testCluster().bootstrap,
      '10',
      ...CODECS.map((c) => `runnel-to-java-${c}-${suffix}`),
    ]);
    const lines = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map(
        (l) =>
          JSON.parse(l) as {
            topic: string;
            offset: number;
            timestamp: number;
            key: string | null;
            value: string | null;
            headers: [string, string | null][];
          },
      );
    for (const codec of CODECS) {
      const seen = lines.filter((l) => l.topic === `runnel-to-java-${codec}-${suffix}`);
      expect(seen.map((l) => l.offset)).toEqual(input.map((_, i) => i));
      seen.forEach((l, i) => {
        const want = input[i]!;
        expect(l.key).toBe(hex(want.key ?? null));
        expect(l.value).toBe(hex(want.value));
        expect(l.timestamp).toBe(want.timestamp);
        expect(l.headers).toEqual((want.headers ?? []).map((h) => [h.key, hex(h.value)]));
      });
    }
  });
});
