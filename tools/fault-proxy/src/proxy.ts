import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { type Clock, systemClock } from './clock.js';
import { DirectionPipe } from './direction.js';
import { FaultProxyError } from './errors.js';
import { checkFaults, DIRECTIONS, type Direction, type DirectionFaults, type ProxyFaults } from './faults.js';

/** Where the proxy forwards to. */
export interface Upstream {
  readonly host: string;
  readonly port: number;
}

export interface FaultProxyOptions {
  /** Where to forward; may be set later with `setUpstream` (connections made before then are reset). */
  readonly upstream?: Upstream;
  /** Listen address; default 127.0.0.1. */
  readonly host?: string;
  /** Listen port; default 0 (a free port, read it from `port`). */
  readonly port?: number;
  /** Default: the real clock. */
  readonly clock?: Clock;
}

/** Counters since the proxy started. */
export interface ProxyStats {
  /** Connections accepted. */
  accepted: number;
  /** Connections the proxy reset (a fault, `resetAll`, or the other side failing). */
  reset: number;
  /** Bytes forwarded, per direction. */
  readonly forwarded: Record<Direction, number>;
}

const NO_FAULTS: DirectionFaults = {};

/** One client connection and its upstream connection. */
class ProxiedConnection {
  readonly pipes: DirectionPipe[];
  private dropTimer: unknown;
  private done = false;

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    proxy: FaultProxy,
    private readonly clock: Clock,
    private readonly onDone: (connection: ProxiedConnection, reset: boolean) => void,
  ) {
    const context = (direction: Direction) => ({
      clock,
      faults: () => proxy.currentFaults[direction] ?? NO_FAULTS,
      takeCut: () => proxy.takeCut(direction),
      reset: () => this.reset(),
      onForwarded: (bytes: number) => {
        proxy.stats.forwarded[direction] += bytes;
      },
    });
    this.pipes = [
      new DirectionPipe(client, upstream, context('toBroker')),
      new DirectionPipe(upstream, client, context('toClient')),
    ];
    for (const socket of [client, upstream]) {
      socket.on('error', () => this.reset());
      socket.on('close', () => {
        if (client.destroyed && upstream.destroyed) this.finish(false);
      });
    }
  }

  /** Arms `dropAfterMs` from now (or clears it) and restarts the byte counts. */
  applyFaults(faults: ProxyFaults): void {
    if (this.dropTimer !== undefined) this.clock.clear(this.dropTimer);
    this.dropTimer =
      faults.dropAfterMs === undefined ? undefined : this.clock.set(() => this.reset(), faults.dropAfterMs);
    for (const pipe of this.pipes) pipe.rebase();
  }

  /**
   * Sends RST on both sockets and forgets the connection. Node 22 sends FIN instead on a socket that
   * was written to (its resetAndDestroy; 24 and 26 send RST): the peer sees the connection end either way.
   */
  reset(): void {
    if (this.done) return;
    for (const socket of [this.client, this.upstream]) {
      if (!socket.destroyed) socket.resetAndDestroy();
    }
    this.finish(true);
  }

  private finish(reset: boolean): void {
    if (this.done) return;
    this.done = true;
    if (this.dropTimer !== undefined) this.clock.clear(this.dropTimer);
    for (const pipe of this.pipes) pipe.close();
    this.onDone(this, reset);
  }
}

/**
 * A TCP proxy in front of one broker that injects faults per direction: latency and jitter, a
 * bandwidth limit, a reset after N bytes or T ms, a frame cut in half, a blackhole; it can also refuse
 * new connections and reset every connection at once. Test tooling only: plain `node:net`.
 */
export class FaultProxy {
  readonly host: string;
  readonly stats: ProxyStats = { accepted: 0, reset: 0, forwarded: { toBroker: 0, toClient: 0 } };
  /** The faults in force (what `setFaults` took, with frame cuts counted down as they happen). */
  currentFaults: ProxyFaults = {};
  private upstream: Upstream | undefined;
  private readonly clock: Clock;
  private readonly connections = new Set<ProxiedConnection>();
  private readonly cutsLeft: Record<Direction, number> = { toBroker: 0, toClient: 0 };
  private server: Server | undefined;
  private listenPort: number;
  private closed = false;

  private constructor(options: FaultProxyOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.listenPort = options.port ?? 0;
    this.upstream = options.upstream;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Starts a proxy listening on `host:port`.
   *
   * @returns the listening proxy; `port` holds the port it got.
   * @throws FaultProxyError (`ERR_FAULT_PROXY_LISTEN`) when the address cannot be bound.
   */
  static async start(options: FaultProxyOptions = {}): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await proxy.listen();
    return proxy;
  }

