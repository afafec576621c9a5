import { describe, expect, it } from 'vitest';
import { allAdapters } from './adapters.js';
import { RUNNEL_VARIANTS } from './adapters-runnel.js';
import { adaptersFor, nodeClient } from './client-adapter.js';
import { FETCH_SETTINGS } from './spec.js';

const ids = (list: readonly { id: string }[]) => list.map((a) => a.id);

describe('allAdapters', () => {
  it('has one adapter per id, Runnel and its variants first', () => {
    const all = ids(allAdapters());
    expect(new Set(all).size).toBe(all.length);
    expect(all.slice(0, 4)).toEqual(['runnel', 'runnel-consumer', 'runnel-assign', 'runnel-otel']);
    expect(all).toEqual(
      expect.arrayContaining(['kafkajs', 'runnel-kafkajs', 'java', 'franz-go', 'node-rdkafka']),
    );
  });
});

describe('adaptersFor', () => {
  const all = allAdapters();

  it('runs the group and assign variants for the first record, and classic and telemetry-on Runnel for throughput', () => {
    expect(ids(adaptersFor(all, 'first-record', undefined))).toEqual(
      expect.arrayContaining(['runnel', 'runnel-consumer', 'runnel-assign', 'franz-go', 'java']),
    );
    const throughput = ids(adaptersFor(all, 'throughput', undefined));
    expect(throughput).toContain('runnel');
    // Telemetry's cost is a throughput question: its variant reads whole topics, not first records.
    expect(throughput).toContain('runnel-otel');
    expect(ids(adaptersFor(all, 'first-record', undefined))).not.toContain('runnel-otel');
    expect(throughput).not.toContain('runnel-consumer');
    expect(throughput).not.toContain('java-perf');
  });

  it('runs named clients in the phases they can take part in', () => {
    expect(ids(adaptersFor(all, 'throughput', ['runnel-assign', 'java-perf']))).toEqual([
      'runnel-assign',
      'java-perf',
    ]);
    // ConsumerPerformance reports no time to first record.
    expect(ids(adaptersFor(all, 'first-record', ['runnel-assign', 'java-perf']))).toEqual(['runnel-assign']);
  });
});

describe('nodeClient', () => {
  const spec = {
    brokers: 'h:1',
    topic: 't',
    partitions: 2,
    groupId: 'g',
    records: 1,
    fetch: FETCH_SETTINGS,
    timeoutMs: 5,
  };

  it("runs the client program on the run's Node with its extra spec fields", async () => {
    const runtime = { path: '/n/bin/node', version: '24.22.3', lts: 'Krypton', nodeDir: '/n' };
    const client = nodeClient(
      'runnel.js',
      () => runtime,
      () => ({ variant: RUNNEL_VARIANTS[1]! }),
    );
    const command = await client.command(spec);
    expect(command.command).toBe('/n/bin/node');
    expect(command.args[0]).toMatch(/dist\/e2e\/clients\/runnel\.js$/);
    expect(JSON.parse(command.args[1]!)).toMatchObject({
      topic: 't',
      partitions: 2,
      variant: { mode: 'subscribe', config: { groupProtocol: 'consumer' } },
    });
  });

  it('refuses to build a command before prepare chose the runtime', async () => {
    await expect(nodeClient('x.js', () => undefined).command(spec)).rejects.toThrow(/before prepare/);
  });
});
