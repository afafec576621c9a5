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

  it('reads into its own buffers (onread) to the same frames as push, whatever each read returns', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 200_000 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 150_000 }), { minLength: 1, maxLength: 12 }),
        (payloads, readSizes) => {
          const stream = concat(payloads.map((p) => frame(p)));
          const decoder = new FrameDecoder('b:1', 1 << 20);
          // Frames kept as handed out, no copy: a later read must not change them.
          const frames: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            // A socket read: at most the buffer's length, at most what the peer has sent.
            const buffer = decoder.readBuffer();
            const n = Math.min(buffer.length, readSizes[i % readSizes.length]!, stream.length - at);
            buffer.set(stream.subarray(at, at + n));
            at += n;
            decoder.receive(n, buffer, (f) => frames.push(f));
          }
          expect(decoder.midFrame).toBe(false);
          const reference = collect(new FrameDecoder('b:1', 1 << 20), [stream]);
          expect(frames.map((f) => [...f])).toEqual(reference.map((f) => [...f]));
          expect(frames.map((f) => [...f])).toEqual(payloads.map((p) => [...p]));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads the rest of a large frame straight into it, and copies small frames out of its scratch buffer', () => {
    const big = new Uint8Array(300_000).map((_, i) => i % 251);
    const stream = concat([frame(Uint8Array.of(1, 2, 3)), frame(big)]);
    const decoder = new FrameDecoder('b:1', 1 << 20);
    const frames: Uint8Array[] = [];
    const scratch = decoder.readBuffer();
    scratch.set(stream.subarray(0, scratch.length));
    decoder.receive(scratch.length, scratch, (f) => frames.push(f));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.buffer).not.toBe(scratch.buffer);
    // The rest arrives in reads of at most 64 KiB, each straight into the frame's own buffer.
    let at = scratch.length;
    const frameBuffer = decoder.readBuffer().buffer;
    while (at < stream.length) {
      const tail = decoder.readBuffer();
      expect(tail.buffer).toBe(frameBuffer);
      expect(tail.length).toBe(Math.min(64 * 1024, stream.length - at));
      tail.set(stream.subarray(at, at + tail.length));
      at += tail.length;
      decoder.receive(tail.length, tail, (f) => frames.push(f));
    }
    expect(frames[1]!.buffer).toBe(frameBuffer);
    expect([...frames[0]!]).toEqual([1, 2, 3]);
    expect(Buffer.compare(frames[1]!, big)).toBe(0);
    expect(frames[1]!.length).toBe(big.length);
    expect(decoder.readBuffer()).toBe(scratch);
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
