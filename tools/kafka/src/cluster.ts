import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaToolError } from './errors.js';
import { execFile, lastLines } from './exec.js';
import { ensureKafkaJars } from './jars.js';
import { DEFAULT_TOOL_JVM_OPTIONS, JVM_MARKER, requireJdkProgram, runJava } from './java.js';
import { loggingOption, renderLoggingConfig, toolLoggingOptions } from './logging.js';
import { findOnPath } from './paths.js';
import { assertPortFree, pickFreePorts, portAccepts } from './ports.js';
import { trackChild, trackTempDir, untrackTempDir } from './processes.js';
import { type BrokerProperties, brokerProperties, type NodeLayout, renderProperties } from './properties.js';
import {
  DEFAULT_PLAIN_USERS,
  DEFAULT_SCRAM_USERS,
  generateTestCertificates,
  type KafkaSecurityInfo,
  type KafkaSecurityOptions,
  SECURED_LISTENERS,
  type SecuredListener,
  type SecuredPorts,
  scramFormatArguments,
  securityProperties,
  type TestCertificates,
} from './security.js';
import { type KafkaVersionProfile, kafkaVersionProfile, resolveKafkaVersion } from './versions.js';

/** One broker's client listener. */
export interface KafkaBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

/** What a client or a Kafka tool needs to reach a cluster. */
export interface KafkaClusterInfo {
  /** `host:port` of every broker, comma-separated, as `bootstrap.servers` takes it. */
  readonly bootstrap: string;
  readonly brokers: readonly KafkaBroker[];
  /** Exact Kafka version, e.g. `4.4.0`. */
  readonly version: string;
  /** The version's lib dir (see `ensureKafkaJars`). */
  readonly libDir: string;
}

/** A running local cluster. Each node is a combined KRaft broker and controller in its own JVM. */
export interface KafkaCluster extends KafkaClusterInfo {
  /** The KRaft cluster id every node was formatted with. */
  readonly clusterId: string;
  /** The temp dir that holds each node's config, data and log; removed by `stop()`. */
  readonly dir: string;
  /**
   * Stops every node (SIGTERM, then SIGKILL after the stop timeout), waits for the JVMs to exit and
   * removes `dir`. Calling it again does nothing.
   */
  stop(): Promise<void>;
  /** Stops one node the same way and keeps its data, so `startNode` can bring it back. */
  stopNode(nodeId: number): Promise<void>;
  /**
   * Starts a stopped node again with the same ports and data, and resolves once it is ready and every
   * running node is listed in the cluster's metadata.
   *
   * @throws KafkaToolError when it exits or is not ready within the ready timeout.
   */
  startNode(nodeId: number): Promise<void>;
  /** Whether the node's JVM is running. */
  isRunning(nodeId: number): boolean;
  /**
   * The secured listeners and credentials, when started with the `security` option; undefined otherwise.
   * `bootstrap` stays the PLAINTEXT listener, so Kafka's tools keep working unchanged.
   */
  readonly security: KafkaSecurityInfo | undefined;
  /** The node's JVM process id while it runs. */
  pid(nodeId: number): number | undefined;
  /** The last `lines` (default 30) lines the node logged (WARN and above, plus startup). */
  logTail(nodeId: number, lines?: number): string;
}

export interface StartKafkaOptions {
  /**
   * Version or alias (see `resolveKafkaVersion`); default `KAFKA_VERSION` from the environment, else
   * `4`, so a test that starts its own cluster follows the version matrix like the shared one.
   */
  readonly version?: string;
  /** Number of nodes; default 1. */
  readonly nodes?: 1 | 3;
  /** Client port of node 1; node N gets `port + N - 1`. Default: free ports picked automatically. */
  readonly port?: number;
  /** `server.properties` entries that replace or add to the defaults. */
  readonly brokerProperties?: BrokerProperties;
  /** JVM options of each broker; default `-Xms256m -Xmx512m -XX:+UseSerialGC`. */
  readonly jvmOptions?: readonly string[];
  /** How long the cluster may take to be ready; default 120 000 ms. */
  readonly readyTimeoutMs?: number;
  /** How long a node may take to stop after SIGTERM before it gets SIGKILL; default 15 000 ms. */
  readonly stopTimeoutMs?: number;
  /** Where the cluster's temp dir is created; default the OS temp dir. */
  readonly parentDir?: string;
  /**
   * Leave the cluster running after this process exits (the CLI's `start`): the JVMs are detached and
   * not killed on exit, and the temp dir is kept until `stop()` or `stopDetachedCluster`.
   */
  readonly detached?: boolean;
  /**
   * Adds the listeners SSL, SASL_PLAINTEXT, SASL_SSL, MTLS (client certificate required) and WRONG_HOST
   * (a certificate for another host name) beside PLAINTEXT, with certificates generated by openssl
   * into the cluster dir, PLAIN, SCRAM-SHA-256/512 and OAUTHBEARER (unsecured JWS) on both SASL
   * listeners. `true` takes every default.
   */
  readonly security?: KafkaSecurityOptions | boolean;
}

