import {
  type CompressionCodec,
  CompressionType,
  CorruptRecordError,
  DecompressedSizeError,
  encodeRecordBatch,
  gzipCodec,
  registerCompressionCodec,
  unregisterCompressionCodec,
} from '@runnel/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordTooLargeError } from './errors.js';
import type { Delivery, Fetcher } from './fetcher.js';
import { concatBytes } from './test-support/bytes.js';
import { records, response, setup, tick } from './test-support/fetcher-fake.js';

const MiB = 1024 * 1024;

/** Concatenated batches of `count` gzip batches, each one record of `size` zero bytes (about 1000:1). */
function gzipBombs(baseOffset: number, count: number, size: number): Uint8Array {
  const parts = Array.from({ length: count }, (_, i) =>
    encodeRecordBatch({
      baseOffset: baseOffset + i,
      compression: CompressionType.gzip,
      records: [{ value: new Uint8Array(size) }],
    }),
  );
  return concatBytes(...parts);
}

/** Counts what gzip decompresses while installed in place of the built-in codec. */
function countingGzip(): { decompressed: () => number } {
  let total = 0;
  const codec: CompressionCodec = {
    name: 'gzip',
    compress: (data) => gzipCodec.compress(data),
    decompress: (data, maxSize) => {
      const out = gzipCodec.decompress(data, maxSize);
      total += out.length;
      return out;
    },
  };
  registerCompressionCodec(CompressionType.gzip, codec);
  return { decompressed: () => total };
}

/** Record framing adds a few bytes per batch to the values' own size. */
function expectAbout(actual: number, bytes: number): void {
  expect(actual).toBeGreaterThanOrEqual(bytes);
  expect(actual).toBeLessThan(bytes + 1_000);
}

function delivered(taken: ReturnType<Fetcher['take']>): Delivery {
  expect(taken && 'delivery' in taken).toBe(true);
  return (taken as { delivery: Delivery }).delivery;
}

afterEach(() => {
  unregisterCompressionCodec(CompressionType.gzip);
});

describe('Fetcher memory bound', () => {
  it('decompresses no more than maxBufferedBytes plus one batch while the user holds what it was given', async () => {
    const gzip = countingGzip();
    const { cluster, fetcher } = await setup(
      { maxBufferedBytes: 8 * MiB, maxPartitionFetchBytes: MiB },
      [0, 1, 2, 3],
    );
    await tick();
    // Four partitions of four 4 MiB batches each: 64 MiB once decompressed, 32 KiB on the wire.
    cluster.fetches[0]!.respond(
      response([0, 1, 2, 3].map((partitionIndex) => ({ partitionIndex, records: gzipBombs(0, 4, 4 * MiB) }))),
    );
    await tick();
    expect(gzip.decompressed()).toBe(0);
    const first = delivered(fetcher.take());
    const second = delivered(fetcher.take());
    expect([first.batch.records.length, second.batch.records.length]).toEqual([1, 1]);
    // 8 MiB held: the bound is reached, so nothing more is decompressed until the user lets go.
    expect(fetcher.take()).toBeNull();
    expectAbout(gzip.decompressed(), 8 * MiB);
    expect(fetcher.bufferedBytes).toBeGreaterThanOrEqual(8 * MiB);
    fetcher.finish(first);
    const third = delivered(fetcher.take());
    expect(third.partition.partition).not.toBe(second.partition.partition);
    expectAbout(gzip.decompressed(), 12 * MiB);
    fetcher.close();
  });

  it('hands out one batch at a time even when the user holds nothing and one batch is past the bound', async () => {
    const gzip = countingGzip();
    const { cluster, fetcher } = await setup({ maxBufferedBytes: MiB, maxPartitionFetchBytes: MiB });
    await tick();
    cluster.fetches[0]!.respond(response([{ partitionIndex: 0, records: gzipBombs(0, 3, 2 * MiB) }]));
    await tick();
    for (let i = 0; i < 3; i++) {
      const d = delivered(fetcher.take());
      expect(d.batch.firstOffset).toBe(i);
      expectAbout(gzip.decompressed(), (i + 1) * 2 * MiB);
      fetcher.finish(d);
    }
    expect(fetcher.bufferedBytes).toBe(0);
    fetcher.close();
  });

  it('fails a partition whose batch decompresses past maxDecompressedSize with DecompressedSizeError', async () => {
    const { cluster, fetcher } = await setup({ maxDecompressedSize: MiB });
    await tick();
    cluster.fetches[0]!.respond(response([{ partitionIndex: 0, records: gzipBombs(0, 1, 2 * MiB) }]));
    await tick();
    const taken = fetcher.take();
    expect(taken && 'error' in taken && taken.error).toBeInstanceOf(DecompressedSizeError);
    expect(fetcher.stats.fetchErrors).toBe(1);
    fetcher.close();
  });

  it('asks for less than fetchMaxBytes when the buffer has less room left', async () => {
    const { cluster, fetcher } = await setup({ maxBufferedBytes: 100_000, fetchMaxBytes: 1_000_000 }, [0, 1]);
    await tick();
    expect(cluster.fetches[0]!.request.maxBytes).toBe(100_000);
    fetcher.close();
  });
});

