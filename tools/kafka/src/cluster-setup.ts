import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { KafkaToolError } from './errors.js';
import { execFile, lastLines } from './exec.js';
import { DEFAULT_TOOL_JVM_OPTIONS, JVM_MARKER } from './java.js';
import { findOnPath } from './paths.js';
import { assertPortFree, pickFreePorts } from './ports.js';
import type { KafkaVersionProfile } from './versions.js';

/*
 * The steps of starting a local cluster that need none of its running state: the cluster id, the
 * ports, formatting a node's storage, and the watchdog that cleans up after a crashed parent.
 */

const HOST = '127.0.0.1';
/** Names every JVM of one cluster, so the watchdog can find exactly those. */
export const CLUSTER_MARKER = 'runnel.kafka.cluster';

/** What `formatNode` needs of a node. */
export interface FormattableNode {
  readonly nodeId: number;
  readonly propertiesFile: string;
}

/** A random KRaft cluster id; like Kafka's own, never starting with '-' so no tool reads it as an option. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export async function choosePorts(
  nodeCount: number,
  firstPort: number | undefined,
): Promise<{ brokers: number[]; controllers: number[] }> {
  if (firstPort === undefined) {
    const free = await pickFreePorts(nodeCount * 2, HOST);
    return { brokers: free.slice(0, nodeCount), controllers: free.slice(nodeCount) };
  }
  const brokers = Array.from({ length: nodeCount }, (_, i) => firstPort + i);
  for (const port of brokers) await assertPortFree(port, HOST);
  const controllers = (await pickFreePorts(nodeCount * 2, HOST)).filter((p) => !brokers.includes(p));
  return { brokers, controllers: controllers.slice(0, nodeCount) };
}

export async function formatNode(
  java: string,
  profile: KafkaVersionProfile,
  libDir: string,
  toolLogging: readonly string[],
  clusterId: string,
  node: FormattableNode,
  extraArgs: readonly string[] = [],
): Promise<void> {
  // With a static controller.quorum.voters list, format takes neither --standalone nor --initial-controllers.
  const result = await execFile(
    java,
    [
      ...DEFAULT_TOOL_JVM_OPTIONS,
      JVM_MARKER,
      ...toolLogging,
      '-cp',
      join(libDir, '*'),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      node.propertiesFile,
      '--ignore-formatted',
      ...extraArgs,
    ],
    { timeoutMs: 120_000, label: `kafka.tools.StorageTool format (node ${node.nodeId})` },
  );
  if (result.code !== 0) {
    throw new KafkaToolError(
      `formatting Kafka ${profile.version} node ${node.nodeId} failed (exit ${result.code})\n` +
        lastLines(result.stdout + result.stderr, 30),
    );
  }
}

/**
 * Starts a shell that outlives a crash of this process: once this process is gone it sends SIGTERM,
 * then SIGKILL, to the cluster's JVMs (matched by their cluster marker) and removes the cluster's dir.
 * The script reads the marker from its arguments, so its own command line never matches the pattern.
 */
export function startWatchdog(clusterId: string, dir: string): ChildProcess | undefined {
  const sh = findOnPath('sh');
  if (sh === undefined || findOnPath('pkill') === undefined) return undefined;
  const script = [
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    `pkill -TERM -f "${CLUSTER_MARKER}=$2"`,
    'sleep 5',
    `pkill -KILL -f "${CLUSTER_MARKER}=$2"`,
    'rm -rf "$3"',
  ].join('; ');
  const child = spawn(sh, ['-c', script, 'runnel-kafka-watchdog', String(process.pid), clusterId, dir], {
    stdio: 'ignore',
    detached: true,
  });
  child.on('error', () => {});
  child.unref();
  return child;
}