export const DEFAULT_BROKER_JVM_OPTIONS: readonly string[] = ['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC'];
const HOST = '127.0.0.1';
const STARTED_LINE = 'Kafka Server started';
/** Names every JVM of one cluster, so the watchdog can find exactly those. */
export const CLUSTER_MARKER = 'runnel.kafka.cluster';

interface NodeState extends NodeLayout {
  readonly dir: string;
  readonly propertiesFile: string;
  readonly loggingFile: string;
  readonly logFile: string;
  child: ChildProcess | undefined;
  exit: Promise<string> | undefined;
  exitReason: string | undefined;
  logOffset: number;
}

function readFrom(file: string, offset: number, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(offset, size - maxBytes);
    const length = Math.max(0, size - start);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, start);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function fileSize(file: string): number {
  try {
    const fd = openSync(file, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}

/** Returns the ids of the brokers listed by BrokerApiVersionsCommand's output. */
export function parseBrokerIds(output: string): Set<number> {
  const ids = new Set<number>();
  for (const match of output.matchAll(/\(id: (\d+) rack:/g)) ids.add(Number(match[1]));
  return ids;
}

/**
 * Starts a local Kafka cluster in KRaft mode: formats a fresh temp dir per node, starts one JVM per
 * node and waits until every node logged that it started, accepts TCP on its port, and is listed by a
 * metadata query through Kafka's own BrokerApiVersionsCommand.
 *
 * @returns the running cluster; call `stop()` when done (a crashed or interrupted process kills it too).
 * @throws KafkaToolError when the version is unsupported, a port is in use, Java or the jars are
 *   missing, formatting fails, or a node exits or is not ready in time (with its last 30 log lines).
 */
export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaCluster> {
  const profile = kafkaVersionProfile(resolveKafkaVersion(options.version ?? process.env.KAFKA_VERSION));
  const nodeCount = options.nodes ?? 1;
  if (nodeCount !== 1 && nodeCount !== 3) {
    throw new KafkaToolError(`a local cluster has 1 or 3 nodes, not ${String(nodeCount)}`);
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
  const detached = options.detached ?? false;
  const deadline = Date.now() + readyTimeoutMs;

  const ports = await choosePorts(nodeCount, options.port);
  const security =
    options.security === undefined || options.security === false
      ? undefined
      : options.security === true
        ? {}
        : options.security;
  const securedPorts: SecuredPorts[] = [];
  if (security) {
    // Bound one after the other, two batches could share a port; ask for spares and drop repeats.
    const taken = new Set([...ports.brokers, ...ports.controllers]);
    const free = (await pickFreePorts(nodeCount * (SECURED_LISTENERS.length + 2), HOST)).filter(
      (p) => !taken.has(p),
    );
    for (let i = 0; i < nodeCount; i++) {
      const row = {} as Record<SecuredListener, number>;
      SECURED_LISTENERS.forEach((name, j) => {
        row[name] = free[i * SECURED_LISTENERS.length + j]!;
      });
      securedPorts.push(row);
    }
  }
  const java = requireJdkProgram('java');
  const libDir = await ensureKafkaJars(profile.version);
  const toolLogging = await toolLoggingOptions(profile.version);
  const clusterId = newClusterId();
  const dir = await mkdtemp(join(options.parentDir ?? tmpdir(), 'runnel-kafka-'));
  if (!detached) trackTempDir(dir);

  const nodes: NodeState[] = ports.brokers.map((port, i) => {
    const nodeDir = join(dir, `node-${i + 1}`);
    return {
      nodeId: i + 1,
      host: HOST,
      port,
      controllerPort: ports.controllers[i]!,
      logDir: join(nodeDir, 'data'),
      dir: nodeDir,
      propertiesFile: join(nodeDir, 'server.properties'),
      loggingFile: join(nodeDir, profile.logging === 'log4j2' ? 'log4j2.properties' : 'log4j.properties'),
      logFile: join(nodeDir, 'server.log'),
      child: undefined,
      exit: undefined,
      exitReason: undefined,
      logOffset: 0,
    };
  });
  const byId = new Map(nodes.map((node) => [node.nodeId, node]));
  const bootstrap = nodes.map((node) => `${node.host}:${node.port}`).join(',');
  const brokers = nodes.map(({ nodeId, host, port }) => ({ nodeId, host, port }));
  let watchdog: ChildProcess | undefined;
  let stopped = false;
  let certificates: TestCertificates | undefined;

  const spawnNode = (node: NodeState): void => {
    node.logOffset = fileSize(node.logFile);
    const out = openSync(node.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        java,
        [
          ...(options.jvmOptions ?? DEFAULT_BROKER_JVM_OPTIONS),
          JVM_MARKER,
          `-D${CLUSTER_MARKER}=${clusterId}`,
          loggingOption(profile.logging, node.loggingFile),
          '-cp',
          join(libDir, '*'),
          'kafka.Kafka',
          node.propertiesFile,
        ],
        { stdio: ['ignore', out, out], detached },
      );
    } finally {
      closeSync(out);
    }
    node.child = child;
    node.exitReason = undefined;
    node.exit = new Promise((resolve) => {
      child.once('error', (error) => {
        node.exitReason = `could not start: ${error.message}`;
        resolve(node.exitReason);
      });
      child.once('exit', (code, signal) => {
        node.exitReason = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
        resolve(node.exitReason);
      });
    });
    if (detached) child.unref();
    else trackChild(child);
  };

  const running = (node: NodeState): boolean => node.child !== undefined && node.exitReason === undefined;

  const logTail = (nodeId: number, lines = 30): string => {
    const node = byId.get(nodeId);
    return node === undefined ? '' : lastLines(readFrom(node.logFile, 0, 1 << 20), lines);
  };

  const failure = (node: NodeState, what: string): KafkaToolError =>
    new KafkaToolError(
      `Kafka ${profile.version} node ${node.nodeId} (port ${node.port}) ${what}; last log lines:\n${logTail(node.nodeId, 30)}`,
      { code: 'ERR_KAFKA_NOT_READY' },
    );

  const waitNodeReady = async (node: NodeState): Promise<void> => {
    let logged = false;
    for (;;) {
      if (!running(node)) throw failure(node, `${node.exitReason ?? 'is not running'} before it was ready`);
      if (!logged) logged = readFrom(node.logFile, node.logOffset, 1 << 24).includes(STARTED_LINE);
      if (logged && (await portAccepts(node.port, node.host))) return;
      if (Date.now() > deadlineOf()) {
        throw failure(
          node,
          `was not ready within ${readyTimeoutMs} ms (${logged ? 'port closed' : 'no start line'})`,
        );
      }
      await sleep(200);
    }
  };

  let currentDeadline = deadline;
  const deadlineOf = (): number => currentDeadline;

  /** Waits until the metadata of the running nodes lists every one of them. */
  const waitMetadata = async (): Promise<void> => {
    const live = nodes.filter(running);
    const want = live.map((node) => node.nodeId);
    const liveBootstrap = live.map((node) => `${node.host}:${node.port}`).join(',');
    let last = '';
    for (;;) {
      for (const node of live) {
        if (!running(node))
          throw failure(node, `${node.exitReason ?? 'stopped'} while the cluster was starting`);
      }
      const remaining = deadlineOf() - Date.now();
      if (remaining <= 0) {
        throw new KafkaToolError(
          `Kafka ${profile.version} cluster metadata did not list nodes ${want.join(',')} within ${readyTimeoutMs} ms\n${last}`,
          { code: 'ERR_KAFKA_NOT_READY' },
        );
      }
      try {
        const result = await runJava({
          version: profile.version,
          mainClass: profile.brokerApiVersionsClass,
          args: ['--bootstrap-server', liveBootstrap],
          timeoutMs: Math.min(remaining, 30_000),
        });
        const seen = parseBrokerIds(result.stdout);
        if (result.code === 0 && want.every((id) => seen.has(id))) return;
        last = lastLines(result.stdout + result.stderr, 10);
      } catch (error) {
        if (!(error instanceof KafkaToolError)) throw error;
        last = error.message;
      }
      await sleep(500);
    }
  };

  const stopNodeNow = async (node: NodeState): Promise<void> => {
    const child = node.child;
    if (child === undefined || node.exit === undefined) return;
    if (running(node)) {
      child.kill('SIGTERM');
      const timer = sleep(stopTimeoutMs, 'timeout' as const, { ref: false });
      if ((await Promise.race([node.exit, timer])) === 'timeout') {
        child.kill('SIGKILL');
        await node.exit;
      }
    }
    node.child = undefined;
  };

  const killAll = (): void => {
    for (const node of nodes) if (running(node)) node.child?.kill('SIGKILL');
  };

  try {
    await mkdir(dir, { recursive: true });
    if (security) certificates = await generateTestCertificates(join(dir, 'certificates'));
    for (const [i, node] of nodes.entries()) {
      await mkdir(node.logDir, { recursive: true });
      const secured =
        security && certificates
          ? securityProperties(
              node.host,
              node.port,
              node.controllerPort,
              securedPorts[i]!,
              certificates,
              security,
            )
          : {};
      await writeFile(
        node.propertiesFile,
        renderProperties(brokerProperties(profile, node, nodes, { ...secured, ...options.brokerProperties })),
      );
      await writeFile(node.loggingFile, renderLoggingConfig(profile.logging, 'stdout'));
    }
    const formatArgs = security ? scramFormatArguments(security) : [];
    await Promise.all(
      nodes.map((node) => formatNode(java, profile, libDir, toolLogging, clusterId, node, formatArgs)),
    );
    if (!detached) watchdog = startWatchdog(clusterId, dir);
    for (const node of nodes) spawnNode(node);
    await Promise.all(nodes.map(waitNodeReady));
    await waitMetadata();
  } catch (error) {
    killAll();
    await Promise.all(nodes.map((node) => node.exit));
    watchdog?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    untrackTempDir(dir);
    throw error;
  }

  const nodeOf = (nodeId: number): NodeState => {
    const node = byId.get(nodeId);
    if (node === undefined) {
      throw new KafkaToolError(
        `no node ${nodeId} in this cluster (nodes ${nodes.map((n) => n.nodeId).join(', ')})`,
      );
    }
    return node;
  };

  const securityInfo = (): KafkaSecurityInfo | undefined => {
    if (!security || !certificates) return undefined;
    const byListener = (name: SecuredListener) => securedPorts.map((p) => `${HOST}:${p[name]}`);
    const listeners = {} as Record<SecuredListener, string>;
    const bootstraps = {} as Record<SecuredListener, string>;
    for (const name of SECURED_LISTENERS) {
      listeners[name] = byListener(name)[0]!;
      bootstraps[name] = byListener(name).join(',');
    }
    const { files: _files, ...pem } = certificates;
    return {
      listeners,
      bootstrap: bootstraps,
      certificates: pem,
      plainUsers: security.plainUsers ?? DEFAULT_PLAIN_USERS,
      scramUsers: security.scramUsers ?? DEFAULT_SCRAM_USERS,
    };
  };

  return {
    bootstrap,
    brokers,
    security: securityInfo(),
    version: profile.version,
    libDir,
    clusterId,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(nodes.map(stopNodeNow));
      watchdog?.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      untrackTempDir(dir);
    },
    async stopNode(nodeId) {
      await stopNodeNow(nodeOf(nodeId));
    },
    async startNode(nodeId) {
      const node = nodeOf(nodeId);
      if (stopped) throw new KafkaToolError('this cluster was stopped; start a new one');
      if (running(node)) return;
      currentDeadline = Date.now() + readyTimeoutMs;
      spawnNode(node);
      try {
        await waitNodeReady(node);
        await waitMetadata();
      } catch (error) {
        await stopNodeNow(node);
        throw error;
      }
    },
    isRunning(nodeId) {
      return running(nodeOf(nodeId));
    },
    pid(nodeId) {
      const node = nodeOf(nodeId);
      return running(node) ? node.child?.pid : undefined;
    },
    logTail,
  };
}

/** A random KRaft cluster id; like Kafka's own, never starting with '-' so no tool reads it as an option. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function choosePorts(
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

async function formatNode(
  java: string,
  profile: KafkaVersionProfile,
  libDir: string,
  toolLogging: readonly string[],
  clusterId: string,
  node: NodeState,
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
function startWatchdog(clusterId: string, dir: string): ChildProcess | undefined {
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
