import { describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { parseBootstrap, parseNodeCount } from './vitest-global-setup.js';

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('the kafka CLI', () => {
  it('refuses an unknown version with one error line and exit status 1', async () => {
    const result = await run('start', '--version', '2.8');
    expect(result).toEqual({
      code: 1,
      out: [],
      err: ['kafka: unsupported Kafka version "2.8": use one of 4, 3.9, 4.4.0, 3.9.2'],
    });
  });

  it('refuses an unknown command', async () => {
    const result = await run('launch');
    expect(result.code).toBe(1);
    expect(result.err).toEqual([
      'kafka: unknown command "launch": use start, stop, status, create-topic or fill',
    ]);
  });

  it('refuses an unknown option', async () => {
    const result = await run('start', '--nodez', '3');
    expect(result.code).toBe(1);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toMatch(/^kafka: .*--nodez/);
  });

  it('refuses a node count other than 1 or 3', async () => {
    expect((await run('start', '--nodes', '2')).err).toEqual(['kafka: KAFKA_NODES must be 1 or 3, not "2"']);
  });

  it('refuses a record count that is not a positive integer', async () => {
    const result = await run('fill', 'orders', '--records', '0');
    expect(result.code).toBe(1);
    expect(result.err).toEqual(['kafka: --records must be a positive integer, not "0"']);
  });

  it('requires the partition count of a new topic', async () => {
    expect((await run('create-topic', 'orders')).err).toEqual(['kafka: --partitions is required']);
  });
});

describe('parseBootstrap', () => {
  it('numbers the brokers of a bootstrap list from 1', () => {
    expect(parseBootstrap('127.0.0.1:9092, localhost:9093')).toEqual([
      { nodeId: 1, host: '127.0.0.1', port: 9092 },
      { nodeId: 2, host: 'localhost', port: 9093 },
    ]);
  });

  it('rejects an entry without a port', () => {
    expect(() => parseBootstrap('127.0.0.1')).toThrow('KAFKA_BROKERS entry "127.0.0.1" is not host:port');
  });
});

describe('parseNodeCount', () => {
  it('accepts 1 and 3 and defaults to 1', () => {
    expect(parseNodeCount(undefined)).toBe(1);
    expect(parseNodeCount('3')).toBe(3);
  });
});
