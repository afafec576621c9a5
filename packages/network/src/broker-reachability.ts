/**
 * Which brokers are down, as changes: a broker is reported down at the first failed connection attempt
 * (or when a working connection breaks), and up when a connection to it is ready again, once per change
 * however many connections (fetch, group, default) it has. The broker pool feeds it; the consumer's
 * brokerDown/brokerUp events listen to it.
 */
import type { Clock } from './clock.js';

/** A broker became unreachable (`up` false) or reachable again (`up` true). */
export type BrokerReachability =
  | { readonly up: false; readonly broker: string; readonly nodeId: number; readonly error: Error }
  | { readonly up: true; readonly broker: string; readonly nodeId: number; readonly downForMs: number };

/** Tracks which broker addresses are down and tells its listeners once per change, down or up. */
export class BrokerReachabilityLog {
  /** Addresses reported down, and since when (clock time). */
  private readonly downAt = new Map<string, number>();
  private readonly listeners = new Set<(change: BrokerReachability) => void>();
  private stopped = false;

  constructor(private readonly clock: Clock) {}

  /**
   * Calls `listener` at each change; a listener must not throw.
   * @returns the function that removes it.
   */
  onChange(listener: (change: BrokerReachability) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Notes that connecting to `broker` (`host:port`) failed or its connection broke. */
  down(broker: string, nodeId: number, error: unknown): void {
    if (this.downAt.has(broker) || this.stopped) return;
    this.downAt.set(broker, this.clock.now());
    const cause = error instanceof Error ? error : new Error(String(error));
    this.report({ up: false, broker, nodeId, error: cause });
  }

  /** Notes that a connection to `broker` is ready. */
  up(broker: string, nodeId: number): void {
    const since = this.downAt.get(broker);
    if (since === undefined || this.stopped) return;
    this.downAt.delete(broker);
    this.report({ up: true, broker, nodeId, downForMs: Math.round(this.clock.now() - since) });
  }

  /** Reports nothing more: the pool closed, and its connections failing now is no news. */
  stop(): void {
    this.stopped = true;
  }

  private report(change: BrokerReachability): void {
    for (const listener of this.listeners) listener(change);
  }
}
