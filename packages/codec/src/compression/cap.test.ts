/**
 * The decompression cap: a bad cap value is refused up front, naming the option; every codec stops
 * at the cap instead of decoding on, whatever the input declares; the error names cap and codec.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.js';
import { decodeRecordBatches } from '../record/decode.js';
import { encodeRecordBatch } from '../record/encode.js';
import { CodecOptionError, DecompressedSizeError } from './errors.js';
import { gzipCodec } from './gzip.js';
import { lz4Codec } from './lz4.js';
import { type NativeMode, setNativeDecompression } from './native.js';
import { getCompressionCodec } from './registry.js';
import { snappyCodec } from './snappy.js';
import type { CompressionCodec } from './types.js';
import { zstdCodec } from './zstd.js';

const MiB = 1024 * 1024;
// The built-ins by name, from the registry as a batch finds them.
const codecs: [string, CompressionCodec][] = [1, 2, 3, 4].map((type) => {
  const codec = getCompressionCodec(type);
  return [codec.name, codec];
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function le24(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, n >>> 16];
}

describe('the decompression cap option', () => {
  const bad = [Number.NaN, Number.POSITIVE_INFINITY, -1, 1.5, 2 ** 53];
  for (const [name, codec] of codecs) {
    it(`${name} refuses a cap of NaN, Infinity, -1, 1.5 or 2^53 with CodecOptionError naming it`, () => {
      const compressed = codec.compress(new Uint8Array(1000));
      for (const cap of bad) {
        const e = thrown(() => codec.decompress(compressed, cap));
        expect(e).toBeInstanceOf(CodecOptionError);
        expect((e as CodecOptionError).option).toBe('maxDecompressedSize');
        expect((e as CodecOptionError).code).toBe('ERR_CODEC_OPTION');
        expect((e as Error).message).toContain(String(cap));
      }
      expect(codec.decompress(compressed, 1000)).toHaveLength(1000);
    });
  }

  it('is checked by decodeRecordBatches before any batch is decoded, compressed or not', () => {
    const plain = encodeRecordBatch({ records: [{ value: new Uint8Array(10) }] });
    for (const cap of bad) {
      const e = thrown(() => decodeRecordBatches(plain, { maxDecompressedSize: cap }));
      expect(e).toBeInstanceOf(CodecOptionError);
      expect((e as CodecOptionError).option).toBe('maxDecompressedSize');
    }
    expect(decodeRecordBatches(plain, { maxDecompressedSize: 0 })).toHaveLength(1);
  });

  it('a NaN cap no longer switches the cap off: gzip does not inflate a bomb', () => {
    const bomb = gzipSync(new Uint8Array(64 * MiB));
    expect(thrown(() => gzipCodec.decompress(bomb, Number.NaN))).toBeInstanceOf(CodecOptionError);
  });
});

describe('DecompressedSizeError', () => {
  for (const [name, codec] of codecs) {
    it(`${name} names the cap and the codec`, () => {
      const compressed = codec.compress(new Uint8Array(300_000));
      const e = thrown(() => codec.decompress(compressed, 100_000));
      expect(e).toBeInstanceOf(DecompressedSizeError);
      expect(e).toBeInstanceOf(DecodeError);
      expect((e as DecompressedSizeError).maxSize).toBe(100_000);
      expect((e as DecompressedSizeError).codec).toBe(name);
      expect((e as Error).message).toBe(`${name}: decompressed size exceeds the limit of 100000 bytes`);
    });
  }
});

// Each bomb expands far past the cap, and its bytes after the point where the cap is passed are
// malformed: a decoder that went on decoding past the cap would meet them and report a DecodeError
// that is not a DecompressedSizeError (or produce gigabytes first).
describe('every codec stops at the cap', () => {
  const CAP = MiB;

  it('gzip stops inside a stream whose tail is garbage', () => {
    const bomb = gzipSync(new Uint8Array(64 * MiB));
    bomb.fill(0xff, bomb.length - 2000, bomb.length - 8); // corrupt the last 2 KB of deflate data
    expect(() => gzipCodec.decompress(bomb, 100 * MiB)).toThrow(DecodeError);
    expect(thrown(() => gzipCodec.decompress(bomb, CAP))).toBeInstanceOf(DecompressedSizeError);
  });

  it('zstd refuses RLE blocks that alone pass the cap before decoding (64 MiB window, garbage after)', () => {
    // Window descriptor 0x80: 2^26 = 64 MiB, no content size; 600 RLE blocks of 128 KiB (75 MiB),
    // then a block of the reserved type 3.
    const blocks: number[] = [];
    for (let k = 0; k < 600; k++) blocks.push(...le24(((128 * 1024) << 3) | (1 << 1)), 0x61);
    blocks.push(...le24((3 << 1) | 1));
    const frame = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x80, ...blocks]);
    const e = thrown(() => zstdCodec.decompress(frame, 64 * MiB));
    expect(e).toBeInstanceOf(DecompressedSizeError);
    expect((e as DecompressedSizeError).maxSize).toBe(64 * MiB);
  });

  it('zstd refuses a frame that declares a content size past the cap, before decoding', () => {
    // Single segment, 4-byte content size of 1 GiB, one RLE block.
    const frame = new Uint8Array([
      0x28,
      0xb5,
      0x2f,
      0xfd,
      0xa0,
      0,
      0,
      0,
      0x40,
      ...le24((1 << 1) | 1 | (8 << 3)),
      0,
    ]);
    expect(thrown(() => zstdCodec.decompress(frame, CAP))).toBeInstanceOf(DecompressedSizeError);
  });

  it('zstd stops inside compressed blocks whose tail is garbage', () => {
    const text = new TextEncoder().encode('abcdefgh'.repeat(8 * MiB));
    const bomb = zstdCodec.compress(text).slice();
    // Keep the headers valid (the walk reads them) but damage the last compressed block's payload.
    bomb.fill(0xff, bomb.length - 40, bomb.length - 8);
    expect(() => zstdCodec.decompress(bomb, 100 * MiB)).toThrow(DecodeError);
    expect(thrown(() => zstdCodec.decompress(bomb, CAP))).toBeInstanceOf(DecompressedSizeError);
  });

  for (const mode of ['js', 'native'] as NativeMode[]) {
    describe(`(${mode} block decoders)`, () => {
      afterAll(() => {
        setNativeDecompression('lz4', 'auto');
        setNativeDecompression('snappy', 'auto');
      });

      it('lz4 stops inside a frame whose later blocks are garbage', () => {
        setNativeDecompression('lz4', mode);
        const bomb = lz4Codec.compress(new Uint8Array(64 * MiB)).slice();
        // Blocks are 64 KiB of zeros each, about 270 bytes compressed. Zero the payload of the last
        // one (its size kept): a zero token with a zero match offset is malformed.
        const view = new DataView(bomb.buffer);
        let last = 7;
        for (let at = 7; view.getUint32(at, true) !== 0; at += 4 + (view.getUint32(at, true) & 0x7fffffff)) {
          last = at;
        }
        bomb.fill(0, last + 4, last + 4 + view.getUint32(last, true));
        expect(() => lz4Codec.decompress(bomb, 100 * MiB)).toThrow(DecodeError);
        const e = thrown(() => lz4Codec.decompress(bomb, CAP));
        expect(e).toBeInstanceOf(DecompressedSizeError);
        expect((e as DecompressedSizeError).codec).toBe('lz4');
      });

      it('lz4 refuses stored blocks that alone pass the cap before decoding', () => {
        setNativeDecompression('lz4', mode);
        const block = 64 * 1024;
        const frame = lz4Codec.compress(new Uint8Array(0)).slice(0, 7);
        const parts = [frame];
        for (let k = 0; k < 20; k++) {
          const head = new Uint8Array(4);
          new DataView(head.buffer).setUint32(0, (block | 0x80000000) >>> 0, true);
          parts.push(head, new Uint8Array(block));
        }
        parts.push(new Uint8Array([1, 0, 0, 0, 0xff])); // a truncated compressed block
        const bytes = new Uint8Array(Buffer.concat(parts));
        expect(thrown(() => lz4Codec.decompress(bytes, CAP))).toBeInstanceOf(DecompressedSizeError);
      });

      it('snappy refuses xerial blocks whose declared lengths pass the cap before decoding any', () => {
        setNativeDecompression('snappy', mode);
        const framed = snappyCodec.compress(new Uint8Array(4 * MiB)).slice();
        // Damage the last block's elements: only a decoder that decoded block by block past the cap
        // would meet them.
        framed.fill(0xff, framed.length - 20);
        expect(() => snappyCodec.decompress(framed, 8 * MiB)).toThrow(DecodeError);
        const e = thrown(() => snappyCodec.decompress(framed, CAP));
        expect(e).toBeInstanceOf(DecompressedSizeError);
        expect((e as DecompressedSizeError).codec).toBe('snappy');
      });
    });
  }
});