describe('Fetcher with an answer that holds no complete batch', () => {
  it('asks again with a doubled size after a backoff, up to fetchMaxBytes, then fails the partition with RecordTooLargeError', async () => {
    const { cluster, fetcher, p0, clock } = await setup({
      retryBackoffMs: 5,
      maxPartitionFetchBytes: 1024,
      fetchMaxBytes: 8192,
    });
    const whole = records(0, 50);
    const started = clock.now();
    for (let answered = 0; answered < 4; answered++) {
      while (cluster.fetches.length <= answered) {
        clock.advance(1);
        await tick();
      }
      cluster.fetches[answered]!.respond(response([{ partitionIndex: 0, records: whole.subarray(0, 100) }]));
      await tick();
    }
    const sizes = cluster.fetches.map((f) => f.request.topics[0]!.partitions[0]!.partitionMaxBytes);
    expect(sizes).toEqual([1024, 2048, 4096, 8192]);
    const taken = fetcher.take();
    expect(taken && 'error' in taken && taken.error).toBeInstanceOf(RecordTooLargeError);
    expect((taken as { error: RecordTooLargeError }).error).toMatchObject({ offset: 0, fetchSize: 8192 });
    expect(p0.position).toEqual({ offset: 0, leaderEpoch: -1 });
    // Stopped: no more requests for it, however long we wait.
    clock.advance(60_000);
    await tick();
    expect(cluster.fetches).toHaveLength(4);
    // Backoffs of 5, 10 and 20 ms, each with up to 20 % jitter, passed on the fetcher's clock.
    expect(clock.now() - started).toBeGreaterThanOrEqual(0.8 * (5 + 10 + 20));
    expect(fetcher.stats.fetchErrors).toBe(4);
    fetcher.close();
  });
});

describe('Fetcher error accounting', () => {
  it('counts partition errors and unreadable data as fetch errors, and hands out the records before a corrupt batch', async () => {
    const { cluster, fetcher } = await setup({}, [0, 1]);
    await tick();
    const good = records(0, 2);
    const bad = records(2, 1);
    bad[bad.length - 1]! ^= 0xff;
    const both = concatBytes(good, bad);
    cluster.fetches[0]!.respond(
      response([
        { partitionIndex: 0, records: both },
        { partitionIndex: 1, errorCode: 6 },
      ]),
    );
    await tick();
    expect(fetcher.stats.fetchErrors).toBe(1);
    const first = delivered(fetcher.take());
    expect(first.batch.records.map((r) => r.offset)).toEqual([0, 1]);
    fetcher.finish(first);
    const taken = fetcher.take();
    expect(taken && 'error' in taken && taken.error).toBeInstanceOf(CorruptRecordError);
    expect(fetcher.stats.fetchErrors).toBe(2);
    expect(first.partition.position).toEqual({ offset: 2, leaderEpoch: 7 });
    fetcher.close();
  });
});
