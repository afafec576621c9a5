/**
 * The optional native block decoders (lz4-napi, snappy) against the JS ones: same bytes out, same
 * typed errors, and really in use when chosen. The packages are dev dependencies here.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DecodeError } from '../errors.js';
import { CodecOptionError, DecompressedSizeError } from './errors.js';
import { lz4Codec } from './lz4.js';
import { type NativeCodecName, type NativeMode, setNativeDecompression } from './native.js';
import { snappyCodec, snappyCompressRaw, snappyDecompressRaw } from './snappy.js';
import { lzData } from './test-support/lz-data.js';

const require = createRequire(import.meta.url);
const lz4Napi = require('lz4-napi') as {
  uncompressSync: (d: Uint8Array) => Buffer;
  compressFrameSync: (d: Buffer) => Buffer;
};
const snappyNapi = require('snappy') as {
  uncompressSync: (d: Uint8Array) => Buffer;
  compressSync: (d: Uint8Array) => Buffer;
};
const MiB = 1024 * 1024;

// Buffer.equals, not a deep equality: an element-by-element diff of 200 KB takes seconds.
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

function outcome(fn: () => Uint8Array): { bytes?: string; error?: string } {
  try {
    return { bytes: Buffer.from(fn()).toString('hex') };
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return { error: `${e.constructor.name}: ${e.message}` };
  }
}

/** Decodes with the JS decoders and with the native ones. */
function both(
  codec: NativeCodecName,
  fn: () => Uint8Array,
): [ReturnType<typeof outcome>, ReturnType<typeof outcome>] {
  setNativeDecompression(codec, 'js');
  const js = outcome(fn);
  setNativeDecompression(codec, 'native');
  return [js, outcome(fn)];
}

const compressible = fc
  .array(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constantFrom('abcabcabc', 'z'.repeat(300), 'key-')), {
    maxLength: 80,
  })
  .map(
    (parts) =>
      new Uint8Array(
        Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))),
      ),
  );

