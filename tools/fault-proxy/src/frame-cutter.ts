/**
 * Follows Kafka's framing (a 4-byte big-endian size, then that many bytes) through a byte stream that
 * arrives in arbitrary chunks, so the proxy can cut one frame in half: forward its size and the first
 * half of its body, then reset the connection. A broker or client that sees this must treat it as a
 * broken connection, never as a short frame.
 */
export class FrameCutter {
  private readonly header = new Uint8Array(4);
  private headerFilled = 0;
  private bodyLeft = 0;
  /** While cutting: bytes of the current frame forwarded so far, and where to stop. */
  private cutting = false;
  private frameSent = 0;
  private cutAt = 0;

  /** Whether the next byte starts a new frame. */
  get atBoundary(): boolean {
    return this.headerFilled === 0 && this.bodyLeft === 0;
  }

  /**
   * Reads `chunk`, the next bytes of the stream.
   *
   * @param startCut called when a frame begins and no cut is under way; returning true cuts that frame.
   * @returns how many bytes of `chunk` to forward, and whether the connection must be reset after them.
   */
  scan(chunk: Uint8Array, startCut: () => boolean): { forward: number; cut: boolean } {
    let i = 0;
    while (i < chunk.length) {
      if (this.headerFilled < 4) {
        if (this.atBoundary && !this.cutting && startCut()) {
          this.cutting = true;
          this.frameSent = 0;
        }
        const take = Math.min(4 - this.headerFilled, chunk.length - i);
        this.header.set(chunk.subarray(i, i + take), this.headerFilled);
        this.headerFilled += take;
        i += take;
        if (this.cutting) this.frameSent += take;
        if (this.headerFilled < 4) continue;
        const size = new DataView(this.header.buffer).getInt32(0);
        // A negative size is not a frame Kafka would send; treat it as empty so the stream goes on.
        this.bodyLeft = Math.max(0, size);
        this.cutAt = 4 + Math.floor(this.bodyLeft / 2);
        if (this.cutting && this.frameSent >= this.cutAt) return { forward: i, cut: true };
        if (this.bodyLeft === 0) this.headerFilled = 0;
        continue;
      }
      let take = Math.min(this.bodyLeft, chunk.length - i);
      if (this.cutting) take = Math.min(take, this.cutAt - this.frameSent);
      i += take;
      this.bodyLeft -= take;
      if (this.cutting) {
        this.frameSent += take;
        if (this.frameSent >= this.cutAt) return { forward: i, cut: true };
      }
      if (this.bodyLeft === 0) this.headerFilled = 0;
    }
    return { forward: chunk.length, cut: false };
  }
}
