import { Metadata } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { BrokerPool, parseBootstrapServers } from './broker-pool.js';
import { ConnectionError } from './errors.js';
import { FakeClock } from './testing/fake-clock.js';
import { AutoAdvanceClock, FakeCluster } from './testing/fake-cluster.js';

describe('parseBootstrapServers', () => {
  it('reads a comma-separated list into bootstrap brokers with negative node ids', () => {
    expect(parseBootstrapServers(' a:9092, [::1]:9093 ,')).toEqual([
      { nodeId: -1, host: 'a', port: 9092, rack: null },
      { nodeId: -2, host: '::1', port: 9093, rack: null },
    ]);
  });

  it('accepts a list of entries as well', () => {
    expect(parseBootstrapServers(['h:1']).map((b) => `${b.host}:${b.port}`)).toEqual(['h:1']);
  });

  it.each(['a', 'a:', ':9092', 'a:0', 'a:70000', ''])('rejects %j with a ConnectionError', (entry) => {
    expect(() => parseBootstrapServers(entry)).toThrow(ConnectionError);
  });
});

describe('BrokerPool while no broker is reachable', () => {
  const logged = () => {
    const lines: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
    const at = (level: string) => (obj: Record<string, unknown>, msg: string) =>
      lines.push({ level, msg, obj });
    return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
  };

  it('says since when no broker was reachable, keeps the last connection error, and clears both once one answers', async () => {
    const clock = new AutoAdvanceClock();
    const cluster = new FakeCluster(clock);
    cluster.down.add('b1:9092');
    const pool = new BrokerPool({ bootstrapServers: 'b1:9092', connectionFactory: cluster.factory, clock });
    expect(pool.allBrokersDownSince).toBeNull();
    const [broker] = pool.bootstrapBrokers;
    await expect(pool.connection(broker!)).rejects.toBeInstanceOf(ConnectionError);
    const since = pool.allBrokersDownSince;
    expect(since).toBe(clock.now());
    await expect(pool.connection(broker!)).rejects.toBeInstanceOf(ConnectionError);
    expect(pool.allBrokersDownSince).toBe(since);
    expect(clock.now()).toBeGreaterThan(since!);
    expect(pool.lastConnectionError).toMatchObject({ reason: 'refused', broker: 'b1:9092' });
    cluster.down.clear();
    await pool.connection(broker!);
    expect(pool.allBrokersDownSince).toBeNull();
    expect(pool.lastConnectionError).toBeNull();
    await pool.close();
  });

  it('warns about a refused broker once per 30 s with the cause, not once per attempt, and says when it answers again', async () => {
    const clock = new FakeClock();
    const cluster = new FakeCluster(clock);
    cluster.down.add('b1:9092');
    const { lines, logger } = logged();
    const pool = new BrokerPool({
      bootstrapServers: 'b1:9092',
      connectionFactory: cluster.factory,
      clock,
      logger,
      reconnectBackoffMs: 1_000,
      reconnectBackoffMaxMs: 1_000,
    });
    const [broker] = pool.bootstrapBrokers;
    for (let attempt = 0; attempt < 70; attempt++) {
      const pending = pool.connection(broker!);
      pending.catch(() => {});
      await settle();
      clock.advance(1_200);
      await settle();
      await pending.catch(() => {});
    }
    expect(cluster.connectAttempts.length).toBe(70);
    const warns = lines.filter((l) => l.level === 'warn');
    expect(warns.map((l) => l.msg)).toEqual(Array(3).fill('cannot connect to broker'));
    expect(warns[0]!.obj.err).toMatchObject({ reason: 'refused' });
    expect(warns[1]!.obj.repeated).toBeGreaterThanOrEqual(20);
    cluster.down.clear();
    await pool.connection(broker!);
    expect(lines.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual([
      'connected to broker again',
      'a broker is reachable again',
    ]);
    await pool.close();
  });
});

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('BrokerPool reachability changes', () => {
  it('reports a broker down once at its first failed attempt, and up once with how long it was down', async () => {
    const clock = new AutoAdvanceClock();
    const cluster = new FakeCluster(clock);
    cluster.down.add('b1:9092');
    const pool = new BrokerPool({ bootstrapServers: 'b1:9092', connectionFactory: cluster.factory, clock });
    const changes: unknown[] = [];
    pool.reachability.onChange((change) => changes.push(change));
    const [broker] = pool.bootstrapBrokers;
    const downAt = clock.now();
    await expect(pool.connection(broker!)).rejects.toBeInstanceOf(ConnectionError);
    await expect(pool.connection(broker!)).rejects.toBeInstanceOf(ConnectionError);
    expect(changes).toEqual([
      { up: false, broker: 'b1:9092', nodeId: -1, error: expect.objectContaining({ reason: 'refused' }) },
    ]);
    cluster.down.clear();
    await pool.connection(broker!);
    await pool.connection(broker!);
    expect(changes).toHaveLength(2);
    expect(changes[1]).toEqual({ up: true, broker: 'b1:9092', nodeId: -1, downForMs: clock.now() - downAt });
    expect((changes[1] as { downForMs: number }).downForMs).toBeGreaterThan(0);
    await pool.close();
  });

  it('reports nothing for the connections its own close ends', async () => {
    const clock = new AutoAdvanceClock();
    const cluster = new FakeCluster(clock);
    const pool = new BrokerPool({ bootstrapServers: 'b1:9092', connectionFactory: cluster.factory, clock });
    const changes: unknown[] = [];
    pool.reachability.onChange((change) => changes.push(change));
    await pool.connection(pool.bootstrapBrokers[0]!);
    await pool.close();
    expect(changes).toEqual([]);
  });
});

describe('BrokerPool open connections', () => {
  it('counts the handshaken connections per broker and purpose, not a refused one, and none once closed', async () => {
    const clock = new AutoAdvanceClock();
    const cluster = new FakeCluster(clock);
    cluster.down.add('b2:9092');
    const pool = new BrokerPool({
      bootstrapServers: 'b1:9092,b2:9092',
      connectionFactory: cluster.factory,
      clock,
    });
    const [b1, b2] = pool.bootstrapBrokers;
    expect(pool.openConnections).toBe(0);
    await pool.connection(b1!);
    expect(pool.openConnections).toBe(1);
    // The same broker and purpose shares its connection; another purpose opens a second one.
    await pool.connection(b1!);
    await pool.connection(b1!, 'fetch');
    expect(pool.openConnections).toBe(2);
    await expect(pool.connection(b2!)).rejects.toBeInstanceOf(ConnectionError);
    expect(pool.openConnections).toBe(2);
    // A connection the broker reset no longer counts.
    cluster.connections.find((c) => c.state === 'ready')!.close();
    expect(pool.openConnections).toBe(1);
    await pool.close();
    expect(pool.openConnections).toBe(0);
  });
});

describe('BrokerPool bootstrap connections', () => {
  const node1 = { nodeId: 1, host: 'b1', port: 9092, rack: null };
  const poolAt = (bootstrapServers: string) => {
    const clock = new AutoAdvanceClock();
    const cluster = new FakeCluster(clock);
    return { cluster, pool: new BrokerPool({ bootstrapServers, connectionFactory: cluster.factory, clock }) };
  };

  it('become the connections of the broker metadata names at their address, purpose by purpose', async () => {
    const { cluster, pool } = poolAt('b1:9092');
    const [bootstrap] = pool.bootstrapBrokers;
    const bootDefault = await pool.connection(bootstrap!);
    const bootGroup = await pool.connection(bootstrap!, 'group');
    expect(cluster.connectAttempts).toHaveLength(2);
    pool.updateBrokers([node1]);

    const nodeDefault = await pool.connection(node1);
    const nodeGroup = await pool.connection(node1, 'group');
    // No socket opened for them: the bootstrap ones carry on, now under the broker's node id.
    expect(cluster.connectAttempts).toHaveLength(2);
    expect(nodeDefault.connection).toBe(bootDefault.connection);
    expect(nodeGroup.connection).toBe(bootGroup.connection);
    expect(nodeDefault.broker.nodeId).toBe(1);
    expect(nodeDefault.apiVersions).toBe(bootDefault.apiVersions);
    expect(await pool.connection(node1)).toBe(nodeDefault);
    // A purpose the bootstrap server did not carry opens its own socket; none is counted twice.
    const nodeFetch = await pool.connection(node1, 'fetch');
    expect(cluster.connectAttempts).toHaveLength(3);
    expect(nodeFetch.connection).not.toBe(bootDefault.connection);
    expect(pool.openConnections).toBe(3);
    // The bootstrap broker itself, asked for again, gets a socket of its own.
    await pool.connection(bootstrap!);
    expect(cluster.connectAttempts).toHaveLength(4);
    await pool.close();
  });

  it('are left alone for a broker at another address, and while still opening', async () => {
    const { cluster, pool } = poolAt('b1:9092');
    const [bootstrap] = pool.bootstrapBrokers;
    const opening = pool.connection(bootstrap!);
    const early = pool.connection(node1);
    expect((await early).connection).not.toBe((await opening).connection);
    await pool.connection({ nodeId: 2, host: 'b2', port: 9092, rack: null });
    expect(cluster.connectAttempts.map((a) => a.broker)).toEqual(['b1:9092', 'b1:9092', 'b2:9092']);
    await pool.close();
  });

  it('go to one broker only where a proxy presents several at the same address', async () => {
    const { cluster, pool } = poolAt('proxy:9092');
    const bootstrap = await pool.connection(pool.bootstrapBrokers[0]!);
    const brokers = [1, 2].map((nodeId) => ({ nodeId, host: 'proxy', port: 9092, rack: null }));
    pool.updateBrokers(brokers);
    const first = await pool.connection(brokers[0]!);
    const second = await pool.connection(brokers[1]!);
    expect(first.connection).toBe(bootstrap.connection);
    expect(second.connection).not.toBe(bootstrap.connection);
    expect([first.broker.nodeId, second.broker.nodeId]).toEqual([1, 2]);
    // Each keeps its own: asking again does not move a connection from one broker to the other.
    expect(await pool.connection(brokers[0]!)).toBe(first);
    expect(await pool.connection(brokers[1]!)).toBe(second);
    expect(cluster.connectAttempts).toHaveLength(2);
    await pool.close();
  });

  it("once taken, fail, reconnect and are closed as the broker's", async () => {
    const { cluster, pool } = poolAt('b1:9092');
    const changes: Array<{ up: boolean; nodeId: number }> = [];
    pool.reachability.onChange((change) => changes.push(change));
    await pool.connection(pool.bootstrapBrokers[0]!);
    pool.updateBrokers([node1]);
    const adopted = await pool.connection(node1);
    // The broker resets it: reported down under the broker's node id, and the next request reconnects.
    cluster.handler = (request) => (request.apiKey === Metadata.apiKey ? { disconnect: true } : undefined);
    await expect(
      adopted.send(Metadata, { topics: [], allowAutoTopicCreation: false }),
    ).rejects.toBeInstanceOf(ConnectionError);
    expect(changes.filter((c) => !c.up).map((c) => c.nodeId)).toEqual([1]);
    expect(pool.openConnections).toBe(0);
    const reopened = await pool.connection(node1);
    expect(reopened).not.toBe(adopted);
    expect(cluster.connectAttempts).toHaveLength(2);
    // The broker moves: its connection, once the bootstrap one, is closed.
    pool.updateBrokers([{ ...node1, host: 'b9' }]);
    await Promise.resolve();
    expect(reopened.connection.state).toBe('closed');
    await pool.close();
  });
});

describe('BrokerPool warn lines', () => {
  it('carry a stable event name and the error code', async () => {
    const clock = new AutoAdvanceClock();
    const cluster = new FakeCluster(clock);
    cluster.down.add('b1:9092');
    const lines: Array<Record<string, unknown>> = [];
    const keep = (obj: Record<string, unknown>) => void lines.push(obj);
    const logger = { debug: () => {}, info: () => {}, warn: keep, error: keep };
    const pool = new BrokerPool({
      bootstrapServers: 'b1:9092',
      connectionFactory: cluster.factory,
      clock,
      logger,
    });
    await expect(pool.connection(pool.bootstrapBrokers[0]!)).rejects.toBeInstanceOf(ConnectionError);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      event: 'broker_connect_failed',
      code: 'ERR_CONNECTION',
      broker: 'b1:9092',
    });
    await pool.close();
  });
});
