import type { Clock } from './clock.js';
import { FaultProxyError } from './errors.js';
import { FaultProxy, type Upstream } from './proxy.js';

/**
 * One fault proxy per broker of a cluster, numbered by node id from 1. Start them before the cluster,
 * so their ports can be the brokers' advertised listener; point them at the brokers once those listen.
 */
export class BrokerProxies {
  private constructor(private readonly proxies: ReadonlyMap<number, FaultProxy>) {}

  /**
   * Starts `count` proxies on free ports of `host`.
   *
   * @returns the proxies, for node ids 1..count.
   * @throws FaultProxyError when one cannot listen (those started are closed again).
   */
  static async start(count: number, options: { host?: string; clock?: Clock } = {}): Promise<BrokerProxies> {
    const started = new Map<number, FaultProxy>();
    try {
      for (let nodeId = 1; nodeId <= count; nodeId++) {
        started.set(nodeId, await FaultProxy.start({ ...options, port: 0 }));
      }
    } catch (error) {
      await Promise.all([...started.values()].map((p) => p.close()));
      throw error;
    }
    return new BrokerProxies(started);
  }

  /** The listen ports, in node id order (what the brokers advertise). */
  get ports(): number[] {
    return this.all().map((p) => p.port);
  }

  /** `host:port` of every proxy, comma-separated, as a client's bootstrap list takes it. */
  get bootstrap(): string {
    return this.all()
      .map((p) => p.address)
      .join(',');
  }

  /**
   * The proxy in front of node `nodeId`.
   *
   * @throws FaultProxyError (`ERR_FAULT_PROXY_CONFIG`) for an unknown node id.
   */
  broker(nodeId: number): FaultProxy {
    const proxy = this.proxies.get(nodeId);
    if (proxy === undefined) {
      throw new FaultProxyError('ERR_FAULT_PROXY_CONFIG', `no proxy for node ${nodeId}`);
    }
    return proxy;
  }

  /** Every proxy, in node id order. */
  all(): FaultProxy[] {
    return [...this.proxies.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
  }

  /** Points each node's proxy at that node's listener. */
  setUpstreams(brokers: readonly (Upstream & { readonly nodeId: number })[]): void {
    for (const broker of brokers) this.broker(broker.nodeId).setUpstream(broker);
  }

  /** Clears the faults of every proxy and accepts connections again. */
  async heal(): Promise<void> {
    for (const proxy of this.all()) proxy.clearFaults();
    await Promise.all(this.all().map((p) => p.acceptConnections()));
  }

  /** Closes every proxy. */
  async close(): Promise<void> {
    await Promise.all(this.all().map((p) => p.close()));
  }
}
