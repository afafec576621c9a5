import { Buffer } from 'node:buffer';
import { FrameTooLargeError } from './errors.js';

/**
 * Splits a byte stream into Kafka frames (a big-endian int32 size, then that many bytes), sans-I/O.
 *
 * Each frame is handed out as exactly one buffer: a view of the chunk when the frame lies wholly inside
 * one chunk (no copy at all), otherwise a buffer of the announced size, allocated once and filled from
 * the following chunks. Decoded responses may keep views into it. The size is checked against the
 * maximum before anything is allocated, so a garbage prefix can never cause a huge allocation.
 */
export class FrameDecoder {
  private readonly sizePrefix = new Uint8Array(4);
  private sizePrefixFilled = 0;
  private frame: Uint8Array | null = null;
  private frameFilled = 0;
  private stopped = false;

  /**
   * @param broker `host:port`, named in errors.
   * @param maxFrameSize the largest frame accepted, in bytes (not counting the size prefix); a function
   *   is asked at each size prefix, so the limit can depend on the request the next frame answers.
   */
  constructor(
    private readonly broker: string,
    private readonly maxFrameSize: number | (() => number),
  ) {}

  /** True while part of a frame (or of its size prefix) has arrived but not all of it. */
  get midFrame(): boolean {
    return this.frame !== null || this.sizePrefixFilled > 0;
  }

  /** Makes every later {@link push} a no-op; call it when the stream is abandoned. */
  stop(): void {
    this.stopped = true;
    this.frame = null;
  }

  /**
   * Consumes one chunk of the stream and calls `onFrame` for every frame it completes, in order.
   * If `onFrame` calls {@link stop}, the rest of the chunk is ignored.
   * @throws FrameTooLargeError when a size prefix is negative or above the maximum; the decoder is then
   *   stopped, since the stream has no recoverable frame boundary.
   */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void {
    const length = chunk.length;
    let pos = 0;
    while (pos < length && !this.stopped) {
      if (this.frame === null) {
        let size: number;
        if (this.sizePrefixFilled === 0 && length - pos >= 4) {
          size = int32At(chunk, pos);
          pos += 4;
        } else {
          while (this.sizePrefixFilled < 4 && pos < length) {
            this.sizePrefix[this.sizePrefixFilled++] = chunk[pos++]!;
          }
          if (this.sizePrefixFilled < 4) return;
          this.sizePrefixFilled = 0;
          size = int32At(this.sizePrefix, 0);
        }
        const max = typeof this.maxFrameSize === 'number' ? this.maxFrameSize : this.maxFrameSize();
        if (size < 0 || size > max) {
          this.stop();
          throw new FrameTooLargeError(this.broker, size, max);
        }
        if (length - pos >= size) {
          const end = pos + size;
          onFrame(chunk.subarray(pos, end));
          pos = end;
          continue;
        }
        // Unzeroed: every byte is overwritten before the frame is handed out.
        this.frame = Buffer.allocUnsafe(size);
        this.frameFilled = 0;
      }
      const frame = this.frame;
      const n = Math.min(frame.length - this.frameFilled, length - pos);
      frame.set(chunk.subarray(pos, pos + n), this.frameFilled);
      this.frameFilled += n;
      pos += n;
      if (this.frameFilled === frame.length) {
        this.frame = null;
        onFrame(frame);
      }
    }
  }
}

function int32At(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
}
