import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.js';
import { CodecUnavailableError, DecompressedSizeError } from './errors.js';
import { gzipCodec } from './gzip.js';
import { lz4Codec, lz4Compress, lz4Decompress } from './lz4.js';
import { setNativeDecompression } from './native.js';
import {
  getCompressionCodec,
  lazyCompressionCodec,
  registerCompressionCodec,
  unregisterCompressionCodec,
} from './registry.js';
import { isXerialFramed, snappyCodec, snappyCompressRaw, snappyDecompressRaw } from './snappy.js';
import { type CompressionCodec, CompressionType } from './types.js';
import { xxhash32 } from './xxhash32.js';
import { checkZstdFrames, zstdCodec, zstdDecompress } from './zstd.js';

/**
 * A zstd frame of raw (stored) blocks with its content size declared: valid zstd that the decoder
 * must accept, built by hand so that tests control every header field.
 */
function zstdStoredFrame(data: Uint8Array): Uint8Array {
  const blockMax = 128 * 1024;
  const blocks = Math.max(1, Math.ceil(data.length / blockMax));
  const out = new Uint8Array(13 + blocks * 3 + data.length);
  out.set([0x28, 0xb5, 0x2f, 0xfd, 0xe0]); // single segment, 8-byte content size
  new DataView(out.buffer).setBigUint64(5, BigInt(data.length), true);
  let o = 13;
  for (let b = 0; b < blocks; b++) {
    const n = Math.min(blockMax, data.length - b * blockMax);
    const header = (n << 3) | (b === blocks - 1 ? 1 : 0); // type 0: raw
    out.set([header & 0xff, (header >>> 8) & 0xff, header >>> 16], o);
    out.set(data.subarray(b * blockMax, b * blockMax + n), o + 3);
    o += 3 + n;
  }
  return out;
}

const require = createRequire(import.meta.url);

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url)));
const plain = fixture('plain.txt');
const MiB = 1024 * 1024;

const codecs: [string, CompressionCodec][] = [
  ['gzip', gzipCodec],
  ['snappy', snappyCodec],
  ['lz4', lz4Codec],
  ['zstd', zstdCodec],
];

// Data with repeats, so the compressors emit matches (overlapping ones too), not only literals.
const compressible = fc
  .array(
    fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constantFrom('abcabcabc', 'aaaaaaaaaaaaaaaaaaaa', 'key-')),
    {
      maxLength: 60,
    },
  )
  .chain((parts) =>
    fc.nat({ max: 5 }).map((times) => {
      const one = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
      return new Uint8Array(Buffer.concat(Array.from({ length: times + 1 }, () => one)));
    }),
  );

// The lz4 and snappy suites run twice: with the JS block decoders, and with the native ones (the
// optional peers are dev dependencies here, so 'native' must load).
describe.each(['js', 'native'] as const)('built-in compression codecs (%s block decoders)', (mode) => {
  beforeAll(() => {
    expect(setNativeDecompression('lz4', mode)).toBe(mode === 'native');
    expect(setNativeDecompression('snappy', mode)).toBe(mode === 'native');
  });
  afterAll(() => {
    setNativeDecompression('lz4', 'auto');
    setNativeDecompression('snappy', 'auto');
  });

  for (const [name, codec] of codecs) {
    it(`${name} decompresses what it compressed, for any data`, () => {
      fc.assert(
        fc.property(compressible, (data) => {
          expect(codec.decompress(codec.compress(data), MiB)).toEqual(data);
        }),
      );
    });

    it(`${name} round-trips data larger than one block`, () => {
      const big = new Uint8Array(300_000);
      for (let i = 0; i < big.length; i++) big[i] = i % 251 < 100 ? i % 7 : (i * 131) & 0xff;
      const back = codec.decompress(codec.compress(big), MiB);
      // Buffer.equals instead of a deep equality: a 300 KB element-by-element diff is slow.
      expect(Buffer.from(back).equals(big)).toBe(true);
    });

    it(`${name} hands out batches decoded one after another that keep their own bytes`, () => {
      // Small lz4 outputs share slabs: no batch may overwrite or expose another's bytes in its view.
      const inputs = Array.from({ length: 300 }, (_, k) =>
        new TextEncoder().encode(`{"seq":${k},"event":"order.${k % 7}"}`.repeat(1 + ((k * 37) % 600))),
      );
      const outputs = inputs.map((data) => codec.decompress(codec.compress(data), MiB));
      outputs.forEach((out, k) => {
        expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
        expect(Buffer.from(out.buffer, out.byteOffset, out.length).equals(inputs[k]!)).toBe(true);
      });
    });

    it(`${name} refuses to produce more than the cap with DecompressedSizeError`, () => {
      const zeros = new Uint8Array(200_000);
      const compressed = codec.compress(zeros);
      expect(codec.decompress(compressed, 200_000)).toHaveLength(200_000);
      expect(() => codec.decompress(compressed, 199_999)).toThrow(DecompressedSizeError);
    });

    it(`${name} ends arbitrary bytes in a DecodeError or a bounded result`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
          try {
            expect(codec.decompress(bytes, 64 * 1024).length).toBeLessThanOrEqual(64 * 1024);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        }),
      );
    });

    it(`${name} ends a corrupted compression of real data in a DecodeError or a bounded result`, () => {
      const compressed = codec.compress(plain);
      fc.assert(
        fc.property(fc.nat({ max: compressed.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
          const bad = compressed.slice();
          bad[at]! ^= flip;
          try {
            expect(codec.decompress(bad, 64 * 1024).length).toBeLessThanOrEqual(64 * 1024);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        }),
      );
    });
  }

  it('actually compresses repetitive data (snappy, lz4, gzip)', () => {
    for (const codec of [gzipCodec, snappyCodec, lz4Codec]) {
      expect(codec.compress(plain).length).toBeLessThan(plain.length / 2);
    }
  });
});

