import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameCutter } from './frame-cutter.js';
import { frame } from './test-support/sockets.js';

/** Feeds `chunks` to a cutter that cuts frame number `cutIndex` (0-based). @returns bytes forwarded, and whether a cut happened. */
function run(chunks: readonly Uint8Array[], cutIndex: number): { forwarded: number; cut: boolean } {
  const cutter = new FrameCutter();
  let frames = 0;
  let forwarded = 0;
  for (const chunk of chunks) {
    const { forward, cut } = cutter.scan(chunk, () => frames++ === cutIndex);
    forwarded += forward;
    if (cut) return { forwarded, cut };
  }
  return { forwarded, cut: false };
}

function split(bytes: Buffer, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  return out;
}

describe('FrameCutter', () => {
  it('forwards the size and half the body of the chosen frame, then asks for the cut', () => {
    const stream = Buffer.concat([frame(Buffer.alloc(10, 1)), frame(Buffer.alloc(6, 2))]);
    expect(run([stream], 0)).toEqual({ forwarded: 4 + 5, cut: true });
    expect(run([stream], 1)).toEqual({ forwarded: 14 + 4 + 3, cut: true });
    expect(run([stream], 2)).toEqual({ forwarded: stream.length, cut: false });
  });

  it('cuts an empty frame right after its size, and a 1-byte frame before its body', () => {
    expect(run([frame(new Uint8Array(0))], 0)).toEqual({ forwarded: 4, cut: true });
    expect(run([frame(new Uint8Array(1))], 0)).toEqual({ forwarded: 4, cut: true });
  });

  it('finds the same cut however the stream is split into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.nat(),
        (sizes, cuts, pick) => {
          const frames = sizes.map((size, i) => frame(Buffer.alloc(size, i + 1)));
          const stream = Buffer.concat(frames);
          const cutIndex = pick % frames.length;
          const before = frames.slice(0, cutIndex).reduce((n, f) => n + f.length, 0);
          const expected = before + 4 + Math.floor(sizes[cutIndex]! / 2);
          expect(run(split(stream, cuts), cutIndex)).toEqual({ forwarded: expected, cut: true });
        },
      ),
    );
  });

  it('reads a negative size as an empty frame, so the next frame is still found', () => {
    const bad = Buffer.alloc(4);
    bad.writeInt32BE(-5, 0);
    const stream = Buffer.concat([bad, frame(Buffer.alloc(8))]);
    expect(run([stream], 1)).toEqual({ forwarded: 4 + 4 + 4, cut: true });
  });
});
