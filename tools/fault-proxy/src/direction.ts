import type { Socket } from 'node:net';
import type { Clock } from './clock.js';
import type { DirectionFaults } from './faults.js';
import { FrameCutter } from './frame-cutter.js';

/** What one direction of a connection asks of the proxy around it. */
export interface DirectionContext {
  readonly clock: Clock;
  /** The faults in force for this direction now. */
  faults(): DirectionFaults;
  /** Claims one of the direction's remaining frame cuts; false when none is left. */
  takeCut(): boolean;
  /** Resets the whole connection (both sockets). */
  reset(): void;
  /** Counts bytes handed to the destination socket. */
  onForwarded(bytes: number): void;
}

type Item =
  | { readonly at: number; readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly at: number; readonly kind: 'end' | 'reset' };

/** Above this many queued bytes the source is paused, so a slow direction does not buffer without bound. */
const HIGH_WATER = 1 << 20;
/** Bandwidth is spent in slices this big, so a large chunk trickles out instead of arriving at once. */
const SLICE = 4096;

/**
 * One direction of one proxied connection: reads the source socket, applies this direction's faults
 * (blackhole, frame cut, drop after N bytes, latency and jitter, bandwidth) and writes the destination
 * in order. Time only comes from the context's clock.
 */
export class DirectionPipe {
  private readonly cutter = new FrameCutter();
  private readonly queue: Item[] = [];
  private queuedBytes = 0;
  /** When the last queued item leaves; later items never leave before it, so order holds. */
  private lastRelease = Number.NEGATIVE_INFINITY;
  private timer: unknown;
  /** A reset or end is queued: nothing read after it is forwarded. */
  private finished = false;
  /** Bytes accepted for forwarding since the connection opened, and that count when faults were last set. */
  private accepted = 0;
  private base = 0;
  private closed = false;

  constructor(
    private readonly source: Socket,
    private readonly dest: Socket,
    private readonly context: DirectionContext,
  ) {
    source.on('data', (chunk: Buffer) => this.onData(chunk));
    source.on('end', () => this.onEnd());
    dest.on('drain', () => this.resumeIfRoom());
  }

  /** Starts counting `dropAfterBytes` from here (new faults were set). */
  rebase(): void {
    this.base = this.accepted;
  }

  /** Stops every timer; the sockets are the connection's to destroy. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.context.clock.clear(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private onData(chunk: Buffer): void {
    const faults = this.context.faults();
    if (this.finished || this.closed || faults.blackhole) return;
    // The cutter reads every chunk, cut or not, so it always knows where the next frame begins.
    let { forward, cut: reset } = this.cutter.scan(chunk, () => this.context.takeCut());
    if (faults.dropAfterBytes !== undefined) {
      const room = Math.max(0, faults.dropAfterBytes - (this.accepted - this.base));
      if (room <= forward) {
        forward = room;
        reset = true;
      }
    }
    this.accepted += forward;
    if (forward > 0) this.enqueueBytes(chunk.subarray(0, forward), faults);
    if (reset) this.enqueueMarker('reset', faults);
  }

  private onEnd(): void {
    const faults = this.context.faults();
    if (this.finished || this.closed || faults.blackhole) return;
    this.enqueueMarker('end', faults);
  }

  /** Nothing is queued and nothing delays this direction: forwarding now keeps order and costs no timer. */
  private canSendNow(faults: DirectionFaults): boolean {
    return (
      this.queue.length === 0 &&
      !faults.latencyMs &&
      !faults.jitterMs &&
      faults.bytesPerSecond === undefined &&
      this.lastRelease <= this.context.clock.now()
    );
  }

  private releaseTime(faults: DirectionFaults, bytes: number): number {
    const { clock } = this.context;
    const delay = (faults.latencyMs ?? 0) + (faults.jitterMs ? clock.random() * faults.jitterMs : 0);
    let at = Math.max(this.lastRelease, clock.now() + delay);
    if (faults.bytesPerSecond !== undefined) at += (bytes * 1000) / faults.bytesPerSecond;
    this.lastRelease = at;
    return at;
  }

  private enqueueBytes(bytes: Uint8Array, faults: DirectionFaults): void {
    if (this.canSendNow(faults)) {
      this.write(bytes);
      return;
    }
    const slice = faults.bytesPerSecond === undefined ? bytes.length : SLICE;
    for (let i = 0; i < bytes.length; i += slice) {
      const part = bytes.subarray(i, i + slice);
      this.queue.push({ at: this.releaseTime(faults, part.length), kind: 'bytes', bytes: part });
      this.queuedBytes += part.length;
    }
    if (this.queuedBytes > HIGH_WATER) this.source.pause();
    this.schedule();
  }

  private enqueueMarker(kind: 'end' | 'reset', faults: DirectionFaults): void {
    this.finished = true;
    if (this.canSendNow(faults)) {
      this.apply(kind);
      return;
    }
    this.queue.push({ at: this.releaseTime(faults, 0), kind });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed || this.queue.length === 0) return;
    const { clock } = this.context;
    this.timer = clock.set(
      () => {
        this.timer = undefined;
        this.flush();
      },
      Math.max(0, this.queue[0]!.at - clock.now()),
    );
  }

  private flush(): void {
    const now = this.context.clock.now();
    while (!this.closed && this.queue.length > 0 && this.queue[0]!.at <= now) {
      const item = this.queue.shift()!;
      if (item.kind === 'bytes') {
        this.queuedBytes -= item.bytes.length;
        this.write(item.bytes);
      } else {
        this.apply(item.kind);
      }
    }
    this.resumeIfRoom();
    this.schedule();
  }

  private write(bytes: Uint8Array): void {
    if (this.dest.destroyed) return;
    this.context.onForwarded(bytes.length);
    if (!this.dest.write(bytes)) this.source.pause();
  }

  private apply(kind: 'end' | 'reset'): void {
    if (kind === 'reset') this.context.reset();
    else if (!this.dest.destroyed) this.dest.end();
  }

  private resumeIfRoom(): void {
    if (this.closed || this.finished) return;
    if (this.queuedBytes <= HIGH_WATER && !this.dest.writableNeedDrain && this.source.isPaused()) {
      this.source.resume();
    }
  }
}
