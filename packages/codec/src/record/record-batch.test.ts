import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecompressedSizeError } from '../compression/errors.js';
import { getCompressionCodec } from '../compression/registry.js';
import { CompressionType } from '../compression/types.js';
import { crc32 } from '../crc32c.js';
import { CorruptRecordError, DecodeError } from '../errors.js';
import { Writer } from '../writer.js';
import { ControlRecordType, decodeControlRecord } from './control.js';
import { decodeRecordBatches } from './decode.js';
import { encodeEndTransactionMarker, encodeRecordBatch, type RecordInput } from './encode.js';
import { DefaultRecordBatch, V2 } from './record-batch.js';
import { type RecordHeader, TimestampType } from './types.js';

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

const recordArbitrary: fc.Arbitrary<RecordInput> = fc.record({
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  key: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: null }),
  headers: fc.array(
    fc.record({
      key: fc.string({ maxLength: 10 }),
      value: fc.option(fc.uint8Array({ maxLength: 10 }), { nil: null }),
    }),
    { maxLength: 3 },
  ),
});

const batchArbitrary = fc.record({
  baseOffset: fc.bigInt({ min: 0n, max: 2n ** 62n }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 1000 }),
  compression: fc.constantFrom(0, 1, 2, 3, 4),
  timestampType: fc.constantFrom<0 | 1>(0, 1),
  isTransactional: fc.boolean(),
  producerId: fc.bigInt({ min: -1n, max: 2n ** 63n - 1n }),
  producerEpoch: fc.integer({ min: -1, max: 32767 }),
  baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  records: fc.array(recordArbitrary, { minLength: 1, maxLength: 20 }),
});

