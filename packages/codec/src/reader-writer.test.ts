import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError } from './errors.js';
import { Reader, type TaggedField } from './reader.js';
import { Writer } from './writer.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s/g, ''), 'hex'));
const written = (write: (w: Writer) => void) => {
  const w = new Writer(16);
  write(w);
  return w.finish();
};

/** Expects `fn` to throw a DecodeError whose offset is `offset`. */
function expectDecodeError(fn: () => unknown, offset?: number) {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DecodeError);
  if (offset !== undefined) expect((caught as DecodeError).offset).toBe(offset);
}

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const uuidText = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => new Reader(b).readUuid());

describe('Writer and Reader round trips', () => {
  const cases: [string, fc.Arbitrary<unknown>, (w: Writer, v: never) => void, (r: Reader) => unknown][] = [
    ['int8', fc.integer({ min: -128, max: 127 }), (w, v) => w.writeInt8(v), (r) => r.readInt8()],
    ['int16', fc.integer({ min: -32768, max: 32767 }), (w, v) => w.writeInt16(v), (r) => r.readInt16()],
    ['uint16', fc.integer({ min: 0, max: 65535 }), (w, v) => w.writeUInt16(v), (r) => r.readUInt16()],
    ['int32', fc.integer(), (w, v) => w.writeInt32(v), (r) => r.readInt32()],
    ['uint32', fc.nat({ max: 0xffffffff }), (w, v) => w.writeUInt32(v), (r) => r.readUInt32()],
    ['int64 (bigint)', int64, (w, v) => w.writeInt64(v), (r) => r.readInt64()],
    ['int64 (number)', fc.maxSafeInteger(), (w, v) => w.writeInt64(v), (r) => r.readInt64Number()],
    ['float64', fc.double({ noNaN: true }), (w, v) => w.writeFloat64(v), (r) => r.readFloat64()],
    ['boolean', fc.boolean(), (w, v) => w.writeBoolean(v), (r) => r.readBoolean()],
    ['varint', fc.integer(), (w, v) => w.writeVarInt(v), (r) => r.readVarInt()],
    ['varlong (bigint)', int64, (w, v) => w.writeVarLong(v), (r) => r.readVarLong()],
    ['varlong (number)', fc.maxSafeInteger(), (w, v) => w.writeVarLong(v), (r) => r.readVarLongNumber()],
    [
      'unsigned varint',
      fc.nat({ max: 0xffffffff }),
      (w, v) => w.writeUnsignedVarInt(v),
      (r) => r.readUnsignedVarInt(),
    ],
    ['uuid', uuidText, (w, v) => w.writeUuid(v), (r) => r.readUuid()],
    [
      'string',
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      (w, v) => w.writeString(v),
      (r) => r.readString(),
    ],
    [
      'nullable string',
      fc.option(fc.string({ unit: 'binary' }), { nil: null }),
      (w, v) => w.writeNullableString(v),
      (r) => r.readNullableString(),
    ],
    [
      'compact string',
      fc.string({ unit: 'grapheme-composite' }),
      (w, v) => w.writeCompactString(v),
      (r) => r.readCompactString(),
    ],
    [
      'compact nullable string',
      fc.option(fc.string(), { nil: null }),
      (w, v) => w.writeCompactNullableString(v),
      (r) => r.readCompactNullableString(),
    ],
    ['bytes', fc.uint8Array(), (w, v) => w.writeBytes(v), (r) => r.readBytes()],
    [
      'nullable bytes',
      fc.option(fc.uint8Array(), { nil: null }),
      (w, v) => w.writeNullableBytes(v),
      (r) => r.readNullableBytes(),
    ],
    ['compact bytes', fc.uint8Array(), (w, v) => w.writeCompactBytes(v), (r) => r.readCompactBytes()],
    [
      'compact nullable bytes',
      fc.option(fc.uint8Array(), { nil: null }),
      (w, v) => w.writeCompactNullableBytes(v),
      (r) => r.readCompactNullableBytes(),
    ],
    [
      'array length',
      fc.integer({ min: -1, max: 3 }),
      (w, v) => w.writeArrayLength(v).writeRaw(new Uint8Array(3)),
      (r) => r.readArrayLength(),
    ],
    [
      'compact array length',
      fc.integer({ min: -1, max: 3 }),
      (w, v) => w.writeCompactArrayLength(v).writeRaw(new Uint8Array(3)),
      (r) => r.readCompactArrayLength(),
    ],
  ];

  for (const [name, arbitrary, write, read] of cases) {
    it(`reads back every ${name} it wrote, after a prefix, consuming exactly the written bytes`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 3 }), arbitrary, (prefix, value) => {
          const w = new Writer(1);
          w.writeRaw(prefix);
          write(w, value as never);
          const start = prefix.length;
          const bytes = w.finish();
          const r = new Reader(bytes, start);
          const back = read(r);
          if (value instanceof Uint8Array) expect(Array.from(back as Uint8Array)).toEqual(Array.from(value));
          else expect(back).toEqual(value);
          if (!name.includes('array')) expect(r.offset).toBe(bytes.length);
        }),
      );
    });
  }

  it('writes a UTF-8 string with its byte length, not its UTF-16 length', () => {
    const bytes = written((w) => w.writeString('h€llo😀'));
    expect(hex(bytes)).toBe('000b' + Buffer.from('h€llo😀').toString('hex'));
    expect(new Reader(bytes).readString()).toBe('h€llo😀');
  });

  it('encodes a lone surrogate as U+FFFD, as TextEncoder does', () => {
    const bytes = written((w) => w.writeCompactString('a\ud800b'));
    expect(hex(bytes)).toBe('0661efbfbd62');
  });
});

