import { FaultProxyError } from './errors.js';

/** Which way bytes travel through the proxy: client to broker (requests), broker to client (responses). */
export type Direction = 'toBroker' | 'toClient';
export const DIRECTIONS: readonly Direction[] = ['toBroker', 'toClient'];

/** What the proxy does to the bytes of one direction. Every field is off when absent. */
export interface DirectionFaults {
  /** Every chunk is held this long before it is forwarded (order is kept). */
  readonly latencyMs?: number;
  /** Up to this much more, drawn per chunk, on top of `latencyMs`. */
  readonly jitterMs?: number;
  /** Forwarding rate limit, in bytes per second (1 Mbit/s is 125 000). */
  readonly bytesPerSecond?: number;
  /** Each connection is reset once this many more bytes were forwarded in this direction. */
  readonly dropAfterBytes?: number;
  /**
   * The next this-many frames in this direction (counted over all connections) are cut in half: the
   * 4-byte size and half the frame are forwarded, then the connection is reset.
   */
  readonly cutFrames?: number;
  /** Bytes in this direction are read and thrown away (the connection stays open). */
  readonly blackhole?: boolean;
}

/** Everything `FaultProxy.setFaults` takes; what is absent is off. */
export interface ProxyFaults {
  readonly toBroker?: DirectionFaults;
  readonly toClient?: DirectionFaults;
  /** Each connection is reset this long after it opened, or after these faults were set if later. */
  readonly dropAfterMs?: number;
}

function check(name: string, value: number | undefined, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new FaultProxyError(
      'ERR_FAULT_PROXY_CONFIG',
      `${name} must be a finite number >= ${min}, got ${String(value)}`,
    );
  }
}

/**
 * Checks a set of faults before the proxy takes it.
 *
 * @throws FaultProxyError (`ERR_FAULT_PROXY_CONFIG`) naming the first option out of range.
 */
export function checkFaults(faults: ProxyFaults): void {
  check('dropAfterMs', faults.dropAfterMs, 0);
  for (const direction of DIRECTIONS) {
    const f = faults[direction];
    if (f === undefined) continue;
    check(`${direction}.latencyMs`, f.latencyMs, 0);
    check(`${direction}.jitterMs`, f.jitterMs, 0);
    check(`${direction}.bytesPerSecond`, f.bytesPerSecond, 1);
    check(`${direction}.dropAfterBytes`, f.dropAfterBytes, 0);
    check(`${direction}.cutFrames`, f.cutFrames, 0);
    if (f.cutFrames !== undefined && !Number.isInteger(f.cutFrames)) {
      throw new FaultProxyError('ERR_FAULT_PROXY_CONFIG', `${direction}.cutFrames must be an integer`);
    }
  }
}
