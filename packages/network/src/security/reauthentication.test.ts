import type { Reader, Writer } from '@runnel/codec';
import { ErrorCode } from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerPool } from '../broker-pool.js';
import { Connection, type RequestSpec } from '../connection.js';
import type { Logger } from '../logger.js';
import { FakeClock } from '../testing/fake-clock.js';
import { FakeCluster } from '../testing/fake-cluster.js';
import { FakeKafkaServer } from '../testing/fake-kafka-server.js';

function int32Request(value: number): RequestSpec<number> {
  return {
    apiKey: 18,
    apiVersion: 3,
    requestHeaderVersion: 1,
    responseHeaderVersion: 0,
    writeBody: (w: Writer) => {
      w.writeInt32(value);
    },
    readBody: (r: Reader) => r.readInt32(),
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('Connection.exclusive', () => {
  let server: FakeKafkaServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('writes the exclusive requests ahead of those sent meanwhile, after the ones already in flight', async () => {
    const order: number[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    server = await FakeKafkaServer.start((client) => {
      // A broker answers in order: each answer waits for the one before it.
      let previous: Promise<void> = Promise.resolve();
      client.onRequest = (req, c) => {
        const value = Buffer.from(req.rest).readInt32BE(0);
        order.push(value);
        // The first request is a long poll: answered only once the test says so.
        const answer = () => {
          const body = Buffer.alloc(4);
          body.writeInt32BE(value + 1000);
          c.respond(req.correlationId, body);
        };
        previous = previous.then(() => (value === 1 ? held : undefined)).then(answer);
      };
    });
    const connection = new Connection({ host: server.host, port: server.port });
    const longPoll = connection.send(int32Request(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const results: string[] = [];
    let queued: Promise<unknown> = Promise.resolve();
    const exclusive = connection.exclusive(async (send) => {
      queued = connection.send(int32Request(2)).then((v) => results.push(`queued ${v}`));
      const first = await send(int32Request(3));
      results.push(`exclusive ${first}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      // While the task runs, the request sent meanwhile has not been written.
      expect(order).toEqual([1, 3]);
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    expect(await longPoll).toBe(1001);
    await exclusive;
    await queued;
    await connection.close();
    expect(order).toEqual([1, 3, 2]);
    expect(results).toEqual(['exclusive 1003', 'queued 1002']);
  });

  it('refuses a second exclusive task while one runs', async () => {
    server = await FakeKafkaServer.start();
    const connection = new Connection({ host: server.host, port: server.port });
    let finish: () => void = () => {};
    const first = connection.exclusive(() => new Promise<void>((resolve) => (finish = resolve)));
    await expect(connection.exclusive(async () => 1)).rejects.toThrow('already running');
    finish();
    await first;
    await connection.close();
  });
});

describe('BrokerPool re-authentication (KIP-368)', () => {
  function setup(lifetimeMs: bigint) {
    const clock = new FakeClock();
    const cluster = new FakeCluster(clock);
    let failNext = false;
    cluster.handler = (request) => {
      if (request.apiKey === 17) return { response: { errorCode: 0, mechanisms: ['PLAIN'] } };
      if (request.apiKey === 36) {
        if (failNext) {
          return {
            response: {
              errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
              errorMessage: 'expired credentials',
              authBytes: new Uint8Array(0),
              sessionLifetimeMs: 0n,
            },
          };
        }
        return {
          response: {
            errorCode: 0,
            errorMessage: null,
            authBytes: new Uint8Array(0),
            sessionLifetimeMs: lifetimeMs,
          },
        };
      }
      return undefined;
    };
    const logs: Array<{ msg: string; obj: Record<string, unknown> }> = [];
    const record = (obj: Record<string, unknown>, msg: string) => logs.push({ msg, obj });
    const logger: Logger = { debug: record, info: record, warn: record, error: record };
    const pool = new BrokerPool({
      bootstrapServers: 'b1:9092',
      connectionFactory: cluster.factory,
      sasl: { mechanism: 'PLAIN', username: 'alice', password: 'secret' },
      clock,
      logger,
      random: () => 0.5,
    });
    return { clock, cluster, pool, logs, failNext: () => (failNext = true) };
  }

  it('renews the session at 90 % of its lifetime (random 0.5), again after each renewal', async () => {
    const { clock, cluster, pool, logs } = setup(10_000n);
    const connection = await pool.connection(pool.bootstrapBrokers[0]!);
    expect(cluster.requestsOf(36)).toHaveLength(1);
    clock.advance(8999);
    await flush();
    expect(cluster.requestsOf(36)).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(cluster.requestsOf(17)).toHaveLength(2);
    expect(cluster.requestsOf(36)).toHaveLength(2);
    clock.advance(9000);
    await flush();
    expect(cluster.requestsOf(36)).toHaveLength(3);
    expect(logs.filter((l) => l.msg === 'reauthenticated').map((l) => l.obj.sessionLifetimeMs)).toEqual([
      10_000, 10_000,
    ]);
    expect(cluster.connectAttempts).toHaveLength(1);
    expect(connection.connection.state).toBe('ready');
    await pool.close();
    clock.advance(100_000);
    await flush();
    expect(cluster.requestsOf(36)).toHaveLength(3);
  });

  it('does not schedule a renewal when the broker grants a session without lifetime', async () => {
    const { clock, cluster, pool } = setup(0n);
    await pool.connection(pool.bootstrapBrokers[0]!);
    clock.advance(10_000_000);
    await flush();
    expect(cluster.requestsOf(36)).toHaveLength(1);
    await pool.close();
  });

  it('closes the connection when a renewal is refused, so the next request opens a new one', async () => {
    const { clock, cluster, pool, logs, failNext } = setup(10_000n);
    const connection = await pool.connection(pool.bootstrapBrokers[0]!);
    failNext();
    clock.advance(9000);
    await flush();
    await flush();
    expect(connection.connection.state).toBe('closed');
    const warning = logs.find((l) => l.msg === 're-authentication failed, closing the connection');
    expect(String(warning?.obj.err)).toContain('expired credentials');
    expect(JSON.stringify(logs)).not.toContain('secret');
    expect(cluster.connectAttempts).toHaveLength(1);
    await pool.close();
  });
});
