import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameTooLargeError } from './errors.js';
import { FrameDecoder } from './frame-decoder.js';
import { frame } from './testing/fake-kafka-server.js';

function collect(decoder: FrameDecoder, chunks: Uint8Array[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const chunk of chunks) decoder.push(chunk, (f) => frames.push(new Uint8Array(f)));
  return frames;
}

/**
 * Plays a socket with `onread`: each read fills at most `reads[i]` bytes (cycling; the rest of the
 * stream otherwise) of the buffer the decoder offers, as libuv would. Frames are kept as handed out.
 */
function readInPlace(decoder: FrameDecoder, stream: Uint8Array, reads: readonly number[] = []): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let at = 0;
  for (let r = 0; at < stream.length; r++) {
    const into = decoder.readBuffer();
    const want = reads.length > 0 ? Math.max(1, reads[r % reads.length]!) : stream.length;
    const n = Math.min(into.length, want, stream.length - at);
    into.set(stream.subarray(at, at + n));
    at += n;
    decoder.received(n, (f) => frames.push(f));
  }
  return frames;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('FrameDecoder', () => {
  it('hands out many frames that arrive in one chunk, in order', () => {
    const stream = concat([
      frame(Uint8Array.of(1, 2)),
      frame(Uint8Array.of()),
      frame(Uint8Array.of(3, 4, 5)),
    ]);
    const frames = collect(new FrameDecoder('b:1', 100), [stream]);
    expect(frames.map((f) => [...f])).toEqual([[1, 2], [], [3, 4, 5]]);
  });

  it('hands out a frame wholly inside one chunk as a view of that chunk, without a copy', () => {
    const chunk = frame(Uint8Array.of(7, 8, 9));
    let seen: Uint8Array | undefined;
    new FrameDecoder('b:1', 100).push(chunk, (f) => {
      seen = f;
    });
    expect(seen?.buffer).toBe(chunk.buffer);
    expect(seen?.byteOffset).toBe(chunk.byteOffset + 4);
  });

  it('assembles a frame split across chunks, size prefix included, into one buffer', () => {
    const stream = frame(Uint8Array.of(10, 11, 12, 13, 14));
    const oneByteChunks = [...stream].map((b) => Uint8Array.of(b));
    const decoder = new FrameDecoder('b:1', 100);
    const frames: Uint8Array[] = [];
    oneByteChunks.forEach((chunk, i) => {
      decoder.push(chunk, (f) => frames.push(f));
      expect(decoder.midFrame).toBe(i < oneByteChunks.length - 1);
    });
    expect(frames.map((f) => [...f])).toEqual([[10, 11, 12, 13, 14]]);
  });

  it('yields the same frames however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.nat(60), { maxLength: 20 }),
        (payloads, cuts) => {
          const stream = concat(payloads.map((p) => frame(p)));
          const points = [...new Set(cuts.map((c) => Math.min(c, stream.length)))].sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let start = 0;
          for (const p of [...points, stream.length]) {
            chunks.push(stream.subarray(start, p));
            start = p;
          }
          const frames = collect(new FrameDecoder('b:1', 100), chunks);
          expect(frames.map((f) => [...f])).toEqual(payloads.map((p) => [...p]));
        },
      ),
    );
  });

  it('reads a frame in place: after the read that brings its size, the rest goes straight into its buffer', () => {
    const payload = Uint8Array.from({ length: 200 }, (_, i) => i & 0xff);
    const decoder = new FrameDecoder('b:1', 1000, 64);
    const offered: number[] = [];
    const frames: Uint8Array[] = [];
    const stream = frame(payload);
    let at = 0;
    while (at < stream.length) {
      const into = decoder.readBuffer();
      offered.push(into.length);
      const n = Math.min(into.length, stream.length - at);
      into.set(stream.subarray(at, at + n));
      at += n;
      decoder.received(n, (f) => frames.push(f));
    }
    // 64 scratch bytes (the size and 60 bytes, copied), then the other 140 in reads of at most 64 bytes
    // straight into the frame.
    expect(offered).toEqual([64, 64, 64, 12]);
    expect(frames).toHaveLength(1);
    expect([...frames[0]!]).toEqual([...payload]);
  });

  it('copies frames found whole in the scratch buffer, which the next read overwrites', () => {
    const decoder = new FrameDecoder('b:1', 100, 64);
    const frames = readInPlace(decoder, concat([frame(Uint8Array.of(1, 2)), frame(Uint8Array.of(3))]));
    expect(frames.map((f) => [...f])).toEqual([[1, 2], [3]]);
    const scratch = decoder.readBuffer();
    scratch.fill(0xee);
    expect(frames.map((f) => [...f])).toEqual([[1, 2], [3]]);
    expect(frames.every((f) => f.buffer !== scratch.buffer)).toBe(true);
  });

  it('yields the same frames read in place as pushed, however the reads fall', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 90 }), { maxLength: 12 }),
        fc.integer({ min: 4, max: 80 }),
        (payloads, reads, scratch) => {
          const stream = concat(payloads.map((p) => frame(p)));
          const frames = readInPlace(new FrameDecoder('b:1', 1000, scratch), stream, reads);
          expect(frames.map((f) => [...f])).toEqual(payloads.map((p) => [...p]));
        },
      ),
    );
  });

  it('rejects a size above the maximum read in place, and takes nothing more after it', () => {
    const decoder = new FrameDecoder('b:1', 10, 64);
    const into = decoder.readBuffer();
    into.set(Uint8Array.of(0x00, 0x00, 0x00, 0x0b, 1, 2));
    const error = catchError(() => decoder.received(6, () => {}));
    expect(error).toMatchObject({ name: 'FrameTooLargeError', size: 11, maxSize: 10 });
    const frames: Uint8Array[] = [];
    const next = decoder.readBuffer();
    next.set(frame(Uint8Array.of(5)));
    decoder.received(5, (f) => frames.push(f));
    expect(frames).toEqual([]);
  });

  it('rejects a size above the maximum from the prefix alone, before the frame arrives', () => {
    const decoder = new FrameDecoder('broker-a:9092', 1000);
    const prefix = Uint8Array.of(0x00, 0x00, 0x03, 0xe9); // 1001
    const error = catchError(() => decoder.push(prefix, () => {}));
    expect(error).toBeInstanceOf(FrameTooLargeError);
    expect(error).toMatchObject({
      size: 1001,
      maxSize: 1000,
      broker: 'broker-a:9092',
      code: 'ERR_FRAME_TOO_LARGE',
    });
  });

  it('rejects a negative size, such as the first bytes of a TLS alert or HTTP reply read as a prefix', () => {
    const decoder = new FrameDecoder('b:1', 1000);
    const error = catchError(() => decoder.push(Uint8Array.of(0xff, 0xff, 0xff, 0xfe), () => {}));
    expect(error).toMatchObject({ name: 'FrameTooLargeError', size: -2 });
  });

  it('ignores everything after it was stopped, even the rest of the chunk being pushed', () => {
    const decoder = new FrameDecoder('b:1', 100);
    const frames: Uint8Array[] = [];
    const stream = concat([frame(Uint8Array.of(1)), frame(Uint8Array.of(2))]);
    decoder.push(stream, (f) => {
      frames.push(f);
      decoder.stop();
    });
    decoder.push(frame(Uint8Array.of(3)), (f) => frames.push(f));
    expect(frames.map((f) => [...f])).toEqual([[1]]);
  });
});

function catchError(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
