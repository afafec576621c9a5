/**
 * Watches whether any broker is reachable, for `health()` and the `allBrokersDownTimeoutMs` option: the
 * broker pool says since when every connection attempt failed; past the timeout the watch gives up
 * once, with an AllBrokersDownError whose `cause` is the last connection error.
 */
import { type BrokerPool, type Clock, failure, type TimerHandle } from '@runnel/network';
import type { ClientContext } from './context.js';
import { AllBrokersDownError } from './errors.js';
import type { ConsumerLifecycle } from './lifecycle.js';

/** The pool's signal, as the watch reads it (times of the same clock as the watch's). */
export type Reachability = Pick<BrokerPool, 'allBrokersDownSince' | 'lastConnectionError'>;

export class BrokersDownWatch {
  private timer: TimerHandle | undefined;
  private gaveUp = false;

  /**
   * @param timeoutMs give up after this long without a reachable broker; null: never.
   * @param onGiveUp called once with the error to fail the consumer with.
   */
  constructor(
    private readonly pool: Reachability,
    private readonly clock: Clock,
    private readonly timeoutMs: number | null,
    private readonly onGiveUp: (error: AllBrokersDownError) => void,
  ) {}

  /** @returns since when (ms since the epoch) no broker has been reachable, or null while one is. */
  get downSince(): number | null {
    const since = this.pool.allBrokersDownSince;
    return since === null ? null : Math.round(this.clock.wallClockMs() - (this.clock.now() - since));
  }

  /** Starts checking (the consumer started working); calling it again does nothing. */
  start(): void {
    if (this.timeoutMs === null || this.timer !== undefined || this.gaveUp) return;
    // A check per tenth of the timeout gives up at most 10 % late, and costs nothing between checks.
    const period = Math.min(1_000, Math.max(10, this.timeoutMs / 10));
    const tick = () => {
      this.timer = undefined;
      this.check();
      if (!this.gaveUp && this.timer === undefined) this.timer = this.clock.setTimeout(tick, period);
    };
    this.timer = this.clock.setTimeout(tick, period);
  }

  /** Stops checking (close). */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const since = this.pool.allBrokersDownSince;
    if (since === null || this.timeoutMs === null || this.clock.now() - since < this.timeoutMs) return;
    this.gaveUp = true;
    const cause = this.pool.lastConnectionError;
    this.onGiveUp(new AllBrokersDownError(this.timeoutMs, this.downSince!, cause ? { cause } : undefined));
  }
}

/**
 * @returns the watch of a consumer (or share consumer): past `allBrokersDownTimeoutMs` it logs, makes
 *   the error the consumer's fatal one, and calls `stop` (nothing more is fetched or joined: the user
 *   learns it from the iterator, and closes).
 */
export function consumerBrokersDownWatch(
  context: ClientContext,
  lifecycle: Pick<ConsumerLifecycle, 'fail'>,
  stop: () => void,
): BrokersDownWatch {
  const { client, clock, config } = context;
  return new BrokersDownWatch(client.pool, clock, config.allBrokersDownTimeoutMs, (error) => {
    config.logger.error(failure('all_brokers_down', error), 'no broker reachable, giving up');
    lifecycle.fail(error);
    stop();
  });
}
