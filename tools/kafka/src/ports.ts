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

/**
 * Returns `count` distinct ports that were free on `host` a moment ago: each is learnt by binding
 * port 0, and all stay bound until every one is known, so the same port is never handed out twice.
 */
export async function pickFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(host, 0));
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
