/**
 * Bad input must end in a DecodeError (or a subclass), never a RangeError, a hang or an allocation
 * sized by an untrusted length. These properties feed random and mutated bytes to every decoder.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getCompressionCodec } from './compression/registry.js';
import { DecodeError } from './errors.js';
import { decodeControlRecord } from './record/control.js';
import { decodeRecordBatches } from './record/decode.js';
import { encodeRecordBatch } from './record/encode.js';
import type { RecordBatch } from './record/types.js';

const CAP = 64 * 1024;
/**
 * CPU time one decode may take: a spin or a super-linear walk shows as CPU, while a loaded machine
 * only stretches wall time (a 200 ms wall-clock bound failed once in a run at load 40).
 */
const CPU_LIMIT_MS = 1_000;

/** Touches every field of every record, the way a consumer would. */
function consume(batches: RecordBatch[]): number {
  let seen = 0;
  for (const batch of batches) {
    void [batch.baseOffsetBig, batch.lastOffsetBig, batch.producerIdBig, batch.timestampType];
    for (const record of batch) {
      void [record.offsetBig, record.timestampBig, record.key, record.value, record.headers, record.sequence];
      if (batch.isControl) {
        try {
          decodeControlRecord(record);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }
      seen += record.value?.length ?? 0;
    }
  }
  return seen;
}

/** Runs `fn` and requires it to end with a result or a DecodeError, within its CPU budget. */
function expectTypedOutcome(fn: () => unknown): void {
  const started = process.cpuUsage();
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
  }
  const used = process.cpuUsage(started);
  expect((used.user + used.system) / 1000).toBeLessThan(CPU_LIMIT_MS);
}

const sampleBatches = [0, 1, 2, 3, 4].map((compression) =>
  encodeRecordBatch({
    baseOffset: 1000,
    compression,
    isTransactional: compression === 2,
    isControl: compression === 0,
    producerId: 9,
    records: Array.from({ length: 5 }, (_, i) => ({
      key: new TextEncoder().encode(`key-${i}`),
      value: new TextEncoder().encode(`value ${i} `.repeat(i + 1)),
      headers: [{ key: 'h', value: new Uint8Array([i]) }],
      timestamp: 1_700_000_000_000 + i,
    })),
  }),
);

describe('decoders on hostile input', () => {
  it('end arbitrary bytes in a DecodeError or a result, quickly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, verifyCrc) => {
        expectTypedOutcome(() =>
          consume(decodeRecordBatches(bytes, { verifyCrc, maxDecompressedSize: CAP })),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('end arbitrary bytes behind a plausible batch header in a DecodeError or a result', () => {
    const header = sampleBatches[0]!.subarray(0, 17);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 44, maxLength: 300 }), (tail) => {
        const bytes = new Uint8Array(17 + tail.length);
        bytes.set(header);
        bytes.set(tail, 17);
        new DataView(bytes.buffer).setInt32(8, bytes.length - 12);
        expectTypedOutcome(() =>
          consume(decodeRecordBatches(bytes, { verifyCrc: false, maxDecompressedSize: CAP })),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('end mutated real batches of every compression type in a DecodeError or a result', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...sampleBatches),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (original, flips, cut) => {
          const bytes = original.slice(0, original.length - (cut % 4));
          for (const [at, flip] of flips) bytes[at % bytes.length]! ^= flip;
          expectTypedOutcome(() =>
            consume(decodeRecordBatches(bytes, { verifyCrc: false, maxDecompressedSize: CAP })),
          );
          expectTypedOutcome(() => consume(decodeRecordBatches(bytes, { maxDecompressedSize: CAP })));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never let a compressed payload grow past the cap', () => {
    const zeros = new Uint8Array(CAP * 4);
    for (const type of [1, 2, 3, 4]) {
      const bomb = encodeRecordBatch({ compression: type, records: [{ value: zeros }] });
      expect(() => consume(decodeRecordBatches(bomb, { maxDecompressedSize: CAP }))).toThrow(DecodeError);
      expect(
        getCompressionCodec(type).decompress(getCompressionCodec(type).compress(zeros), CAP * 4),
      ).toHaveLength(CAP * 4);
    }
  });

  it('keep memory bounded while decoding many hostile inputs', () => {
    const before = process.memoryUsage().rss;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 12, maxLength: 200 }), (bytes) => {
        // Claim huge sizes everywhere: batch length, record count, varint lengths.
        new DataView(bytes.buffer).setInt32(8, Math.min(bytes.length - 12, 0x7fffffff));
        expectTypedOutcome(() =>
          consume(decodeRecordBatches(bytes, { verifyCrc: false, maxDecompressedSize: CAP })),
        );
      }),
      { numRuns: 500 },
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  });
});
