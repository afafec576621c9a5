import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLUSTER_MARKER, choosePorts, formatNode, newClusterId, startWatchdog } from './cluster-setup.js';
import type { KafkaCluster, StartKafkaOptions } from './cluster-types.js';
import { KafkaToolError } from './errors.js';
import { lastLines } from './exec.js';
import { externalListenerProperties } from './external-listener.js';
import { ensureKafkaJars } from './jars.js';
import { JVM_MARKER, requireJdkProgram, runJava } from './java.js';
import { fileSize, readFrom } from './log-files.js';
import { loggingOption, renderLoggingConfig, toolLoggingOptions } from './logging.js';
import { pickFreePorts, portAccepts } from './ports.js';
import { trackChild, trackTempDir, untrackTempDir } from './processes.js';
import { brokerProperties, type NodeLayout, nodeOverrides, renderProperties } from './properties.js';
import {
  DEFAULT_PLAIN_USERS,
  DEFAULT_SCRAM_USERS,
  generateTestCertificates,
  type KafkaSecurityInfo,
  SECURED_LISTENERS,
  type SecuredListener,
  type SecuredPorts,
  scramFormatArguments,
  securityProperties,
  type TestCertificates,
} from './security.js';
import { kafkaVersionProfile, resolveKafkaVersion } from './versions.js';

export type { KafkaBroker, KafkaCluster, KafkaClusterInfo, StartKafkaOptions } from './cluster-types.js';

export const DEFAULT_BROKER_JVM_OPTIONS: readonly string[] = ['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC'];
const HOST = '127.0.0.1';
const STARTED_LINE = 'Kafka Server started';

interface NodeState extends NodeLayout {
  readonly dir: string;
  readonly propertiesFile: string;
  readonly loggingFile: string;
  readonly logFile: string;
  child: ChildProcess | undefined;
  paused: boolean;
  exit: Promise<string> | undefined;
  exitReason: string | undefined;
  logOffset: number;
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
  const external = options.externalListener;
  if (external !== undefined) {
    if (security) throw new KafkaToolError('externalListener and security cannot be combined');
    if (external.advertisedPorts.length !== nodeCount) {
      throw new KafkaToolError(
        `externalListener.advertisedPorts needs ${nodeCount} ports (one per node), got ${external.advertisedPorts.length}`,
      );
    }
  }
  const externalPorts =
    external === undefined
      ? []
      : (await pickFreePorts(nodeCount * 3, HOST))
          .filter((p) => !ports.brokers.includes(p) && !ports.controllers.includes(p))
          .slice(0, nodeCount);
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
      paused: false,
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
    node.paused = false;
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
      `Kafka ${profile.version} node ${node.nodeId} (port ${node.port}) ${what}; last log lines:\n${logTail(node.nodeId, 30) || `(none: ${node.logFile} holds ${fileSize(node.logFile)} bytes)`}`,
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

  /**
   * Waits for a node's first start, starting its JVM once more if it exits before it is ready. A CI
   * run once saw a broker exit with code 1 and an empty log at start while another suite started its
   * own brokers beside it (cause not found); a test should not fail on that, but a second exit, or any
   * exit of a node restarted by `startNode`, is the error.
   */
  const waitFirstStart = async (node: NodeState): Promise<void> => {
    try {
      await waitNodeReady(node);
    } catch (error) {
      if (running(node) || Date.now() > deadlineOf()) throw error;
      process.stderr.write(`${(error as Error).message}\nstarting node ${node.nodeId} once more\n`);
      spawnNode(node);
      await waitNodeReady(node);
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

  const stopNodeNow = async (node: NodeState, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    const child = node.child;
    if (child === undefined || node.exit === undefined) return;
    if (running(node)) {
      // A frozen JVM would hold SIGTERM until it runs again: let it run first.
      if (node.paused) child.kill('SIGCONT');
      node.paused = false;
      child.kill(signal);
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
      const listenerProps =
        external !== undefined
          ? externalListenerProperties(node.host, node.port, node.controllerPort, externalPorts[i]!, {
              host: external.advertisedHost ?? HOST,
              port: external.advertisedPorts[i]!,
            })
          : security && certificates
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
        renderProperties(
          brokerProperties(
            profile,
            node,
            nodes,
            nodeOverrides(node.nodeId, { ...options, listeners: listenerProps }),
          ),
        ),
      );
      await writeFile(node.loggingFile, renderLoggingConfig(profile.logging, 'stdout'));
    }
    const formatArgs = security ? scramFormatArguments(security) : [];
    await Promise.all(
      nodes.map((node) => formatNode(java, profile, libDir, toolLogging, clusterId, node, formatArgs)),
    );
    if (!detached) watchdog = startWatchdog(clusterId, dir);
    for (const node of nodes) spawnNode(node);
    await Promise.all(nodes.map(waitFirstStart));
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
    external:
      external === undefined
        ? undefined
        : nodes.map((node, i) => ({ nodeId: node.nodeId, host: HOST, port: externalPorts[i]! })),
    version: profile.version,
    libDir,
    clusterId,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(nodes.map((node) => stopNodeNow(node)));
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
    async killNode(nodeId) {
      await stopNodeNow(nodeOf(nodeId), 'SIGKILL');
    },
    pauseNode(nodeId) {
      const node = nodeOf(nodeId);
      if (!running(node)) throw new KafkaToolError(`node ${nodeId} is not running, so it cannot be paused`);
      node.child?.kill('SIGSTOP');
      node.paused = true;
    },
    resumeNode(nodeId) {
      const node = nodeOf(nodeId);
      if (running(node) && node.paused) node.child?.kill('SIGCONT');
      node.paused = false;
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
