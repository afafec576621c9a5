/**
 * Time as the proxy sees it. Every delay it adds (latency, jitter, bandwidth, drop-after-ms) goes
 * through this, so its unit tests run on a hand-driven clock and a fixed random source.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Calls `fn` once after `ms`; returns a handle for `clear`. */
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

/** The real clock: `performance.now()`, Node's timers and `Math.random`. */
export const systemClock: Clock = {
  now: () => performance.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
  random: () => Math.random(),
};
