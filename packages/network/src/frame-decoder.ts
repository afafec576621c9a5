import { Buffer } from 'node:buffer';
import { FrameTooLargeError } from './errors.js';
import { allocateFrame } from './frame-allocation.js';

/** The scratch buffer's size: Node's own read size for a socket's `data` events. */
export const DEFAULT_SCRATCH_BYTES = 65_536;

/**
 * Splits a byte stream into Kafka frames (a big-endian int32 size, then that many bytes), sans-I/O.
 *
 * Each frame is handed out as exactly one buffer that stays the frame's own: a view of the chunk when the
 * frame lies wholly inside one chunk (no copy at all), otherwise a buffer of the announced size, allocated
 * once and filled from the following chunks. Decoded responses may keep views into it. The size is
 * checked against the maximum before anything is allocated, so a garbage prefix can never cause a huge
 * allocation.
 *
 * Bytes arrive either as chunks the caller owns ({@link push}: a socket's `data` events) or read in place
 * ({@link readBuffer} and {@link received}: a socket's `onread`). In place, a frame being filled takes
 * the socket's reads straight into its own buffer, and anything else lands in one scratch buffer that the
 * next read overwrites, so frames found whole in it are copied out. Large responses then cost one
 * allocation and no copy, where `data` events cost a fresh 64 KiB chunk per read and a copy of each.
 */
export class FrameDecoder {
  private readonly sizePrefix = new Uint8Array(4);
  private sizePrefixFilled = 0;
  private frame: Uint8Array | null = null;
  private frameFilled = 0;
  private stopped = false;
  private scratch: Buffer | null = null;

  /**
   * @param broker `host:port`, named in errors.
   * @param maxFrameSize the largest frame accepted, in bytes (not counting the size prefix); a function
   *   is asked at each size prefix, so the limit can depend on the request the next frame answers.
   */
  constructor(
    private readonly broker: string,
    private readonly maxFrameSize: number | (() => number),
    private readonly scratchBytes = DEFAULT_SCRATCH_BYTES,
  ) {}

  /** True while part of a frame (or of its size prefix) has arrived but not all of it. */
  get midFrame(): boolean {
    return this.frame !== null || this.sizePrefixFilled > 0;
  }

  /** Makes every later {@link push} and {@link received} a no-op; call it when the stream is abandoned. */
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
    this.consume(chunk, chunk.length, false, onFrame);
  }

  /**
   * @returns where the socket's next read goes: the next `scratchBytes` (at most) of the frame being
   *   assembled, or else the decoder's scratch buffer (`scratchBytes` long).
   */
  readBuffer(): Uint8Array {
    const frame = this.frame;
    if (frame !== null && !this.stopped) {
      // At most the scratch size per read, as `data` events read: one read of a frame's whole rest
      // measured slower end to end (0.92x records/s).
      const end = Math.min(frame.length, this.frameFilled + this.scratchBytes);
      return frame.subarray(this.frameFilled, end);
    }
    this.scratch ??= Buffer.allocUnsafeSlow(this.scratchBytes);
    return this.scratch;
  }

  /**
   * Takes the `n` bytes a socket read into the last {@link readBuffer}, calling `onFrame` for every
   * frame they complete, as {@link push} does. Nothing else feeds the decoder in between, so where the
   * bytes went follows from its state: into the frame being filled if there is one, else into scratch.
   * @throws FrameTooLargeError as {@link push}.
   */
  received(n: number, onFrame: (frame: Uint8Array) => void): void {
    if (this.stopped || n <= 0) return;
    if (this.frame !== null) this.filled(n, onFrame);
    else if (this.scratch !== null) this.consume(this.scratch, n, true, onFrame);
  }

  /**
   * Splits `chunk[0, length)` into frames; `reused`: the chunk is overwritten after this call, so a frame
   * found whole in it is copied out (frames are kept by the responses decoded from them).
   */
  private consume(
    chunk: Uint8Array,
    length: number,
    reused: boolean,
    onFrame: (frame: Uint8Array) => void,
  ): void {
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
          onFrame(reused ? copyOf(chunk, pos, end) : chunk.subarray(pos, end));
          pos = end;
          continue;
        }
        this.frame = allocateFrame(size);
        this.frameFilled = 0;
      }
      const n = Math.min(this.frame.length - this.frameFilled, length - pos);
      this.frame.set(chunk.subarray(pos, pos + n), this.frameFilled);
      pos += n;
      this.filled(n, onFrame);
    }
  }

  /** Counts `n` more bytes of the frame being filled, and hands the frame out once it is whole. */
  private filled(n: number, onFrame: (frame: Uint8Array) => void): void {
    const frame = this.frame!;
    this.frameFilled += n;
    if (this.frameFilled === frame.length) {
      this.frame = null;
      onFrame(frame);
    }
  }
}

/** A frame buffer of its own holding `bytes[start, end)` (small ones from Node's shared pool). */
function copyOf(bytes: Uint8Array, start: number, end: number): Buffer {
  const copy = allocateFrame(end - start);
  copy.set(bytes.subarray(start, end));
  return copy;
}

function int32At(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
}
