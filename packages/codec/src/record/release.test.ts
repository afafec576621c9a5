import { afterEach, describe, expect, it } from 'vitest';
import { setNativeDecompression } from '../compression/native.js';
import { CompressionType } from '../compression/types.js';
import { RecordReleasedError } from '../errors.js';
import { decodeRecordBatches } from './decode.js';
import { encodeRecordBatch } from './encode.js';
import { DefaultRecordBatch } from './record-batch.js';

const text = (s: string) => new TextEncoder().encode(s);

const CODECS = [
  ['gzip', CompressionType.gzip],
  ['snappy', CompressionType.snappy],
  ['lz4', CompressionType.lz4],
  ['zstd', CompressionType.zstd],
] as const;

/** The one v2 batch of `bytes`. */
function v2Batch(bytes: Uint8Array): DefaultRecordBatch {
  const [batch] = decodeRecordBatches(bytes);
  expect(batch).toBeInstanceOf(DefaultRecordBatch);
  return batch as DefaultRecordBatch;
}

/** Bytes that compress well but not to nothing: every decoder takes its multi-block path. */
function payload(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + seed + (i >> 9)) & 0x3f;
  return out;
}

describe('releasing a record batch', () => {
  afterEach(() => {
    setNativeDecompression('lz4', 'auto');
    setNativeDecompression('snappy', 'auto');
  });

  it('ends its records: key, value and headers throw RecordReleasedError, offsets and timestamps stay', () => {
    const bytes = encodeRecordBatch({
      baseOffset: 40n,
      records: [
        { key: text('k'), value: text('v'), timestamp: 1_000, headers: [{ key: 'h', value: text('x') }] },
        { key: null, value: null, timestamp: 2_000 },
      ],
    });
    const batch = v2Batch(bytes);
    const [first, second] = batch.toArray();
    expect(first!.headers).toHaveLength(1);
    // Uncompressed records are views of the fetched bytes: nothing of the batch's own to free.
    expect(batch.release()).toBe(false);
    expect(batch.released).toBe(true);
    for (const record of [first!, second!]) {
      for (const read of [() => record.key, () => record.value, () => record.headers]) {
        const error = (() => {
          try {
            read();
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        expect(error).toBeInstanceOf(RecordReleasedError);
        expect(error).toMatchObject({ code: 'ERR_RECORD_RELEASED', baseOffset: 40n });
      }
    }
    expect([first!.offset, second!.offset]).toEqual([40, 41]);
    expect([first!.timestamp, second!.timestamp]).toEqual([1_000, 2_000]);
    expect(() => batch.toArray()).toThrow(RecordReleasedError);
    expect(batch.release()).toBe(false);
    // The fetched bytes are untouched.
    expect(bytes.byteLength).toBeGreaterThan(0);
  });

  it.each(CODECS)('frees the decompressed bytes of a large %s batch, which are its own', (_, compression) => {
    const value = payload(300_000, 1);
    const bytes = encodeRecordBatch({ compression, records: [{ value }, { value: text('tail') }] });
    const batch = v2Batch(bytes);
    const [record] = batch.toArray();
    const view = record!.value!;
    // Buffer's compare, not toEqual: a deep compare of 300,000 elements takes half a second.
    expect(Buffer.compare(view, value)).toBe(0);
    expect(batch.release()).toBe(true);
    // Freed now, not at the next collection: a view kept past the release reads empty.
    expect(view.buffer.byteLength).toBe(0);
    expect(view).toHaveLength(0);
    expect(() => record!.value).toThrow(RecordReleasedError);
  });

  it.each(CODECS)(
    'never frees the slab small %s batches share: a neighbour still reads its records',
    (_, compression) => {
      // The JS decoders write small batches into the slab; a native one keeps its own block (below).
      setNativeDecompression('lz4', 'js');
      setNativeDecompression('snappy', 'js');
      const values = [payload(3_000, 2), payload(3_000, 3)];
      const batches = values.map((value) => {
        return v2Batch(encodeRecordBatch({ compression, records: [{ value }] }));
      });
      const records = batches.map((batch) => batch.toArray()[0]!);
      const first = records[0]!.value!;
      const second = records[1]!.value!;
      expect(first.buffer).toBe(second.buffer);
      expect(batches[0]!.release()).toBe(false);
      expect(() => records[0]!.value).toThrow(RecordReleasedError);
      expect(records[1]!.value).toEqual(values[1]);
      expect(second).toEqual(values[1]);
      expect(first).toEqual(values[0]);
    },
  );

  it.each([
    ['snappy', CompressionType.snappy],
    ['lz4', CompressionType.lz4],
  ])('leaves alone the buffer a small %s batch keeps from its decoder, native or not', (_, compression) => {
    const value = payload(3_000, 4);
    const batch = v2Batch(encodeRecordBatch({ compression, records: [{ value }] }));
    const [record] = batch.toArray();
    const view = record!.value!;
    expect(batch.release()).toBe(false);
    expect(() => record!.value).toThrow(RecordReleasedError);
    expect(view).toEqual(value);
  });
});