describe('Writer wire format', () => {
  it('writes integers big-endian and varints as Kafka does', () => {
    expect(hex(written((w) => w.writeInt16(-2).writeInt32(0x01020304).writeUInt32(0xfffffffe)))).toBe(
      'fffe01020304fffffffe',
    );
    expect(hex(written((w) => w.writeInt64(-2n).writeInt64(2 ** 40 + 5)))).toBe(
      'fffffffffffffffe0000010000000005',
    );
    expect(
      hex(written((w) => w.writeVarInt(0).writeVarInt(-1).writeVarInt(1).writeVarInt(-64).writeVarInt(64))),
    ).toBe('0001027f8001');
    expect(hex(written((w) => w.writeUnsignedVarInt(300).writeUnsignedVarInt(0xffffffff)))).toBe(
      'ac02ffffffff0f',
    );
    expect(hex(written((w) => w.writeVarLong(-(2n ** 63n))))).toBe('ffffffffffffffffff01');
    expect(hex(written((w) => w.writeVarLong(-1).writeVarLong(150)))).toBe('01ac02');
  });

  it('writes null markers: -1 for classic types, 0 for compact types', () => {
    expect(hex(written((w) => w.writeNullableString(null).writeNullableBytes(null)))).toBe('ffffffffffff');
    expect(hex(written((w) => w.writeCompactNullableString(null).writeCompactNullableBytes(null)))).toBe(
      '0000',
    );
    expect(hex(written((w) => w.writeArrayLength(-1).writeCompactArrayLength(-1)))).toBe('ffffffff00');
  });

  it('writes UUIDs from the text form Java prints', () => {
    expect(hex(written((w) => w.writeUuid('AAAAAAAAAAAAAAAAAAAAAQ')))).toBe(
      '00000000000000000000000000000001',
    );
    expect(new Reader(fromHex('ffffffffffffffffffffffffffffffff')).readUuid()).toBe('_____________________w');
  });

  it('writes tagged fields with their count, tags and sizes', () => {
    const fields: TaggedField[] = [
      { tag: 0, data: fromHex('01') },
      { tag: 200, data: fromHex('0203') },
    ];
    expect(hex(written((w) => w.writeTaggedFields(fields)))).toBe('020001' + '01' + 'c80102' + '0203');
    expect(hex(written((w) => w.writeTaggedFields(undefined)))).toBe('00');
  });

  it('back-patches a reserved int32, e.g. a size prefix', () => {
    const w = new Writer(4);
    const at = w.reserveInt32();
    w.writeString('abc');
    w.patchInt32(at, w.length - at - 4);
    expect(hex(w.finish())).toBe('00000005' + '0003616263');
  });

  it('grows past its initial capacity and keeps earlier bytes', () => {
    const w = new Writer(1);
    for (let i = 0; i < 1000; i++) w.writeInt32(i);
    const r = new Reader(w.finish());
    for (let i = 0; i < 1000; i++) expect(r.readInt32()).toBe(i);
  });

  it('rejects values outside their wire type with EncodeError', () => {
    const w = new Writer();
    expect(() => w.writeInt8(128)).toThrow(EncodeError);
    expect(() => w.writeInt16(1.5)).toThrow(EncodeError);
    expect(() => w.writeInt32(2 ** 31)).toThrow(EncodeError);
    expect(() => w.writeUInt32(-1)).toThrow(EncodeError);
    expect(() => w.writeInt64(2n ** 63n)).toThrow(EncodeError);
    expect(() => w.writeInt64(2 ** 53)).toThrow(EncodeError);
    expect(() => w.writeVarLong(-(2n ** 63n) - 1n)).toThrow(EncodeError);
    expect(() => w.writeVarInt(Number.NaN)).toThrow(EncodeError);
    expect(() => w.writeString('x'.repeat(32768))).toThrow(EncodeError);
    expect(() => w.writeUuid('not-a-uuid')).toThrow(EncodeError);
    expect(() => w.writeUuid('AAAAAAAAAAAAAAAAAAAAAB')).toThrow(EncodeError);
    expect(() => w.writeArrayLength(-2)).toThrow(EncodeError);
    expect(() => w.writeCompactArrayLength(-2)).toThrow(EncodeError);
    expect(() =>
      w.writeTaggedFields([
        { tag: 1, data: new Uint8Array() },
        { tag: 1, data: new Uint8Array() },
      ]),
    ).toThrow(EncodeError);
    expect(() => w.patchInt32(0, 1)).toThrow(EncodeError);
    expect(w.length).toBe(0);
  });

  it('accepts a string of exactly 32767 bytes', () => {
    const bytes = written((w) => w.writeString('y'.repeat(32767)));
    expect(new Reader(bytes).readString()).toHaveLength(32767);
  });
});

