import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BOTH_PHASES, type ClientAdapter, nodeClient, type Phase } from './client-adapter.js';
import { exec } from './exec.js';
import { describeNode, type NodeRuntime } from './node-runtime.js';
import { CLIENTS_DIR } from './paths.js';

/**
 * One way of running Runnel's consumer in the benchmark. The variants share the client program
 * (clients/runnel.ts) and differ only in how it takes its partitions and in consumer options laid over
 * the shared ones, so a new variant (`runnel-otel`, telemetry on) is one more entry here.
 */
export interface RunnelVariant {
  /** Client id in results and on the command line. */
  readonly id: string;
  readonly label: string;
  /** How it consumes, for the report. */
  readonly how: string;
  /** `subscribe`: group membership; `assign`: every partition assigned by hand, no group. */
  readonly mode: 'subscribe' | 'assign';
  /** Consumer options over the shared ones (fetch sizes, offsets, isolation). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly defaultPhases: readonly Phase[];
  /** Loads @runnel/consumer from the directory {@link BASELINE_ENV} names, not the workspace's build. */
  readonly baseline?: true;
  /** Node's own options for the client process (a diagnostic variant's V8 flags). */
  readonly nodeArgs?: readonly string[];
}

/**
 * The environment variable naming the package directory of another build of @runnel/consumer (its
 * `dist/` inside), for the `runnel-baseline` variant: a change measured side by side with the build
 * without it, in one interleaved run.
 */
export const BASELINE_ENV = 'RUNNEL_BENCH_BASELINE';

/**
 * Runnel under each group protocol and without a group. Only the classic protocol reads whole topics
 * by default; the others take part in the time-to-first-record phase, where they differ.
 */
export const RUNNEL_VARIANTS: readonly RunnelVariant[] = [
  {
    id: 'runnel',
    label: 'Runnel',
    how: 'subscribe, classic protocol (JoinGroup/SyncGroup)',
    mode: 'subscribe',
    config: { groupProtocol: 'classic' },
    defaultPhases: BOTH_PHASES,
  },
  {
    id: 'runnel-consumer',
    label: 'Runnel (consumer protocol)',
    how: 'subscribe, consumer protocol (KIP-848 ConsumerGroupHeartbeat)',
    mode: 'subscribe',
    config: { groupProtocol: 'consumer' },
    defaultPhases: ['first-record'],
  },
  {
    id: 'runnel-assign',
    label: 'Runnel (assign)',
    how: 'assign() of every partition, no group',
    mode: 'assign',
    config: {},
    defaultPhases: ['first-record'],
  },
  {
    id: 'runnel-otel',
    label: 'Runnel (telemetry on)',
    how: 'subscribe, classic protocol, `telemetry: true` with the OpenTelemetry SDK (spans and metrics, exported nowhere)',
    mode: 'subscribe',
    config: { groupProtocol: 'classic', telemetry: true },
    defaultPhases: ['throughput'],
  },
  {
    id: 'runnel-baseline',
    label: 'Runnel (baseline build)',
    how: `subscribe, classic protocol, @runnel/consumer loaded from $${BASELINE_ENV} (another build); only when named`,
    mode: 'subscribe',
    config: { groupProtocol: 'classic' },
    defaultPhases: [],
    baseline: true,
  },
  {
    // Not a way to run Runnel: a measurement of what V8's lazy compilation costs the start-up path.
    // Under --no-lazy every function is compiled when its module loads (outside the timed window, and
    // it doubles the import), so the first-record time that remains is the client's own work and its
    // round trips, comparable with a compiled client's.
    id: 'runnel-eager',
    label: 'Runnel (node --no-lazy, diagnostic)',
    how: 'subscribe, classic protocol, under `node --no-lazy` (every function compiled at load); only when named',
    mode: 'subscribe',
    config: { groupProtocol: 'classic' },
    defaultPhases: [],
    nodeArgs: ['--no-lazy'],
  },
];

/** @returns the adapter of a Runnel variant: the consumer as built in this repository, on the run's Node. */
export function runnelAdapter(variant: RunnelVariant): ClientAdapter {
  let node: NodeRuntime | undefined;
  const dir = variant.baseline ? process.env[BASELINE_ENV] : undefined;
  const module = dir ? pathToFileURL(join(dir, 'dist', 'index.js')).href : undefined;
  return {
    id: variant.id,
    label: variant.label,
    checksCrc: true,
    defaultPhases: variant.defaultPhases,
    notes: () =>
      `${node === undefined ? 'Node of the run' : describeNode(node)}; ${variant.how}; ` +
      '`for await (const batch of consumer.batches())`; check.crcs on (default)',
    async prepare(context) {
      node = context.node;
      if (variant.baseline && module === undefined)
        return { available: false, reason: `${BASELINE_ENV} names no build of @runnel/consumer` };
      // Loaded by the run's Node, as the runs will: the harness's own Node may be another release.
      const args = [join(CLIENTS_DIR, 'runnel.js'), '--probe', ...(module ? [module] : [])];
      const probe = await exec(node.path, args, { timeoutMs: 60_000 });
      return probe.code === 0
        ? { available: true }
        : { available: false, reason: probe.output.trim() || `exit ${probe.code}` };
    },
    ...nodeClient(
      'runnel.js',
      () => node,
      () => ({ variant: { mode: variant.mode, config: variant.config, ...(module ? { module } : {}) } }),
      variant.nodeArgs,
    ),
  };
}
