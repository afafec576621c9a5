import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka } from './cluster.js';
import { KafkaToolError } from './errors.js';
import { assertPortFree, pickFreePorts, portAccepts } from './ports.js';

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

  it('sees that a listening port accepts connections and a closed one does not', async () => {
    expect(await portAccepts(heldPort)).toBe(true);
    const [closed] = await pickFreePorts(1);
    expect(await portAccepts(closed!)).toBe(false);
  });
});
