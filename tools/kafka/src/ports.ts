import { readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { KafkaToolError } from './errors.js';

function listen(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Checks that `port` can be bound on `host` right now.
 *
 * @throws KafkaToolError (code `ERR_KAFKA_PORT_IN_USE`) when another process holds it, or when it
 *   cannot be bound for another reason (e.g. a privileged port).
 */
export async function assertPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new KafkaToolError(`port ${port} is not a TCP port number (1-65535)`, { code: 'ERR_KAFKA_PORT' });
  }
  let server: Server;
  try {
    server = await listen(host, port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new KafkaToolError(`port ${port} on ${host} is already in use: choose another or omit it`, {
        code: 'ERR_KAFKA_PORT_IN_USE',
        cause: error,
      });
    }
    throw new KafkaToolError(`cannot bind port ${port} on ${host}: ${(error as Error).message}`, {
      code: 'ERR_KAFKA_PORT',
      cause: error,
    });
  }
  await close(server);
}

/** The lowest port {@link pickFreePorts} draws from below the kernel's ephemeral range. */
const LOWEST_PICKED_PORT = 10_000;

/**
 * The range the kernel takes an outgoing connection's local port from (Linux's
 * `ip_local_port_range`), or null where it cannot be read.
 */
export function ephemeralPortRange(
  read: () => string = () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'),
): readonly [number, number] | null {
  try {
    const [low, high] = read().trim().split(/\s+/).map(Number);
    return Number.isInteger(low) && Number.isInteger(high) && low! <= high! ? [low!, high!] : null;
  } catch {
    return null;
  }
}

/**
 * Returns `count` distinct ports that were free on `host` a moment ago, each learnt by binding it; all
 * stay bound until every one is known, so the same port is never handed out twice.
 *
 * A broker binds its ports seconds after they were picked. A port from the kernel's ephemeral range
 * (port 0's) can meanwhile become the local port of any process's outgoing connection, and the broker
 * then fails with "Address already in use" on every start (a CI run with two test runs side by side
 * saw it). So the ports are drawn at random from below that range, where only listeners bind; where
 * the range is unknown or leaves too little room below it, they are port 0's.
 */
export async function pickFreePorts(
  count: number,
  host = '127.0.0.1',
  range = ephemeralPortRange(),
  random: () => number = Math.random,
): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const room = range === null ? 0 : range[0] - LOWEST_PICKED_PORT;
    // Bounded: ports below the range that are taken are skipped, and port 0 picks whatever is left.
    for (let attempt = 0; servers.length < count && room >= 1_000 && attempt < count * 20; attempt++) {
      const port = LOWEST_PICKED_PORT + Math.floor(random() * room);
      const server = await listen(host, port).catch(() => null);
      if (server !== null) servers.push(server);
    }
    while (servers.length < count) servers.push(await listen(host, 0));
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string')
        throw new KafkaToolError('no TCP address for port 0');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map(close));
  }
}

/** Resolves true when a TCP connection to `host:port` is accepted within `timeoutMs`. */
export function portAccepts(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