describe('Reader', () => {
  it('reads only within [offset, end) of the buffer', () => {
    const r = new Reader(fromHex('ff 00000007 ff'), 1, 5);
    expect(r.remaining).toBe(4);
    expect(r.readInt32()).toBe(7);
    expectDecodeError(() => r.readInt8(), 5);
  });

  it('returns views of the input for bytes, not copies', () => {
    const input = fromHex('00000002 abcd');
    const bytes = new Reader(input).readBytes();
    input[4] = 0x11;
    expect(bytes[0]).toBe(0x11);
    expect(bytes.buffer).toBe(input.buffer);
  });

  it('points every bytes view at its own bytes when the input starts mid-buffer', () => {
    const backing = fromHex('ffff 00000002 abcd 00000001 ef 00000000');
    const r = new Reader(backing.subarray(2));
    expect([...r.readBytes(), ...r.readBytes(), ...r.readBytes()]).toEqual([0xab, 0xcd, 0xef]);
    expect(new Reader(backing, 8).readBytes()).toEqual(new Uint8Array([0xef]));
  });

  it('decodes Kafka varints, including the extremes', () => {
    const r = new Reader(fromHex('00 01 02 7f 8001 feffffff0f ffffffff0f'));
    expect([r.readVarInt(), r.readVarInt(), r.readVarInt(), r.readVarInt(), r.readVarInt()]).toEqual([
      0, -1, 1, -64, 64,
    ]);
    expect(r.readVarInt()).toBe(2147483647);
    expect(r.readVarInt()).toBe(-2147483648);
    expect(new Reader(fromHex('ffffffffffffffffff01')).readVarLong()).toBe(-(2n ** 63n));
    expect(new Reader(fromHex('feffffffffffffffff01')).readVarLong()).toBe(2n ** 63n - 1n);
  });

  it('rejects varints longer than 5 bytes and varlongs longer than 10', () => {
    expectDecodeError(() => new Reader(fromHex('ffffffffff01')).readVarInt(), 0);
    expectDecodeError(() => new Reader(fromHex('ffffffffffffffffffff01')).readVarLong(), 0);
    expectDecodeError(() => new Reader(fromHex('8080')).readUnsignedVarInt(), 0);
  });

  it('reads an int64 as a number only when it is a safe integer', () => {
    expect(new Reader(fromHex('001fffffffffffff')).readInt64Number()).toBe(Number.MAX_SAFE_INTEGER);
    expect(new Reader(fromHex('ffe0000000000001')).readInt64Number()).toBe(Number.MIN_SAFE_INTEGER);
    const r = new Reader(fromHex('0020000000000000'));
    expectDecodeError(() => r.readInt64Number(), 0);
    expect(r.readInt64()).toBe(2n ** 53n);
    expectDecodeError(() => new Reader(fromHex('ffdfffffffffffff')).readVarLongNumber());
    expectDecodeError(() => new Reader(fromHex('8080808080808080807f')).readVarLongNumber(), 0);
  });

  it('rejects a null where the type is not nullable', () => {
    expectDecodeError(() => new Reader(fromHex('ffff')).readString(), 0);
    expectDecodeError(() => new Reader(fromHex('00')).readCompactString(), 0);
    expectDecodeError(() => new Reader(fromHex('ffffffff')).readBytes(), 0);
    expectDecodeError(() => new Reader(fromHex('00')).readCompactBytes(), 0);
  });

  it('rejects lengths below -1 and lengths past the end, naming where the field starts', () => {
    expectDecodeError(() => new Reader(fromHex('aa fffe'), 1).readNullableString(), 1);
    expectDecodeError(() => new Reader(fromHex('aa 0005 6162'), 1).readString(), 1);
    expectDecodeError(() => new Reader(fromHex('fffffffe')).readNullableBytes(), 0);
    expectDecodeError(() => new Reader(fromHex('7fffffff 00')).readBytes(), 0);
    expectDecodeError(() => new Reader(fromHex('ffffffff0f')).readCompactBytes(), 0);
    expectDecodeError(() => new Reader(fromHex('0102')).readRaw(3), 0);
    expectDecodeError(() => new Reader(fromHex('0102')).readRaw(-1), 0);
    expectDecodeError(() => new Reader(fromHex('0102')).skip(3), 0);
  });

  it('rejects array counts that cannot fit in the bytes left', () => {
    expect(new Reader(fromHex('ffffffff')).readArrayLength()).toBe(-1);
    expect(new Reader(fromHex('00')).readCompactArrayLength()).toBe(-1);
    expectDecodeError(() => new Reader(fromHex('fffffffe')).readArrayLength(), 0);
    expectDecodeError(() => new Reader(fromHex('00000002 00')).readArrayLength(), 0);
    expectDecodeError(() => new Reader(fromHex('03 00')).readCompactArrayLength(), 0);
    expectDecodeError(() => new Reader(fromHex('ffffffff0f')).readCompactArrayLength(), 0);
  });

  it('throws DecodeError, not RangeError, for every read past the end', () => {
    const empty = new Reader(new Uint8Array(0));
    const reads: (() => unknown)[] = [
      () => empty.readInt8(),
      () => empty.readInt16(),
      () => empty.readUInt16(),
      () => empty.readInt32(),
      () => empty.readUInt32(),
      () => empty.readInt64(),
      () => empty.readInt64Number(),
      () => empty.readFloat64(),
      () => empty.readBoolean(),
      () => empty.readVarInt(),
      () => empty.readVarLong(),
      () => empty.readUnsignedVarInt(),
      () => empty.readUuid(),
      () => empty.readTaggedFields(),
    ];
    for (const read of reads) expectDecodeError(read, 0);
  });

  it('rejects a range outside the buffer', () => {
    expectDecodeError(() => new Reader(new Uint8Array(4), 5));
    expectDecodeError(() => new Reader(new Uint8Array(4), 2, 1));
    expectDecodeError(() => new Reader(new Uint8Array(4), 0, 5));
  });

  it('decodes malformed UTF-8 to U+FFFD, like Java', () => {
    expect(new Reader(fromHex('0003 61ff62')).readString()).toBe('a\ufffdb');
  });
});

