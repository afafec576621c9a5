import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxyError } from './errors.js';
import { FaultProxy } from './proxy.js';
import { ManualClock } from './test-support/manual-clock.js';
import { FakeUpstream, frame, settle, TestClient, waitFor } from './test-support/sockets.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(clock?: ManualClock): Promise<{ proxy: FaultProxy; upstream: FakeUpstream }> {
  const upstream = await FakeUpstream.start();
  const proxy = await FaultProxy.start({
    upstream: { host: '127.0.0.1', port: upstream.port },
    ...(clock ? { clock } : {}),
  });
  cleanups.push(
    () => upstream.close(),
    () => proxy.close(),
  );
  return { proxy, upstream };
}

async function client(proxy: FaultProxy): Promise<TestClient> {
  const c = await TestClient.connect(proxy.port);
  cleanups.push(() => {
    c.socket.destroy();
  });
  return c;
}

describe('FaultProxy without faults', () => {
  it('forwards both directions byte for byte and counts the bytes', async () => {
    const { proxy, upstream } = await setup();
    const c = await client(proxy);
    const request = randomBytes(300_000);
    c.socket.write(request);
    await waitFor('request', () => upstream.received().length === request.length);
    expect(upstream.received().equals(request)).toBe(true);
    const response = randomBytes(200_000);
    upstream.connections[0]!.socket.write(response);
    await waitFor('response', () => c.bytes.length === response.length);
    expect(c.bytes.equals(response)).toBe(true);
    expect(proxy.stats.forwarded).toEqual({ toBroker: 300_000, toClient: 200_000 });
    expect(proxy.connectionCount).toBe(1);
  });

  it('passes a half-close on, then forgets the connection once both sides closed', async () => {
    const { proxy, upstream } = await setup();
    const c = await client(proxy);
    c.socket.end(Buffer.from('bye'));
    await waitFor('upstream end', () => upstream.connections[0]?.ended === true);
    expect(upstream.received().toString()).toBe('bye');
    upstream.connections[0]!.socket.end();
    await waitFor('client close', () => c.closed);
    await waitFor('forgotten', () => proxy.connectionCount === 0);
    expect(c.error).toBeUndefined();
    expect(proxy.stats.reset).toBe(0);
  });
});

