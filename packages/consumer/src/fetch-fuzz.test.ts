import {
  type CompressionCodec,
  getCompressionCodec,
  RunnelError,
  registerCompressionCodec,
  unregisterCompressionCodec,
} from '@runnel/codec';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from './fetcher.js';
import { response, setup, tick } from './test-support/fetcher-fake.js';
import { answerFor, buildLog, logItem, type PartitionLog } from './test-support/fuzz-log.js';

const MiB = 1024 * 1024;
const MAX_BUFFERED = MiB;
const MAX_DECOMPRESSED = 1.5 * MiB;

/** Bytes every codec has decompressed so far (each codec wrapped while this file runs). */
let decompressed = 0;
const CODEC_TYPES = [1, 2, 3, 4];

beforeAll(() => {
  for (const type of CODEC_TYPES) {
    const codec = getCompressionCodec(type);
    const counting: CompressionCodec = {
      name: codec.name,
      compress: (data) => codec.compress(data),
      decompress: (data, maxSize) => {
        const out = codec.decompress(data, maxSize);
        decompressed += out.length;
        return out;
      },
    };
    registerCompressionCodec(type, counting);
  }
});

afterAll(() => {
  for (const type of CODEC_TYPES) unregisterCompressionCodec(type);
});

// The fetcher alone, in this process, over many more generated logs than the user-process property
// (fetch-fuzz.int.test.ts) can afford: nothing is decompressed when an answer arrives, one take
// decompresses one chunk at most, what it accounts stays within maxBufferedBytes and one batch even
// while the user holds batches, and every take is records in order or a typed error.
describe('the fetcher under generated partition logs', () => {
  it('keeps its memory within maxBufferedBytes plus one batch and hands out records in order or typed errors', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(logItem(2 * MiB), { minLength: 1, maxLength: 10 }),
        fc.array(logItem(2 * MiB), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 0, max: 2 }),
        async (items0, items1, holdMax) => {
          const logs: PartitionLog[] = [buildLog(items0), buildLog(items1)];
          const { cluster, fetcher, clock } = await setup(
            {
              maxBufferedBytes: MAX_BUFFERED,
              maxDecompressedSize: MAX_DECOMPRESSED,
              maxPartitionFetchBytes: 64 * 1024,
              fetchMaxBytes: 512 * 1024,
              retryBackoffMs: 1,
            },
            [0, 1],
          );
          const held: Delivery[] = [];
          const last = [-1, -1];
          let answered = 0;
          for (let step = 0; step < 120; step++) {
            const pending = cluster.fetches[answered];
            if (pending) {
              answered++;
              const parts = pending.request.topics[0]!.partitions.map((p) => ({
                partitionIndex: p.partition,
                records: answerFor(logs[p.partition]!, Number(p.fetchOffset), p.partitionMaxBytes),
              }));
              // Session id 0: no fetch session, so every request names every partition it wants.
              pending.respond({ ...response(parts), sessionId: 0 });
            }
            const beforeAnswer = decompressed;
            // About the time a step took on the real clock: retry backoffs of 1 ms and more pass.
            clock.advance(2);
            await tick();
            // Answers are kept compressed: decompression happens when the user takes, within the bound.
            expect(decompressed).toBe(beforeAnswer);
            const beforeTake = decompressed;
            const taken = fetcher.take();
            expect(decompressed - beforeTake).toBeLessThanOrEqual(2 * MAX_DECOMPRESSED + 64 * 1024);
            if (taken && 'error' in taken) {
              expect(taken.error).toBeInstanceOf(RunnelError);
              expect((taken.error as RunnelError).code).toMatch(/^ERR_[A-Z_]+$/);
            } else if (taken) {
              const { batch } = taken.delivery;
              const offsets = batch.records.map((r) => r.offset);
              expect(offsets[0]).toBeGreaterThan(last[batch.partition]!);
              expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
              expect(offsets.at(-1)).toBeLessThan(logs[batch.partition]!.end);
              last[batch.partition] = offsets.at(-1)!;
              held.push(taken.delivery);
            }
            expect(fetcher.bufferedBytes).toBeLessThanOrEqual(MAX_BUFFERED + MAX_DECOMPRESSED + 256 * 1024);
            while (held.length > holdMax) fetcher.finish(held.shift()!);
          }
          fetcher.close();
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
