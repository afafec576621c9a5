import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { allocateFrame, allocatorPrimed, PRIME_FROM_BYTES, PRIMING_BYTES } from './frame-allocation.js';
import { FrameDecoder } from './frame-decoder.js';
import { frame } from './testing/fake-kafka-server.js';

// One module instance per test file: the order of these tests is the order a process sees frames in.
describe('frame allocation', () => {
  it('leaves the allocator alone while frames are small', () => {
    const small = allocateFrame(PRIME_FROM_BYTES - 1);
    expect(small.length).toBe(PRIME_FROM_BYTES - 1);
    const decoder = new FrameDecoder('b:1', 1 << 30);
    const frames: Uint8Array[] = [];
    const bytes = frame(new Uint8Array(64 * 1024).fill(7));
    // Split, so that the decoder allocates the frame's own buffer rather than viewing the chunk.
    decoder.push(bytes.subarray(0, 1000), (f) => frames.push(f));
    decoder.push(bytes.subarray(1000), (f) => frames.push(f));
    expect(frames.map((f) => f.length)).toEqual([64 * 1024]);
    expect(allocatorPrimed()).toBe(false);
  });

  it('primes it once, before the first frame the decoder allocates at 128 KiB or more', () => {
    const decoder = new FrameDecoder('b:1', 1 << 30);
    const frames: Uint8Array[] = [];
    const payload = new Uint8Array(PRIME_FROM_BYTES).map((_, i) => i % 251);
    const bytes = frame(payload);
    decoder.push(bytes.subarray(0, 1000), (f) => frames.push(f));
    expect(allocatorPrimed()).toBe(true);
    decoder.push(bytes.subarray(1000), (f) => frames.push(f));
    expect(frames).toHaveLength(1);
    expect(Buffer.compare(frames[0]!, payload)).toBe(0);
  });

  it('keeps the priming block below the largest size glibc raises its threshold to (32 MiB)', () => {
    expect(PRIMING_BYTES).toBeLessThan(32 * 1024 * 1024);
    expect(PRIMING_BYTES).toBeGreaterThanOrEqual(16 * 1024 * 1024);
  });
});
