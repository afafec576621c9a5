/**
 * The kept zstd decompressor against node:zlib's one-shot call: the same bytes for any data, frame
 * after frame; -1 (so that the caller takes the public path) whenever the output may not be whole or
 * the data is malformed, after which it still decodes the next frame.
 */
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkZstdFrames } from './zstd.js';
import { zstdDecompressInto } from './zstd-reuse.js';

type ZstdSync = (
  data: Uint8Array,
  options?: { params?: Record<number, number>; maxOutputLength?: number },
) => Buffer;
const { zstdCompressSync, zstdDecompressSync } = zlib as unknown as {
  zstdCompressSync: ZstdSync;
  zstdDecompressSync: ZstdSync;
};
const NO_CONTENT_SIZE = {
  params: { [(zlib.constants as unknown as Record<string, number>).ZSTD_c_contentSizeFlag!]: 0 },
};

const data = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.constantFrom('{"id":7,"event":"order.created"}', 'x'.repeat(500)),
    ),
    {
      maxLength: 30,
    },
  )
  .map((parts) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p as Uint8Array | string)))));

/** @returns what the kept decompressor wrote into a buffer of `room` bytes, or -1. */
function into(frame: Uint8Array, room: number): Buffer | -1 {
  const out = Buffer.alloc(room);
  const n = zstdDecompressInto(frame, out);
  return n < 0 ? -1 : out.subarray(0, n);
}

function oneShot(frame: Uint8Array): Buffer | 'error' {
  try {
    return zstdDecompressSync(frame, { maxOutputLength: 64 * 1024 });
  } catch {
    return 'error';
  }
}

describe('zstdDecompressInto', () => {
  it('decodes what the one-shot call decodes, one frame or two, with or without a content size', () => {
    fc.assert(
      fc.property(data, data, fc.boolean(), fc.boolean(), (a, b, sized, two) => {
        const first = zstdCompressSync(a, sized ? {} : NO_CONTENT_SIZE);
        const frame = two ? Buffer.concat([first, zstdCompressSync(b)]) : first;
        const expected = two ? Buffer.concat([a, b]) : Buffer.from(a);
        expect(oneShot(frame)).toEqual(expected);
        expect(into(frame, expected.length + 1)).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('gives -1 when the output fills its room (it may be longer), and decodes the next frame', () => {
    const text = new TextEncoder().encode('{"id":7,"event":"order.created"}\n'.repeat(300));
    const frame = zstdCompressSync(text, NO_CONTENT_SIZE);
    expect(into(frame, text.length)).toBe(-1);
    expect(into(frame, 100)).toBe(-1);
    expect(into(frame, text.length + 1)).toEqual(Buffer.from(text));
  });

  it('gives -1 for malformed data where the one-shot call fails, the same bytes where it does not, and goes on', async () => {
    const text = new TextEncoder().encode('{"id":12,"event":"view","user":"u-77"}\n'.repeat(200));
    const frame = zstdCompressSync(text);
    let failures = 0;
    fc.assert(
      fc.property(fc.nat({ max: frame.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const bad = Buffer.from(frame);
        bad[at]! ^= flip;
        // As in zstdDecompress, only data whose frame and block headers pass the walk gets here.
        try {
          checkZstdFrames(bad, 64 * 1024);
        } catch {
          return;
        }
        const expected = oneShot(bad);
        const got = into(bad, 64 * 1024);
        if (expected === 'error') {
          failures++;
          expect(got).toBe(-1);
        } else if (got !== -1) {
          expect(got).toEqual(expected);
        }
        expect(into(frame, text.length + 1)).toEqual(Buffer.from(text));
      }),
      { numRuns: 50 },
    );
    expect(failures).toBeGreaterThan(0);
    // The destroyed streams emit 'error' a tick later: it must not surface as an unhandled error.
    await new Promise((resolve) => setImmediate(resolve));
  });
});