describe('record batches (magic v2)', () => {
  it('decode to exactly what was encoded, for any batch and compression', () => {
    fc.assert(
      fc.property(batchArbitrary, (input) => {
        const bytes = encodeRecordBatch(input);
        const [batch, ...rest] = decodeRecordBatches(bytes);
        expect(rest).toHaveLength(0);
        if (!(batch instanceof DefaultRecordBatch)) throw new Error('expected a v2 batch');
        expect(batch.magic).toBe(2);
        expect(batch.sizeInBytes).toBe(bytes.length);
        expect(batch.baseOffsetBig).toBe(input.baseOffset);
        expect(batch.lastOffsetBig).toBe(input.baseOffset + BigInt(input.records.length - 1));
        expect(batch.partitionLeaderEpoch).toBe(input.partitionLeaderEpoch);
        expect(batch.compression).toBe(input.compression);
        expect(batch.timestampType).toBe(input.timestampType);
        expect(batch.isTransactional).toBe(input.isTransactional);
        expect(batch.isControl).toBe(false);
        expect(batch.producerIdBig).toBe(input.producerId);
        expect(batch.producerEpoch).toBe(input.producerEpoch);
        expect(batch.baseSequence).toBe(input.baseSequence);
        const maxTimestamp = Math.max(...input.records.map((r) => r.timestamp as number));
        expect(batch.maxTimestamp).toBe(maxTimestamp);
        const records = batch.toArray();
        expect(records).toHaveLength(input.records.length);
        records.forEach((record, i) => {
          const want = input.records[i]!;
          expect(record.offsetBig).toBe(input.baseOffset + BigInt(i));
          const lastOffset = input.baseOffset + BigInt(input.records.length - 1);
          if (lastOffset <= BigInt(Number.MAX_SAFE_INTEGER))
            expect(record.offset).toBe(Number(input.baseOffset) + i);
          else expect(() => record.offset).toThrow(DecodeError);
          expect(record.timestamp).toBe(input.timestampType === 1 ? maxTimestamp : want.timestamp);
          expect(record.timestampBig).toBe(BigInt(record.timestamp));
          expect(record.key).toEqual(want.key);
          expect(record.value).toEqual(want.value);
          expect(record.headers).toEqual(want.headers);
          expect(record.sequence).toBe(input.baseSequence < 0 ? -1 : (input.baseSequence + i) % 2 ** 31);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('returns key and value as views of the fetched bytes when uncompressed', () => {
    const bytes = encodeRecordBatch({ records: [{ key: text('k'), value: text('v') }] });
    const [record] = decodeRecordBatches(bytes)[0]!;
    expect(record!.value!.buffer).toBe(bytes.buffer);
    expect(str(record!.key)).toBe('k');
  });

  it('decodes varints of every width at the one- and two-byte edges, in a batch that starts mid-buffer', () => {
    const sizes = [0, 63, 64, 8191, 8192, 20_000];
    const deltas = [0, 63, 64, 8191, 8192, 2 ** 40];
    const base = 1_700_000_000_000;
    const records: RecordInput[] = sizes.map((size, i) => ({
      key: i % 2 === 0 ? null : new Uint8Array(size).fill(i),
      value: new Uint8Array(size).map((_, j) => (j * 31 + i) & 0xff),
      timestamp: base + deltas[i]!,
      headers: i === 3 ? [{ key: 'h', value: new Uint8Array(size).fill(7) }] : [],
    }));
    const encoded = encodeRecordBatch({ baseOffset: 5000n, records });
    // A pooled Buffer's bytes do not start at offset 0 of their ArrayBuffer; views must account for it.
    const backing = new Uint8Array(encoded.length + 3);
    backing.set(encoded, 3);
    const bytes = backing.subarray(3);
    const decoded = decodeRecordBatches(bytes)[0]!.toArray();
    expect(decoded.map((r) => r.offset)).toEqual([5000, 5001, 5002, 5003, 5004, 5005]);
    expect(decoded.map((r) => r.timestamp)).toEqual(deltas.map((d) => base + d));
    decoded.forEach((record, i) => {
      expect(record.key).toEqual(records[i]!.key);
      expect(record.value).toEqual(records[i]!.value);
      expect(record.value!.buffer).toBe(backing.buffer);
      expect(record.headers).toEqual(records[i]!.headers);
    });
  });

  it('decodes header keys that repeat, change or move between the records of a batch', () => {
    const keys = [
      ['trace', 'span'],
      ['trace', 'spam'],
      ['trace'],
      ['tracf', 'span', 'x'],
      [],
      ['span', 'trace'],
      ['tråce'],
    ];
    const bytes = encodeRecordBatch({
      records: keys.map((ks) => ({
        value: text('v'),
        headers: ks.map((key) => ({ key, value: text(key) })),
      })),
    });
    // Read lazily, in order and then backwards, as a consumer might.
    const records = [...decodeRecordBatches(bytes)[0]!];
    expect(records.map((r) => r.headers.map((h) => h.key))).toEqual(keys);
    const again = [...decodeRecordBatches(bytes)[0]!].reverse();
    expect(again.map((r) => r.headers.map((h) => [h.key, str(h.value)]))).toEqual(
      [...keys].reverse().map((ks) => ks.map((k) => [k, k])),
    );
  });

  it('gives each record without headers its own empty array', () => {
    const bytes = encodeRecordBatch({ records: [{ value: text('a') }, { value: text('b') }] });
    const [first, second] = decodeRecordBatches(bytes)[0]!;
    expect(first!.headers).toEqual([]);
    (first!.headers as RecordHeader[]).push({ key: 'x', value: null });
    expect(second!.headers).toEqual([]);
    expect(first!.headers).toHaveLength(1);
  });

  it('lays out the header as Kafka does: the CRC32C covers attributes through the end', () => {
    const bytes = encodeRecordBatch({ baseOffset: 5, records: [{ value: text('x'), timestamp: 1000 }] });
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getBigInt64(V2.baseOffset)).toBe(5n);
    expect(view.getInt32(V2.batchLength)).toBe(bytes.length - 12);
    expect(bytes[V2.magic]).toBe(2);
    expect(view.getInt32(V2.recordsCount)).toBe(1);
    // length 7, attributes 0, timestamp delta 0, offset delta 0, key -1, value length 1 'x', 0 headers
    expect(Buffer.from(bytes.subarray(V2.records)).toString('hex')).toBe(
      '0e' + '00' + '00' + '00' + '01' + '02' + '78' + '00',
    );
  });

  it('gives offsets beyond 2^53 exactly as bigint and refuses them as numbers', () => {
    const baseOffset = 2n ** 60n + 3n;
    const [batch] = decodeRecordBatches(
      encodeRecordBatch({ baseOffset, records: [{ value: null }, { value: null }] }),
    );
    const records = batch!.toArray();
    expect(records[1]!.offsetBig).toBe(baseOffset + 1n);
    expect(batch!.lastOffsetBig).toBe(baseOffset + 1n);
    expect(() => records[1]!.offset).toThrow(DecodeError);
    expect(() => batch!.baseOffset).toThrow(DecodeError);
  });

  it('names the base offset when a CRC does not match', () => {
    const bytes = encodeRecordBatch({ baseOffset: 42, records: [{ value: text('hello') }] });
    bytes[bytes.length - 2]! ^= 1;
    let caught: unknown;
    try {
      decodeRecordBatches(bytes);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CorruptRecordError);
    expect((caught as CorruptRecordError).baseOffset).toBe(42n);
    expect((caught as CorruptRecordError).code).toBe('ERR_CORRUPT_RECORD');
    expect(decodeRecordBatches(bytes, { verifyCrc: false })).toHaveLength(1);
  });

  it('leaves out a partial batch at the end of a fetch, without an error', () => {
    const first = encodeRecordBatch({ baseOffset: 0, records: [{ value: text('a') }] });
    const second = encodeRecordBatch({
      baseOffset: 1,
      records: [{ value: text('b') }, { value: text('c') }],
    });
    for (let cut = 0; cut < second.length; cut++) {
      const batches = decodeRecordBatches(concat(first, second.subarray(0, cut)));
      expect(batches.map((b) => b.baseOffset)).toEqual([0]);
    }
    expect(decodeRecordBatches(concat(first, second)).map((b) => b.lastOffset)).toEqual([0, 2]);
  });

  it('recognises a transaction commit marker in a control batch', () => {
    const bytes = encodeEndTransactionMarker({
      baseOffset: 10,
      producerId: 7,
      producerEpoch: 2,
      commit: true,
      coordinatorEpoch: 5,
      timestamp: 1_700_000_000_000,
    });
    const [batch] = decodeRecordBatches(bytes, { eager: true });
    expect(batch!.isControl).toBe(true);
    expect(batch!.isTransactional).toBe(true);
    expect(batch!.producerId).toBe(7);
    const [marker] = batch!.toArray();
    expect(decodeControlRecord(marker!)).toEqual({
      version: 0,
      type: ControlRecordType.commit,
      coordinatorEpoch: 5,
    });
  });

  it('enforces the decompressed-size cap on a compressed batch', () => {
    const bytes = encodeRecordBatch({
      compression: CompressionType.gzip,
      records: [{ value: new Uint8Array(100_000) }],
    });
    const [batch] = decodeRecordBatches(bytes, { maxDecompressedSize: 50_000 });
    expect(() => batch!.toArray()).toThrow(DecompressedSizeError);
    expect(decodeRecordBatches(bytes)[0]!.toArray()[0]!.value).toHaveLength(100_000);
  });

  it('rejects a batch whose count disagrees with its records', () => {
    const bytes = encodeRecordBatch({ records: [{ value: text('a') }, { value: text('b') }] });
    const fewer = bytes.slice();
    new DataView(fewer.buffer).setInt32(V2.recordsCount, 1);
    expect(() => decodeRecordBatches(fewer, { verifyCrc: false, eager: true })).toThrow(CorruptRecordError);
    const more = bytes.slice();
    new DataView(more.buffer).setInt32(V2.recordsCount, 3);
    expect(() => decodeRecordBatches(more, { verifyCrc: false, eager: true })).toThrow(CorruptRecordError);
  });

  it('rejects an unknown magic and an impossible size', () => {
    const bytes = encodeRecordBatch({ records: [{ value: text('a') }] });
    const badMagic = bytes.slice();
    badMagic[V2.magic] = 3;
    expect(() => decodeRecordBatches(badMagic)).toThrow(CorruptRecordError);
    const tiny = bytes.slice();
    new DataView(tiny.buffer).setInt32(V2.batchLength, 13);
    expect(() => decodeRecordBatches(tiny)).toThrow(CorruptRecordError);
  });
});

/** Builds a legacy message by hand: offset, size, crc, magic, attributes, [timestamp], key, value. */
function legacyMessage(
  magic: 0 | 1,
  offset: bigint,
  value: Uint8Array | null,
  options: { key?: Uint8Array | null; attributes?: number; timestamp?: bigint } = {},
): Uint8Array {
  const body = new Writer();
  body.writeInt8(magic).writeInt8(options.attributes ?? 0);
  if (magic === 1) body.writeInt64(options.timestamp ?? 0n);
  body.writeNullableBytes(options.key ?? null).writeNullableBytes(value);
  const b = body.finish();
  return new Writer()
    .writeInt64(offset)
    .writeInt32(b.length + 4)
    .writeUInt32(crc32(b))
    .writeRaw(b)
    .finish()
    .slice();
}

describe('legacy message sets (magic v0 and v1)', () => {
  it('decode plain v0 and v1 messages with their keys, values and timestamps', () => {
    const bytes = concat(
      legacyMessage(0, 3n, text('zero'), { key: text('k0') }),
      legacyMessage(1, 4n, text('one'), { timestamp: 1234n }),
    );
    const batches = decodeRecordBatches(bytes);
    expect(batches.map((b) => [b.magic, b.baseOffset, b.timestampType])).toEqual([
      [0, 3, TimestampType.noTimestamp],
      [1, 4, TimestampType.createTime],
    ]);
    const [r0] = batches[0]!.toArray();
    const [r1] = batches[1]!.toArray();
    expect([str(r0!.key), str(r0!.value), r0!.timestamp]).toEqual(['k0', 'zero', -1]);
    expect([str(r1!.key), str(r1!.value), r1!.timestamp, r1!.headers]).toEqual([null, 'one', 1234, []]);
  });

  it('decode a compressed v1 wrapper, turning relative inner offsets into absolute ones', () => {
    for (const compression of [CompressionType.gzip, CompressionType.snappy, CompressionType.lz4]) {
      const inner = concat(
        legacyMessage(1, 0n, text('a'), { timestamp: 10n }),
        legacyMessage(1, 1n, text('b'), { timestamp: 11n }),
        legacyMessage(1, 2n, text('c'), { timestamp: 12n }),
      );
      const wrapper = legacyMessage(1, 102n, getCompressionCodec(compression).compress(inner), {
        attributes: compression,
        timestamp: 99n,
      });
      const [batch] = decodeRecordBatches(wrapper);
      expect(batch!.compression).toBe(compression);
      expect(batch!.toArray().map((r) => [r.offset, str(r.value), r.timestamp])).toEqual([
        [100, 'a', 10],
        [101, 'b', 11],
        [102, 'c', 12],
      ]);
      expect([batch!.baseOffset, batch!.lastOffset]).toEqual([100, 102]);
    }
  });

  it('give inner messages the wrapper timestamp when the wrapper has log-append time', () => {
    const inner = concat(
      legacyMessage(1, 0n, text('a'), { timestamp: 10n }),
      legacyMessage(1, 1n, text('b')),
    );
    const wrapper = legacyMessage(1, 51n, getCompressionCodec(CompressionType.gzip).compress(inner), {
      attributes: CompressionType.gzip | 0x08,
      timestamp: 777n,
    });
    const [batch] = decodeRecordBatches(wrapper);
    expect(batch!.timestampType).toBe(TimestampType.logAppendTime);
    expect(batch!.toArray().map((r) => [r.offset, r.timestamp])).toEqual([
      [50, 777],
      [51, 777],
    ]);
  });

  it('keep the absolute inner offsets of a compressed v0 wrapper', () => {
    const inner = concat(legacyMessage(0, 20n, text('a')), legacyMessage(0, 21n, text('b')));
    const wrapper = legacyMessage(0, 21n, getCompressionCodec(CompressionType.snappy).compress(inner), {
      attributes: CompressionType.snappy,
    });
    expect(
      decodeRecordBatches(wrapper)[0]!
        .toArray()
        .map((r) => [r.offset, str(r.value)]),
    ).toEqual([
      [20, 'a'],
      [21, 'b'],
    ]);
  });

  it('reject a CRC mismatch, naming the offset, and nested compression', () => {
    const message = legacyMessage(1, 9n, text('v'));
    message[message.length - 1]! ^= 1;
    expect(() => decodeRecordBatches(message)).toThrow(CorruptRecordError);
    try {
      decodeRecordBatches(message);
    } catch (e) {
      expect((e as CorruptRecordError).baseOffset).toBe(9n);
    }
    const gzip = getCompressionCodec(CompressionType.gzip);
    const nested = legacyMessage(
      1,
      0n,
      gzip.compress(legacyMessage(1, 0n, gzip.compress(new Uint8Array(3)), { attributes: 1 })),
      {
        attributes: 1,
      },
    );
    expect(() => decodeRecordBatches(nested)).toThrow(CorruptRecordError);
  });

  it('sit next to v2 batches in the same fetch response', () => {
    const bytes = concat(
      legacyMessage(1, 0n, text('old')),
      encodeRecordBatch({ baseOffset: 1, records: [{ value: text('new') }] }),
    );
    expect(decodeRecordBatches(bytes).map((b) => [b.magic, b.baseOffset])).toEqual([
      [1, 0],
      [2, 1],
    ]);
  });
});
