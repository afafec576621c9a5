/**
 * The kept zstd and gzip decompressors against node:zlib's one-shot calls: the same bytes for any
 * data, frame after frame (member after member); -1 (so that the caller takes the public path)
 * whenever the output may not be whole or the data is malformed, after which the next input still
 * decodes.
 */
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type KeptFormat, keptDecompressInto } from './zlib-kept.js';
import { checkZstdFrames } from './zstd.js';

type Sync = (
  data: Uint8Array,
  options?: { params?: Record<number, number>; maxOutputLength?: number },
) => Buffer;
const { zstdCompressSync, zstdDecompressSync } = zlib as unknown as {
  zstdCompressSync: Sync;
  zstdDecompressSync: Sync;
};
const NO_CONTENT_SIZE = {
  params: { [(zlib.constants as unknown as Record<string, number>).ZSTD_c_contentSizeFlag!]: 0 },
};

interface Format {
  /** Compresses, with the variant the flag picks (zstd: without a content size, as zstd-jni streams). */
  compress(data: Uint8Array, variant: boolean): Buffer;
  decompress: Sync;
  /** Whether the codec would pass `data` to the decompressor at all (zstd walks the headers first). */
  accepts(data: Uint8Array): boolean;
}

const formats: Record<KeptFormat, Format> = {
  zstd: {
    compress: (data, variant) => zstdCompressSync(data, variant ? NO_CONTENT_SIZE : {}),
    decompress: zstdDecompressSync,
    accepts: (data) => {
      try {
        checkZstdFrames(data, 64 * 1024);
        return true;
      } catch {
        return false;
      }
    },
  },
  gzip: {
    compress: (data, variant) => zlib.gzipSync(data, { level: variant ? 1 : 6 }),
    decompress: zlib.gunzipSync,
    accepts: () => true,
  },
};

const data = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.constantFrom('{"id":7,"event":"order.created"}', 'x'.repeat(500)),
    ),
    { maxLength: 30 },
  )
  .map((parts) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p as Uint8Array | string)))));

/** @returns what the kept decompressor wrote into a buffer of `room` bytes, or -1. */
function into(format: KeptFormat, input: Uint8Array, room: number): Buffer | -1 {
  const out = Buffer.alloc(room);
  const n = keptDecompressInto(format, input, out);
  return n < 0 ? -1 : out.subarray(0, n);
}

function oneShot(format: KeptFormat, input: Uint8Array): Buffer | 'error' {
  try {
    return formats[format].decompress(input, { maxOutputLength: 64 * 1024 });
  } catch {
    return 'error';
  }
}

describe.each(['zstd', 'gzip'] as const)('keptDecompressInto (%s)', (format) => {
  const { compress, accepts } = formats[format];

  it('decodes what the one-shot call decodes, one frame or two, in either variant', () => {
    fc.assert(
      fc.property(data, data, fc.boolean(), fc.boolean(), (a, b, variant, two) => {
        const first = compress(a, variant);
        const input = two ? Buffer.concat([first, compress(b, !variant)]) : first;
        const expected = two ? Buffer.concat([a, b]) : Buffer.from(a);
        const got = into(format, input, expected.length + 1);
        if (two && format === 'zstd') {
          // Node 22's zstd stops after the first frame (its one-shot call too): the kept path says -1
          // there, since input is left over. Node 24 and later decode both frames either way.
          if (got !== -1) expect(got).toEqual(expected);
          return;
        }
        expect(oneShot(format, input)).toEqual(expected);
        expect(got).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('gives -1 when the output fills its room (it may be longer), and decodes the next input', () => {
    const text = new TextEncoder().encode('{"id":7,"event":"order.created"}\n'.repeat(300));
    const input = compress(text, true);
    expect(into(format, input, text.length)).toBe(-1);
    expect(into(format, input, 100)).toBe(-1);
    expect(into(format, input, text.length + 1)).toEqual(Buffer.from(text));
  });

  it('gives -1 for malformed data where the one-shot call fails, the same bytes where it does not, and goes on', async () => {
    const text = new TextEncoder().encode('{"id":12,"event":"view","user":"u-77"}\n'.repeat(200));
    const input = compress(text, false);
    let failures = 0;
    fc.assert(
      fc.property(fc.nat({ max: input.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const bad = Buffer.from(input);
        bad[at]! ^= flip;
        if (!accepts(bad)) return;
        const expected = oneShot(format, bad);
        const got = into(format, bad, 64 * 1024);
        if (expected === 'error') {
          failures++;
          expect(got).toBe(-1);
        } else if (got !== -1) {
          expect(got).toEqual(expected);
        }
        expect(into(format, input, text.length + 1)).toEqual(Buffer.from(text));
      }),
      { numRuns: 50 },
    );
    expect(failures).toBeGreaterThan(0);
    // The destroyed streams emit 'error' a tick later: it must not surface as an unhandled error.
    await new Promise((resolve) => setImmediate(resolve));
  });
});