describe('FaultProxy faults', () => {
  it('holds every chunk for the latency plus its jitter and keeps the order', async () => {
    const clock = new ManualClock([0.9, 0.1]);
    const { proxy, upstream } = await setup(clock);
    proxy.setFaults({ toClient: { latencyMs: 100, jitterMs: 50 } });
    const c = await client(proxy);
    await waitFor('upstream connection', () => upstream.connections.length === 1);
    const server = upstream.connections[0]!.socket;
    server.write('first');
    await waitFor('first queued', () => clock.pending === 1);
    server.write('second');
    await settle();
    clock.advance(144); // first leaves at 100 + 0.9 * 50 = 145
    await settle();
    expect(c.bytes.toString()).toBe('');
    // The second drew only 5 ms of jitter (due at 105), yet it never overtakes the first.
    clock.advance(1);
    await waitFor('both', () => c.bytes.toString() === 'firstsecond');
    // Requests have no fault: they pass at once.
    c.socket.write('req');
    await waitFor('request', () => upstream.received().toString() === 'req');
  });

  it('limits the bandwidth: bytes leave in slices at the configured rate', async () => {
    const clock = new ManualClock();
    const { proxy, upstream } = await setup(clock);
    proxy.setFaults({ toBroker: { bytesPerSecond: 4096 } });
    const c = await client(proxy);
    c.socket.write(Buffer.alloc(3 * 4096, 7));
    await waitFor('queued', () => clock.pending === 1);
    await settle();
    clock.advance(999);
    await settle();
    expect(upstream.received().length).toBe(0);
    clock.advance(1);
    await waitFor('first slice', () => upstream.received().length === 4096);
    clock.advance(1000);
    await waitFor('second slice', () => upstream.received().length === 8192);
    clock.advance(1000);
    await waitFor('third slice', () => upstream.received().length === 3 * 4096);
  });

  it('resets the connection after exactly dropAfterBytes forwarded bytes', async () => {
    const { proxy, upstream } = await setup();
    proxy.setFaults({ toBroker: { dropAfterBytes: 10 } });
    const c = await client(proxy);
    c.socket.write(Buffer.alloc(25, 1));
    await waitFor('client reset', () => c.closed);
    expect(c.error?.code).toBe('ECONNRESET');
    // Node 22 closes a socket that was written to with FIN even when asked to reset it (24 and 26 send
    // RST): the broker's end sees the connection end either way.
    await waitFor('upstream closed', () => {
      const end = upstream.connections[0];
      return end?.socket.destroyed === true || end?.ended === true;
    });
    expect(upstream.received().length).toBe(10);
    expect(proxy.stats.reset).toBe(1);
  });

  it('resets a connection dropAfterMs after the fault was set', async () => {
    const clock = new ManualClock();
    const { proxy } = await setup(clock);
    const c = await client(proxy);
    await waitFor('accepted', () => proxy.connectionCount === 1);
    clock.advance(5_000);
    proxy.setFaults({ dropAfterMs: 300 });
    clock.advance(299);
    await settle();
    expect(c.closed).toBe(false);
    clock.advance(1);
    await waitFor('reset', () => c.closed);
    expect(c.error?.code).toBe('ECONNRESET');
  });

  it('cuts the next frame in half, once: size and half the body pass, then the connection is reset', async () => {
    const { proxy, upstream } = await setup();
    proxy.setFaults({ toBroker: { cutFrames: 1 } });
    const first = await client(proxy);
    first.socket.write(Buffer.concat([frame(Buffer.alloc(10, 1)), frame(Buffer.alloc(6, 2))]));
    await waitFor('cut', () => first.closed);
    expect(first.error?.code).toBe('ECONNRESET');
    await waitFor('upstream got the half', () => upstream.received(0).length === 9);
    expect(upstream.received(0)).toEqual(Buffer.concat([frame(Buffer.alloc(10, 1)).subarray(0, 9)]));
    expect(proxy.currentFaults.toBroker?.cutFrames).toBe(0);
    // The cut is spent: a new connection passes whole frames.
    const second = await client(proxy);
    const whole = frame(Buffer.alloc(10, 3));
    second.socket.write(whole);
    await waitFor('whole frame', () => upstream.received(1).length === whole.length);
    expect(second.closed).toBe(false);
  });

  it('blackholes one direction: requests arrive, responses never do, the connection stays open', async () => {
    const { proxy, upstream } = await setup();
    proxy.setFaults({ toClient: { blackhole: true } });
    const c = await client(proxy);
    c.socket.write('ping');
    await waitFor('request', () => upstream.received().toString() === 'ping');
    upstream.connections[0]!.socket.write('pong');
    await settle(100);
    expect(c.bytes.length).toBe(0);
    expect(c.closed).toBe(false);
    proxy.clearFaults();
    upstream.connections[0]!.socket.write('pong');
    await waitFor('response after healing', () => c.bytes.toString() === 'pong');
  });

  it('refuses new connections while told to, keeping open ones, and accepts again on the same port', async () => {
    const { proxy, upstream } = await setup();
    const open = await client(proxy);
    const port = proxy.port;
    await proxy.refuseConnections();
    const refused = await client(proxy);
    expect(refused.error?.code).toBe('ECONNREFUSED');
    open.socket.write('still');
    await waitFor('open one works', () => upstream.received(0).toString() === 'still');
    await proxy.acceptConnections();
    expect(proxy.port).toBe(port);
    const again = await client(proxy);
    expect(again.error).toBeUndefined();
    await waitFor('accepted again', () => proxy.connectionCount === 2);
  });

  it('resets every connection at once', async () => {
    const { proxy } = await setup();
    const clients = [await client(proxy), await client(proxy), await client(proxy)];
    await waitFor('accepted', () => proxy.connectionCount === 3);
    expect(proxy.resetAll()).toBe(3);
    await waitFor('all reset', () => clients.every((c) => c.closed));
    expect(clients.map((c) => c.error?.code)).toEqual(['ECONNRESET', 'ECONNRESET', 'ECONNRESET']);
    expect(proxy.connectionCount).toBe(0);
  });

  it('resets the client when the upstream refuses', async () => {
    const upstream = await FakeUpstream.start();
    const port = upstream.port;
    await upstream.close();
    const proxy = await FaultProxy.start({ upstream: { host: '127.0.0.1', port } });
    cleanups.push(() => proxy.close());
    const c = await client(proxy);
    await waitFor('client reset', () => c.closed);
    expect(proxy.connectionCount).toBe(0);
  });

  it('refuses an option out of range with a typed error that names it, and keeps the old faults', async () => {
    const { proxy } = await setup();
    proxy.setFaults({ toClient: { latencyMs: 5 } });
    const attempt = () => proxy.setFaults({ toClient: { latencyMs: -1 } });
    expect(attempt).toThrow(FaultProxyError);
    expect(attempt).toThrow(/toClient\.latencyMs must be a finite number >= 0, got -1/);
    expect(() => proxy.setFaults({ toBroker: { bytesPerSecond: 0 } })).toThrow(/toBroker\.bytesPerSecond/);
    expect(() => proxy.setFaults({ toBroker: { cutFrames: 1.5 } })).toThrow(/cutFrames must be an integer/);
    try {
      attempt();
    } catch (error) {
      expect((error as FaultProxyError).code).toBe('ERR_FAULT_PROXY_CONFIG');
    }
    expect(proxy.currentFaults).toEqual({ toClient: { latencyMs: 5 } });
  });

  it('refuses calls after close with ERR_FAULT_PROXY_CLOSED', async () => {
    const { proxy } = await setup();
    await proxy.close();
    expect(() => proxy.setFaults({})).toThrow(expect.objectContaining({ code: 'ERR_FAULT_PROXY_CLOSED' }));
  });

  it('reports a taken port with ERR_FAULT_PROXY_LISTEN', async () => {
    const { proxy } = await setup();
    await expect(FaultProxy.start({ port: proxy.port })).rejects.toMatchObject({
      code: 'ERR_FAULT_PROXY_LISTEN',
    });
  });
});