describe('interoperability with reference implementations', () => {
  it('decodes gzip, LZ4 and zstd files written by the reference command-line tools', () => {
    expect(gzipCodec.decompress(fixture('plain.gz'), MiB)).toEqual(plain);
    expect(lz4Codec.decompress(fixture('plain.lz4'), MiB)).toEqual(plain);
    expect(zstdCodec.decompress(fixture('plain.zst'), MiB)).toEqual(plain);
  });

  const hasTool = (tool: string) => {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };

  it.skipIf(!hasTool('lz4'))('writes LZ4 frames that the lz4 tool decodes', () => {
    const out = execFileSync('lz4', ['-d', '-c'], { input: lz4Compress(plain) });
    expect(new Uint8Array(out)).toEqual(plain);
  });

  it.skipIf(!hasTool('zstd'))('writes zstd frames that the zstd tool decodes', () => {
    expect(new Uint8Array(execFileSync('zstd', ['-d', '-c'], { input: zstdCodec.compress(plain) }))).toEqual(
      plain,
    );
    expect(new Uint8Array(execFileSync('zstd', ['-d', '-c'], { input: zstdStoredFrame(plain) }))).toEqual(
      plain,
    );
  });
});

describe('snappy', () => {
  it('writes the xerial framing that snappy-java (and so the Java producer) writes', () => {
    const framed = snappyCodec.compress(plain);
    expect(Buffer.from(framed.subarray(0, 16)).toString('hex')).toBe('82534e41505059000000000100000001');
    expect(isXerialFramed(framed)).toBe(true);
  });

  it('reads a raw snappy block too, as some clients write', () => {
    const raw = snappyCompressRaw(plain);
    expect(isXerialFramed(raw)).toBe(false);
    expect(snappyCodec.decompress(raw, MiB)).toEqual(plain);
  });

  it('decodes the example block of the snappy format description', () => {
    // Preamble 11, literal "abcd", copy of 7 bytes at distance 4 (one-byte-offset form).
    const block = new Uint8Array([11, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x0d, 0x04]);
    expect(Buffer.from(snappyDecompressRaw(block, 100)).toString()).toBe('abcdabcdabc');
  });

  it('rejects a declared length that the input could not produce, before allocating it', () => {
    const lying = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expect(() => snappyDecompressRaw(lying, 2 ** 33)).toThrow(DecodeError);
    expect(() => snappyDecompressRaw(lying, 1000)).toThrow(DecompressedSizeError);
  });
});