describe('Reader.readTaggedFields', () => {
  const section = fromHex('03' + '00 01 07' + '02 02 0009' + '05 00');

  it('returns every field as a view when no handler is given', () => {
    const r = new Reader(section);
    const fields = r.readTaggedFields();
    expect(fields?.map((f) => [f.tag, hex(f.data)])).toEqual([
      [0, '07'],
      [2, '0009'],
      [5, ''],
    ]);
    expect(r.remaining).toBe(0);
  });

  it('hands known tags to the handler and returns only the others', () => {
    const seen: [number, number][] = [];
    const r = new Reader(section);
    const fields = r.readTaggedFields((tag, reader, size) => {
      if (tag === 5) return false;
      seen.push([tag, size === 1 ? reader.readInt8() : reader.readInt16()]);
      return true;
    });
    expect(seen).toEqual([
      [0, 7],
      [2, 9],
    ]);
    expect(fields).toEqual([{ tag: 5, data: new Uint8Array() }]);
    expect(r.remaining).toBe(0);
  });

  it('returns undefined when every field was handled', () => {
    const r = new Reader(section);
    const handled = r.readTaggedFields((_tag, reader, size) => {
      reader.skip(size);
      return true;
    });
    expect(handled).toBeUndefined();
  });

  it('round-trips through the Writer', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 0xffffffff }), { maxLength: 5 }),
        fc.uint8Array({ maxLength: 20 }),
        (tags, data) => {
          const fields = [...tags].sort((a, b) => a - b).map((tag) => ({ tag, data }));
          const back = new Reader(written((w) => w.writeTaggedFields(fields))).readTaggedFields();
          expect(back ?? []).toEqual(fields);
        },
      ),
    );
  });

  it('rejects a handler that reads a different number of bytes than the size', () => {
    expectDecodeError(() => new Reader(section).readTaggedFields(() => true), 1);
  });

  it('rejects repeated or decreasing tags, oversized fields and impossible counts', () => {
    expectDecodeError(() => new Reader(fromHex('02 01 00 01 00')).readTaggedFields(), 3);
    expectDecodeError(() => new Reader(fromHex('01 00 05 00')).readTaggedFields(), 1);
    expectDecodeError(() => new Reader(fromHex('7f 00 00')).readTaggedFields(), 0);
  });
});

describe('Reader on arbitrary bytes', () => {
  it('ends every read in a value or a DecodeError', () => {
    const reads: ((r: Reader) => unknown)[] = [
      (r) => r.readString(),
      (r) => r.readNullableString(),
      (r) => r.readCompactString(),
      (r) => r.readCompactNullableString(),
      (r) => r.readBytes(),
      (r) => r.readNullableBytes(),
      (r) => r.readCompactBytes(),
      (r) => r.readCompactNullableBytes(),
      (r) => r.readVarInt(),
      (r) => r.readVarLong(),
      (r) => r.readVarLongNumber(),
      (r) => r.readUnsignedVarInt(),
      (r) => r.readInt64Number(),
      (r) => r.readArrayLength(),
      (r) => r.readCompactArrayLength(),
      (r) => r.readTaggedFields(),
      (r) => r.readUuid(),
    ];
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.array(fc.nat({ max: reads.length - 1 })),
        (bytes, order) => {
          const r = new Reader(bytes);
          try {
            for (const i of order) reads[i]!(r);
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
          }
          expect(r.offset).toBeLessThanOrEqual(bytes.length);
        },
      ),
    );
  });
});
