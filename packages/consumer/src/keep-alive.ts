/**
 * The one handle that keeps the process alive while the consumer has work someone waits for: an
 * iteration or `run()` in progress, or a call (`commit`, `position`, `close`...) not yet settled. Every
 * other timer of the consumer is unref'd, and sockets come and go with brokers, so without this handle
 * a program waiting for records would exit (code 0, silently) the moment no socket is open: between
 * two reconnect attempts, during a broker restart. Holders are counted; the last release drops the
 * handle, so a program that is done exits on its own.
 *
 * Its handle is a real, ref'd Node timer, the one timer of the consumer that does not come from the
 * injected Clock: it exists to hold the real event loop, which a clock's (unref'd or fake) timer cannot.
 */
export class KeepAlive {
  private holders = 0;
  private handle: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  /** @returns the number of holders now. */
  get held(): number {
    return this.holders;
  }

  /** @returns whether the ref'd handle exists now, i.e. whether it keeps the process alive. */
  get holding(): boolean {
    return this.handle?.hasRef() ?? false;
  }

  /**
   * Holds the process alive until the returned function is called (once; later calls do nothing).
   * After {@link stop}, holds nothing.
   * @returns the release function.
   */
  hold(): () => void {
    if (this.stopped) return () => {};
    this.holders++;
    // A timer that never fires is the cheapest ref'd handle; its interval only matters if it did.
    this.handle ??= setInterval(() => {}, 0x7fff_ffff);
    let released = false;
    return () => {
      if (released || this.stopped) return;
      released = true;
      this.holders--;
      if (this.holders === 0) this.dropHandle();
    };
  }

  /**
   * Holds the process alive while `work` runs.
   * @returns what `work` returns; it rejects as `work` does.
   */
  async during<T>(work: () => Promise<T>): Promise<T> {
    const release = this.hold();
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Releases the handle for good (the consumer closed): later holds hold nothing. */
  stop(): void {
    this.stopped = true;
    this.holders = 0;
    this.dropHandle();
  }

  private dropHandle(): void {
    if (this.handle !== undefined) clearInterval(this.handle);
    this.handle = undefined;
  }
}