describe('FaultProxy.close', () => {
  it('leaves no socket or server behind, even with bytes still delayed', async () => {
    // Timers are checked on the injected clock below: the test runner has timers of its own.
    // Node reports its TCP handles by kind; Bun reports none, so there the closed sockets and the
    // refused port are what is checked (the same test runs on Node 22, 24 and 26 with the counts).
    const count = (): Record<string, number> => {
      const counts: Record<string, number> = { TCPServerWrap: 0, TCPSocketWrap: 0 };
      for (const kind of process.getActiveResourcesInfo()) if (kind in counts) counts[kind]!++;
      return counts;
    };
    await settle();
    const before = count();
    const upstream = await FakeUpstream.start();
    const proxy = await FaultProxy.start({ upstream: { host: '127.0.0.1', port: upstream.port } });
    proxy.setFaults({
      toBroker: { latencyMs: 60_000 },
      toClient: { bytesPerSecond: 10 },
      dropAfterMs: 60_000,
    });
    const c = await TestClient.connect(proxy.port);
    c.socket.write('held for a minute');
    await waitFor('accepted', () => upstream.connections.length === 1);
    const brokerEnd = upstream.connections[0]!.socket;
    brokerEnd.write(Buffer.alloc(1000));
    await settle();
    const reportsHandles = !('Bun' in globalThis);
    if (reportsHandles) {
      // The proxy's server and the fake broker's; the client, both ends inside the proxy, the broker's end.
      expect(count()).toEqual({
        TCPServerWrap: before.TCPServerWrap! + 2,
        TCPSocketWrap: before.TCPSocketWrap! + 4,
      });
    }
    const port = proxy.port;
    await proxy.close();
    await waitFor('client closed', () => c.closed);
    await waitFor('broker end closed', () => brokerEnd.destroyed);
    expect(proxy.connectionCount).toBe(0);
    expect((await TestClient.connect(port)).error?.code).toBe('ECONNREFUSED');
    await upstream.close();
    if (reportsHandles) {
      const within = () => Object.entries(count()).every(([kind, n]) => n <= before[kind]!);
      await waitFor('handles released', within, 3_000).catch(() => {});
      expect(count()).toEqual(before);
    }
  });

  it('clears every timer it set: latency, bandwidth and drop timers', async () => {
    const clock = new ManualClock();
    const { proxy, upstream } = await setup(clock);
    proxy.setFaults({
      toBroker: { latencyMs: 60_000 },
      toClient: { bytesPerSecond: 10 },
      dropAfterMs: 60_000,
    });
    const c = await client(proxy);
    c.socket.write('held for a minute');
    await waitFor('accepted', () => upstream.connections.length === 1);
    upstream.connections[0]!.socket.write(Buffer.alloc(1000));
    await waitFor('three timers', () => clock.pending === 3);
    await proxy.close();
    expect(clock.pending).toBe(0);
  });
});