describe('native block decoders', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    setNativeDecompression('lz4', 'auto');
    setNativeDecompression('snappy', 'auto');
  });

  for (const [name, codec] of [
    ['lz4', lz4Codec],
    ['snappy', snappyCodec],
  ] as const) {
    it(`${name}: native and JS decode the same bytes for any data`, () => {
      fc.assert(
        fc.property(compressible, (data) => {
          const compressed = codec.compress(data);
          const [js, native] = both(name, () => codec.decompress(compressed, MiB));
          expect(native).toEqual(js);
          expect(js.bytes).toBe(Buffer.from(data).toString('hex'));
        }),
      );
    });

    // Frames of several blocks and of one (lz4 decodes those on a path of its own); the lz4 adapter
    // lends the four bytes before a block to lz4-napi for the output bound, so the input is checked too.
    for (const [what, line, times] of [
      ['several blocks', 'the quick brown fox jumps over the lazy dog; ', 2000],
      ['one block', '{"id":12,"event":"view","user":"u-77"}\n', 400],
    ] as const) {
      it(`${name}: native and JS end corrupted data (${what}) in the same typed error or bytes, leaving it as it was`, () => {
        const compressed = codec.compress(new TextEncoder().encode(line.repeat(times)));
        fc.assert(
          fc.property(
            fc.nat({ max: compressed.length - 1 }),
            fc.integer({ min: 1, max: 255 }),
            (at, flip) => {
              const bad = compressed.slice();
              bad[at]! ^= flip;
              const before = bad.slice();
              const [js, native] = both(name, () => codec.decompress(bad, 256 * 1024));
              expect(native).toEqual(js);
              expect(bad).toEqual(before);
            },
          ),
          { numRuns: 150 },
        );
      });
    }

    it(`${name}: native and JS stop at the same cap with DecompressedSizeError`, () => {
      const compressed = codec.compress(new Uint8Array(300_000));
      const [js, native] = both(name, () => codec.decompress(compressed, 100_000));
      expect(js.error).toBe(
        `DecompressedSizeError: ${name}: decompressed size exceeds the limit of 100000 bytes`,
      );
      expect(native).toEqual(js);
    });
  }

  for (const [name, codec, module, size, calls] of [
    ['lz4', lz4Codec, lz4Napi, 200_000, 4], // one call per 64 KiB block
    ['snappy', snappyCodec, snappyNapi, 100_000, 4], // one call per 32 KiB xerial block
  ] as const) {
    it(`${name}: the native decoder is really called when chosen, and never when JS is`, () => {
      const data = new Uint8Array(size).fill(7);
      const compressed = codec.compress(data);
      const spy = vi.spyOn(module, 'uncompressSync');
      setNativeDecompression(name, 'js');
      codec.decompress(compressed, MiB);
      expect(spy).not.toHaveBeenCalled();
      setNativeDecompression(name, 'native');
      expect(same(codec.decompress(compressed, MiB), data)).toBe(true);
      expect(spy).toHaveBeenCalledTimes(calls);
    });
  }

  for (const [name, codec, module, size, blocks] of [
    ['lz4', lz4Codec, lz4Napi, 200_000, 4],
    ['snappy', snappyCodec, snappyNapi, 100_000, 4],
  ] as const) {
    it(`${name}: frees each native block buffer once copied out, and keeps the one a batch of one block is`, () => {
      setNativeDecompression(name, 'native');
      const data = new Uint8Array(size).map((_, i) => i % 251);
      const spy = vi.spyOn(module, 'uncompressSync');
      expect(same(codec.decompress(codec.compress(data), MiB), data)).toBe(true);
      const copied = spy.mock.results.map((r) => r.value as Buffer);
      expect(copied).toHaveLength(blocks);
      // Detached: the memory is back now, not at V8's next full collection.
      expect(copied.map((b) => b.buffer.byteLength)).toEqual(new Array(blocks).fill(0));
      spy.mockClear();
      const small = data.subarray(0, 1000);
      const kept = codec.decompress(codec.compress(small), MiB);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(same(kept, small)).toBe(true);
      expect((spy.mock.results[0]!.value as Buffer).buffer.byteLength).toBeGreaterThan(0);
    });
  }

  it('decodes what the native packages compress: LZ4 frames and raw snappy blocks', () => {
    const data = new TextEncoder().encode('{"id":12,"event":"view","user":"u-77"}\n'.repeat(5000));
    for (const mode of ['js', 'native'] as NativeMode[]) {
      setNativeDecompression('lz4', mode);
      setNativeDecompression('snappy', mode);
      const lz4Frame = new Uint8Array(lz4Napi.compressFrameSync(Buffer.from(data)));
      expect(same(lz4Codec.decompress(lz4Frame, MiB), data)).toBe(true);
      expect(same(snappyDecompressRaw(new Uint8Array(snappyNapi.compressSync(data)), MiB), data)).toBe(true);
    }
  });

  it('JS snappy decodes raw blocks of either compressor, with matches 1 to 9 bytes back and farther', () => {
    // The word copies of the JS decoder against snappy's own compressor and this package's.
    setNativeDecompression('snappy', 'js');
    fc.assert(
      fc.property(lzData, (data) => {
        for (const block of [snappyCompressRaw(data), new Uint8Array(snappyNapi.compressSync(data))]) {
          expect(same(snappyDecompressRaw(block, MiB), data)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a raw snappy block that declares more than the cap never reaches the native decoder', () => {
    const spy = vi.spyOn(snappyNapi, 'uncompressSync');
    setNativeDecompression('snappy', 'native');
    const block = new Uint8Array(snappyNapi.compressSync(new Uint8Array(50_000)));
    expect(() => snappyDecompressRaw(block, 49_999)).toThrow(DecompressedSizeError);
    expect(spy).not.toHaveBeenCalled();
  });

  it('setNativeDecompression refuses an unknown codec or mode, naming itself', () => {
    expect(() => setNativeDecompression('zstd' as NativeCodecName, 'js')).toThrow(CodecOptionError);
    expect(() => setNativeDecompression('lz4', 'fast' as NativeMode)).toThrow(/setNativeDecompression/);
    expect(setNativeDecompression('lz4', 'auto')).toBe(true);
    expect(setNativeDecompression('lz4', 'js')).toBe(false);
  });
});
