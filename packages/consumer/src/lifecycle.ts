/**
 * The consumer's lifecycle: running, closing, closed (the moves allowed are a table), the error that
 * stopped it for good, and the one handle that keeps the process alive while someone waits on it.
 * Every fatal stop goes through `fail`, so one place sees each transition of the consumer as a whole.
 */
import { ConsumerClosedError } from './errors.js';
import type { ClientEventMap, ConsumerEvents } from './events.js';
import { KeepAlive } from './keep-alive.js';

/** Where the consumer is in its life, as `health().state` shows it. */
export type ConsumerState = 'running' | 'closing' | 'closed';

/** The states each state may move to; anything else is a bug. */
const NEXT_STATES: Readonly<Record<ConsumerState, readonly ConsumerState[]>> = {
  running: ['closing'],
  closing: ['closed'],
  closed: [],
};

export class ConsumerLifecycle {
  /** Held while the consumer is iterated, `run()` is pending, or a call is pending. */
  readonly keepAlive = new KeepAlive();
  private current: ConsumerState = 'running';
  private stoppedBy: Error | null = null;

  /** @param events where the first fatal error is reported (`fatal` event). */
  constructor(private readonly events?: Pick<ConsumerEvents<ClientEventMap>, 'emit'>) {}

  /** @returns the current state. */
  get state(): ConsumerState {
    return this.current;
  }

  /** @returns whether the consumer is running (not closing or closed). */
  get running(): boolean {
    return this.current === 'running';
  }

  /** @returns the error that stopped consumption for good (a fatal group error, no broker), or null. */
  get fatalError(): Error | null {
    return this.stoppedBy;
  }

  /**
   * Moves to `next`.
   * @throws Error when the table does not allow the move (a bug of the consumer).
   */
  moveTo(next: ConsumerState): void {
    if (!NEXT_STATES[this.current].includes(next)) {
      throw new Error(`consumer state ${this.current} cannot move to ${next}`);
    }
    this.current = next;
  }

  /**
   * Records the error that stops consumption for good. The first one stays: later ones follow from it.
   */
  fail(error: Error): void {
    if (this.stoppedBy !== null) return;
    this.stoppedBy = error;
    this.events?.emit('fatal', { error });
  }

  /** @throws ConsumerClosedError once `close()` was called. */
  ensureOpen(): void {
    if (this.current !== 'running') throw new ConsumerClosedError();
  }
}