describe('lz4', () => {
  it('writes the frame header Kafka writes: version 1, independent blocks, 64 KiB maximum', () => {
    const frame = lz4Compress(plain);
    expect(Buffer.from(frame.subarray(0, 7)).toString('hex')).toBe('04224d186040' + '82');
  });

  it('accepts the header checksum Kafka computed over the magic for v0 messages', () => {
    const frame = lz4Compress(plain);
    frame[6] = (xxhash32(frame, 0, 0, 6) >>> 8) & 0xff;
    expect(lz4Decompress(frame, MiB)).toEqual(plain);
  });

  it('rejects a frame whose header checksum matches neither form', () => {
    const frame = lz4Compress(plain);
    frame[6]! ^= 0xff;
    expect(() => lz4Decompress(frame, MiB)).toThrow(DecodeError);
  });

  it('computes xxHash32 like the reference', () => {
    expect(xxhash32(new Uint8Array(0))).toBe(0x02cc5d05);
    expect(xxhash32(new TextEncoder().encode('abc'))).toBe(0x32d153ff);
    expect(xxhash32(new TextEncoder().encode('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });
});

describe('zstd', () => {
  it('refuses a frame whose header declares a window larger than the cap, before decoding', () => {
    // Window descriptor 0xff: 2^41 * 1.875 bytes.
    const frame = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xff, 0x01, 0x00, 0x00]);
    expect(() => checkZstdFrames(frame, MiB)).toThrow(DecompressedSizeError);
    expect(() => zstdDecompress(frame, MiB)).toThrow(DecompressedSizeError);
  });

  it('accepts a streaming frame with a 2 MiB window (what Java writes) under a small cap', () => {
    const streamed = fixture('plain-stream.zst');
    expect(streamed[5]).toBe(0x58); // window descriptor: 2^21 bytes, no content size
    expect(zstdCodec.decompress(streamed, 64 * 1024)).toEqual(plain);
    expect(() => zstdCodec.decompress(streamed, 1000)).toThrow(DecompressedSizeError);
  });

  it('decodes frames without a content size that compress far better than expected, exactly to the cap', () => {
    const zlib = require('node:zlib') as {
      zstdCompressSync: (d: Uint8Array, o: object) => Uint8Array;
      constants: Record<string, number>;
    };
    const data = new TextEncoder().encode('0123456789abcdef'.repeat(64 * 1024)); // 1 MiB, ratio > 1000
    const frame = zlib.zstdCompressSync(data, { params: { [zlib.constants.ZSTD_c_contentSizeFlag!]: 0 } });
    expect(frame[4]! & 0xe0).toBe(0); // no content size field, not single-segment
    expect(Buffer.from(zstdDecompress(frame, MiB)).equals(data)).toBe(true);
    expect(() => zstdDecompress(frame, MiB - 1)).toThrow(DecompressedSizeError);
  });

  it('refuses a frame whose declared content size is larger than the cap', () => {
    const stored = zstdStoredFrame(new Uint8Array(5000));
    expect(() => zstdDecompress(stored, 4999)).toThrow(DecompressedSizeError);
    expect(zstdDecompress(stored, 5000)).toEqual(new Uint8Array(5000));
  });
});

describe('the codec registry', () => {
  afterEach(() => unregisterCompressionCodec(CompressionType.lz4));

  it('serves the built-in codecs by Kafka compression type', () => {
    expect(getCompressionCodec(CompressionType.gzip).name).toBe('gzip');
    expect(getCompressionCodec(CompressionType.snappy).name).toBe('snappy');
    expect(getCompressionCodec(CompressionType.lz4).name).toBe('lz4');
    expect(getCompressionCodec(CompressionType.zstd).name).toBe('zstd');
  });

  it('lets a user plug in a codec that takes precedence over the built-in one', () => {
    const custom: CompressionCodec = { name: 'my-lz4', compress: (d) => d, decompress: (d) => d };
    registerCompressionCodec(CompressionType.lz4, custom);
    expect(getCompressionCodec(CompressionType.lz4)).toBe(custom);
    unregisterCompressionCodec(CompressionType.lz4);
    expect(getCompressionCodec(CompressionType.lz4)).toBe(lz4Codec);
  });

  it('throws CodecUnavailableError for a type without a codec', () => {
    expect(() => getCompressionCodec(5)).toThrow(CodecUnavailableError);
    try {
      getCompressionCodec(6);
    } catch (e) {
      expect((e as CodecUnavailableError).code).toBe('ERR_CODEC_UNAVAILABLE');
      expect((e as CodecUnavailableError).compressionType).toBe(6);
    }
  });

  it('loads an optional native codec lazily and reports it unavailable, typed, when loading fails', () => {
    let loads = 0;
    const missing = lazyCompressionCodec(CompressionType.zstd, 'zstd-native', () => {
      loads++;
      return createRequire(import.meta.url)('runnel-no-such-native-zstd') as CompressionCodec;
    });
    expect(loads).toBe(0);
    registerCompressionCodec(CompressionType.zstd, missing);
    try {
      expect(() => getCompressionCodec(CompressionType.zstd).compress(plain)).toThrow(CodecUnavailableError);
      expect(() => getCompressionCodec(CompressionType.zstd).decompress(plain, MiB)).toThrow(
        CodecUnavailableError,
      );
      expect(loads).toBe(1);
    } finally {
      unregisterCompressionCodec(CompressionType.zstd);
    }
    const working = lazyCompressionCodec(CompressionType.lz4, 'lz4-wrapped', () => lz4Codec);
    expect(working.decompress(working.compress(plain), MiB)).toEqual(plain);
  });
});
