import { BOTH_PHASES, type ClientAdapter, nodeClient, type PrepareContext } from './client-adapter.js';
import { exec, lastLines } from './exec.js';
import { describeNode, type NodeRuntime } from './node-runtime.js';
import { BENCH_DIR } from './paths.js';
import {
  type Availability,
  CONFLUENT_PEER,
  ensureNativePeer,
  ensureNodePeers,
  KAFKAJS_VERSION,
  type NativePeer,
  NODE_PEERS_DIR,
  NODE_RDKAFKA_PEER,
  PLATFORMATIC_VERSION,
} from './peers.js';

/*
 * The JavaScript peers: KafkaJS, a drop-in KafkaJS replacement built on Runnel, @platformatic/kafka
 * and the two librdkafka bindings, each on the run's Node.
 */

function nodeNote(node: NodeRuntime | undefined): string {
  return node === undefined ? 'Node of the run' : describeNode(node);
}

/** A peer installed with npm into apps/bench/peers/node, run by its client program `script`. */
function npmPeerAdapter(id: string, label: string, script: string, how: string): ClientAdapter {
  let node: NodeRuntime | undefined;
  return {
    id,
    label,
    checksCrc: false,
    defaultPhases: BOTH_PHASES,
    notes: () => `${nodeNote(node)}; ${how}`,
    async prepare(context) {
      node = context.node;
      return ensureNodePeers(context.node, context.log);
    },
    ...nodeClient(
      script,
      () => node,
      () => ({ peerDir: NODE_PEERS_DIR }),
    ),
  };
}

/** KafkaJS with its eachBatch handler. */
export function kafkaJsAdapter(): ClientAdapter {
  return npmPeerAdapter(
    'kafkajs',
    `KafkaJS ${KAFKAJS_VERSION}`,
    'kafkajs.js',
    'eachBatch; lz4 and zstd through codecs registered by the client program (KafkaJS has none built in), snappy through kafkajs-snappy; no CRC check',
  );
}

/** The package that will offer KafkaJS's consumer API on top of @runnel/consumer. */
export const RUNNEL_KAFKAJS_MODULE = '@runnel/kafkajs';

/**
 * KafkaJS's own benchmark program (clients/kafkajs.ts) with only its import changed to
 * @runnel/kafkajs. It runs once that package exists and apps/bench lists it as a dependency.
 */
export function runnelKafkaJsAdapter(): ClientAdapter {
  let node: NodeRuntime | undefined;
  return {
    id: 'runnel-kafkajs',
    label: RUNNEL_KAFKAJS_MODULE,
    checksCrc: true,
    defaultPhases: BOTH_PHASES,
    notes: () => `${nodeNote(node)}; the KafkaJS client program (eachBatch) with only its import changed`,
    async prepare(context) {
      node = context.node;
      const peers = await ensureNodePeers(context.node, context.log);
      if (!peers.available) return peers;
      const probe = await exec(
        context.node.path,
        ['--input-type=module', '-e', `await import(${JSON.stringify(RUNNEL_KAFKAJS_MODULE)})`],
        { cwd: BENCH_DIR, timeoutMs: 60_000 },
      );
      if (probe.code === 0) return { available: true };
      return {
        available: false,
        reason: /ERR_MODULE_NOT_FOUND|Cannot find (package|module)/.test(probe.output)
          ? `not built yet: ${RUNNEL_KAFKAJS_MODULE} is not in this workspace (add it to apps/bench's dependencies once it exists)`
          : `${RUNNEL_KAFKAJS_MODULE} does not load: ${lastLines(probe.output, 3)}`,
      };
    },
    ...nodeClient(
      'kafkajs.js',
      () => node,
      () => ({ peerDir: NODE_PEERS_DIR, module: RUNNEL_KAFKAJS_MODULE }),
    ),
  };
}

/** @platformatic/kafka's message stream (it asks for Node >= 22.22 or >= 24.6). */
export function platformaticAdapter(): ClientAdapter {
  return npmPeerAdapter(
    'platformatic',
    `@platformatic/kafka ${PLATFORMATIC_VERSION}`,
    'platformatic.js',
    'message stream, read_uncommitted set (its default is read_committed); no CRC check',
  );
}

/**
 * A librdkafka binding, built from source for the run's Node on first use (minutes), so quick runs
 * leave it out unless `--clients` names it.
 */
function nativeAdapter(id: string, peer: NativePeer, script: string, how: string): ClientAdapter {
  let node: NodeRuntime | undefined;
  let dir: string | undefined;
  return {
    id,
    label: `${peer.name} ${peer.version}`,
    checksCrc: false,
    defaultPhases: BOTH_PHASES,
    notes: () => `${nodeNote(node)}; ${how}; librdkafka check.crcs off (its default)`,
    async prepare(context: PrepareContext): Promise<Availability> {
      node = context.node;
      if (context.quick && !context.named) {
        return {
          available: false,
          reason: 'left out of --quick runs (its first build takes minutes); name it with --clients',
        };
      }
      const built = await ensureNativePeer(peer, context.node, context.log);
      if ('reason' in built) return { available: false, reason: built.reason };
      dir = built.dir;
      return { available: true };
    },
    ...nodeClient(
      script,
      () => node,
      () => ({ ...(dir === undefined ? {} : { peerDir: dir }) }),
    ),
  };
}

/** node-rdkafka, `consume(10000)` batches. */
export function rdkafkaAdapter(): ClientAdapter {
  return nativeAdapter('node-rdkafka', NODE_RDKAFKA_PEER, 'rdkafka.js', 'consume(10000) batches');
}

/**
 * @confluentinc/kafka-javascript, the other librdkafka binding users pick. Its build links the
 * system's zlib, OpenSSL and zstd (CKJS_LINKING=dynamic); against Debian's own librdkafka-dev 2.0.2
 * (BUILD_LIBRDKAFKA=0) it does not compile, as it needs librdkafka APIs of 2.4 and later.
 */
export function confluentAdapter(): ClientAdapter {
  return nativeAdapter(
    'confluent-kafka-javascript',
    CONFLUENT_PEER,
    'confluent.js',
    'KafkaJS-compatible API, eachBatch with js.consumer.max.batch.size -1 (all fetched messages)',
  );
}
