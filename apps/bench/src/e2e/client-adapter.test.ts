import { afterEach, describe, expect, it } from 'vitest';
import { allAdapters } from './adapters.js';
import { BASELINE_ENV, RUNNEL_VARIANTS, runnelAdapter } from './adapters-runnel.js';
import { adaptersFor, nodeClient } from './client-adapter.js';
import { FETCH_SETTINGS } from './spec.js';

const ids = (list: readonly { id: string }[]) => list.map((a) => a.id);
const RUNTIME = { path: '/n/bin/node', version: '24.22.3', lts: 'Krypton', nodeDir: '/n' };
const SPEC = {
  brokers: 'h:1',
  topic: 't',
  partitions: 2,
  groupId: 'g',
  records: 1,
  fetch: FETCH_SETTINGS,
  timeoutMs: 5,
};

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

describe('the runnel-baseline variant', () => {
  const baseline = RUNNEL_VARIANTS.find((v) => v.id === 'runnel-baseline')!;
  const context = {
    quick: false,
    named: true,
    kafkaLibDir: '/k',
    kafkaVersion: '4.4.0',
    node: RUNTIME,
    log: () => {},
  };
  const spec = {
    brokers: 'h:1',
    topic: 't',
    partitions: 1,
    groupId: 'g',
    records: 1,
    fetch: FETCH_SETTINGS,
    timeoutMs: 5,
  };
  afterEach(() => {
    delete process.env[BASELINE_ENV];
  });

  it('runs only when named, and is unavailable without a build named in the environment', async () => {
    expect(ids(adaptersFor(allAdapters(), 'throughput', undefined))).not.toContain('runnel-baseline');
    delete process.env[BASELINE_ENV];
    expect(await runnelAdapter(baseline).prepare(context)).toEqual({
      available: false,
      reason: `${BASELINE_ENV} names no build of @runnel/consumer`,
    });
  });

  it("loads @runnel/consumer from the named build's dist/index.js", async () => {
    process.env[BASELINE_ENV] = '/builds/before';
    const adapter = runnelAdapter(baseline);
    // The probe fails (no such Node), which leaves the runtime chosen for the command.
    await adapter.prepare(context);
    const command = await adapter.command(spec);
    expect(JSON.parse(command.args[1]!).variant).toEqual({
      mode: 'subscribe',
      config: { groupProtocol: 'classic' },
      module: 'file:///builds/before/dist/index.js',
    });
  });
});

describe('the runnel-eager variant', () => {
  it("runs only when named, under node --no-lazy, Node's option before the program", async () => {
    expect(ids(adaptersFor(allAdapters(), 'first-record', undefined))).not.toContain('runnel-eager');
    expect(ids(adaptersFor(allAdapters(), 'first-record', ['runnel-eager']))).toEqual(['runnel-eager']);
    const eager = RUNNEL_VARIANTS.find((v) => v.id === 'runnel-eager')!;
    const client = nodeClient(
      'runnel.js',
      () => RUNTIME,
      () => ({ variant: eager }),
      eager.nodeArgs,
    );
    const command = await client.command(SPEC);
    expect(command.command).toBe('/n/bin/node');
    expect(command.args[0]).toBe('--no-lazy');
    expect(command.args[1]).toMatch(/dist\/e2e\/clients\/runnel\.js$/);
    expect(JSON.parse(command.args[2]!).variant.config).toEqual({ groupProtocol: 'classic' });
  });
});

describe('nodeClient', () => {
  it("runs the client program on the run's Node with its extra spec fields", async () => {
    const client = nodeClient(
      'runnel.js',
      () => RUNTIME,
      () => ({ variant: RUNNEL_VARIANTS[1]! }),
    );
    const command = await client.command(SPEC);
    expect(command.command).toBe('/n/bin/node');
    expect(command.args[0]).toMatch(/dist\/e2e\/clients\/runnel\.js$/);
    expect(JSON.parse(command.args[1]!)).toMatchObject({
      topic: 't',
      partitions: 2,
      variant: { mode: 'subscribe', config: { groupProtocol: 'consumer' } },
    });
  });

  it('refuses to build a command before prepare chose the runtime', async () => {
    await expect(nodeClient('x.js', () => undefined).command(SPEC)).rejects.toThrow(/before prepare/);
  });
});