  /** The port the proxy listens on (kept while it refuses connections). */
  get port(): number {
    return this.listenPort;
  }

  /** `host:port` of the proxy, as a client's bootstrap list takes it. */
  get address(): string {
    return `${this.host}:${this.listenPort}`;
  }

  /** How many connections are open through the proxy. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Forwards new connections to `upstream` (open ones keep theirs). */
  setUpstream(upstream: Upstream): void {
    this.upstream = upstream;
  }

  /**
   * Replaces the faults in force, for open connections and new ones: latency and bandwidth apply to
   * bytes read from now on, `dropAfterBytes` and `dropAfterMs` count from now, `cutFrames` cuts that
   * many more frames.
   *
   * @throws FaultProxyError (`ERR_FAULT_PROXY_CONFIG`) naming an option out of range; nothing changes then.
   */
  setFaults(faults: ProxyFaults): void {
    this.ensureOpen();
    checkFaults(faults);
    this.currentFaults = faults;
    for (const direction of DIRECTIONS) this.cutsLeft[direction] = faults[direction]?.cutFrames ?? 0;
    for (const connection of this.connections) connection.applyFaults(faults);
  }

  /** Removes every fault (bytes already delayed still leave at their time). */
  clearFaults(): void {
    this.setFaults({});
  }

  /** Claims one frame cut of `direction`. @returns false when none is left. */
  takeCut(direction: Direction): boolean {
    if (this.cutsLeft[direction] <= 0) return false;
    this.cutsLeft[direction]--;
    const faults = this.currentFaults[direction];
    if (faults !== undefined) {
      this.currentFaults = {
        ...this.currentFaults,
        [direction]: { ...faults, cutFrames: this.cutsLeft[direction] },
      };
    }
    return true;
  }

  /** Resets (RST) every open connection at once. @returns how many were reset. */
  resetAll(): number {
    const open = [...this.connections];
    for (const connection of open) connection.reset();
    return open.length;
  }

  /**
   * Stops listening, so new connections are refused by the OS (open ones stay); `acceptConnections`
   * listens again on the same port.
   */
  async refuseConnections(): Promise<void> {
    this.ensureOpen();
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    // close() frees the port at once; its callback would wait for the open connections, which stay.
    server.close();
    await new Promise<void>((done) => setImmediate(done));
  }

  /**
   * Listens again on the same port after `refuseConnections`.
   *
   * @throws FaultProxyError (`ERR_FAULT_PROXY_LISTEN`) when the port was taken meanwhile.
   */
  async acceptConnections(): Promise<void> {
    this.ensureOpen();
    if (this.server === undefined) await this.listen();
  }

  /** Stops listening, resets every connection and clears every timer. Calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.refuseConnections();
    this.closed = true;
    this.resetAll();
  }

  private ensureOpen(): void {
    if (this.closed) throw new FaultProxyError('ERR_FAULT_PROXY_CLOSED', 'this fault proxy is closed');
  }

  private listen(): Promise<void> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) =>
      this.accept(client),
    );
    return new Promise((resolve, reject) => {
      server.once('error', (error) =>
        reject(
          new FaultProxyError(
            'ERR_FAULT_PROXY_LISTEN',
            `the fault proxy cannot listen on ${this.host}:${this.listenPort}: ${error.message}`,
            { cause: error },
          ),
        ),
      );
      server.listen(this.listenPort, this.host, () => {
        const address = server.address();
        if (address !== null && typeof address === 'object') this.listenPort = address.port;
        this.server = server;
        resolve();
      });
    });
  }

  private accept(client: Socket): void {
    this.stats.accepted++;
    const upstreamAddress = this.upstream;
    if (upstreamAddress === undefined || this.closed) {
      client.on('error', () => {});
      client.resetAndDestroy();
      this.stats.reset++;
      return;
    }
    const upstream = tcpConnect({
      host: upstreamAddress.host,
      port: upstreamAddress.port,
      allowHalfOpen: true,
    });
    const connection = new ProxiedConnection(client, upstream, this, this.clock, (done, reset) => {
      this.connections.delete(done);
      if (reset) this.stats.reset++;
    });
    this.connections.add(connection);
    connection.applyFaults(this.currentFaults);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    // The client is read only once the broker's end is connected: bytes written to a socket still
    // connecting are lost when a fault resets it, and a byte count must count bytes the broker got.
    upstream.once('connect', () => client.resume());
  }
}
