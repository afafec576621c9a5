import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka } from './cluster.js';
import { KafkaToolError } from './errors.js';
import { assertPortFree, ephemeralPortRange, pickFreePorts, portAccepts } from './ports.js';

describe('ports', () => {
  let held: Server;
  let heldPort: number;
  beforeAll(async () => {
    held = createServer();
    await new Promise<void>((resolve) => held.listen({ host: '127.0.0.1', port: 0 }, resolve));
    heldPort = (held.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => held.close(() => resolve())));

  it('says in one line that a port held by another listener is in use', async () => {
    const error = await assertPortFree(heldPort).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaToolError);
    expect((error as KafkaToolError).code).toBe('ERR_KAFKA_PORT_IN_USE');
    expect((error as KafkaToolError).message).toBe(
      `port ${heldPort} on 127.0.0.1 is already in use: choose another or omit it`,
    );
  });

  it('makes startKafka reject an explicit port in use before starting anything', async () => {
    const error = await startKafka({ port: heldPort }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaToolError);
    expect((error as KafkaToolError).code).toBe('ERR_KAFKA_PORT_IN_USE');
    expect((error as KafkaToolError).message).not.toContain('\n');
  });

  it('rejects a number that is not a TCP port', async () => {
    await expect(assertPortFree(70000)).rejects.toMatchObject({ code: 'ERR_KAFKA_PORT' });
  });

  it('picks distinct ports that can then be bound', async () => {
    const ports = await pickFreePorts(6);
    expect(new Set(ports).size).toBe(6);
    for (const port of ports) await expect(assertPortFree(port)).resolves.toBeUndefined();
  });

  it('picks ports below the kernel ephemeral range, where no outgoing connection takes them meanwhile', async () => {
    const ports = await pickFreePorts(8, '127.0.0.1', [32768, 60999]);
    expect(new Set(ports).size).toBe(8);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(32768);
      await expect(assertPortFree(port)).resolves.toBeUndefined();
    }
  });

  it('skips a port below the range that a listener holds, and falls back to port 0 past its attempts', async () => {
    const [wanted] = await pickFreePorts(1, '127.0.0.1', [32768, 60999]);
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port: wanted }, resolve));
    try {
      // Every draw lands on the held port: each attempt is skipped, and port 0 gives the ports.
      const room = 32768 - 10_000;
      const ports = await pickFreePorts(
        2,
        '127.0.0.1',
        [32768, 60999],
        () => (wanted! - 10_000 + 0.5) / room,
      );
      expect(ports).not.toContain(wanted);
      expect(new Set(ports).size).toBe(2);
      for (const port of ports) await expect(assertPortFree(port)).resolves.toBeUndefined();
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it("uses port 0's ports where the ephemeral range is unknown", async () => {
    const ports = await pickFreePorts(3, '127.0.0.1', null);
    const [low, high] = ephemeralPortRange() ?? [1, 65535];
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(low);
      expect(port).toBeLessThanOrEqual(high);
    }
  });

  it('reads the ephemeral range as Linux writes it, and null from anything else', () => {
    expect(ephemeralPortRange(() => '32768\t60999\n')).toEqual([32768, 60999]);
    expect(ephemeralPortRange(() => 'not a range')).toBeNull();
    expect(ephemeralPortRange(() => '60999 32768')).toBeNull();
    expect(
      ephemeralPortRange(() => {
        throw new Error('ENOENT');
      }),
    ).toBeNull();
  });

  it('sees that a listening port accepts connections and a closed one does not', async () => {
    expect(await portAccepts(heldPort)).toBe(true);
    const [closed] = await pickFreePorts(1);
    expect(await portAccepts(closed!)).toBe(false);
  });
});
