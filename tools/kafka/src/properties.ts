import type { KafkaVersionProfile } from './versions.js';

/** A value of a `.properties` entry; numbers and booleans are written as Java reads them. */
export type PropertyValue = string | number | bigint | boolean;

/** Broker configuration, as `server.properties` keys and values. */
export type BrokerProperties = Readonly<Record<string, PropertyValue>>;

function escapeText(text: string, isKey: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const code = text.charCodeAt(i);
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\f') out += '\\f';
    // A key ends at the first unescaped separator; a value only loses its leading blanks.
    else if (ch === ' ' && (isKey || i === 0)) out += '\\ ';
    else if (isKey && (ch === '=' || ch === ':')) out += `\\${ch}`;
    else if ((ch === '#' || ch === '!') && i === 0) out += `\\${ch}`;
    // Properties.load reads ISO-8859-1: anything outside printable ASCII travels as \uXXXX.
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/**
 * Renders entries in Java's `.properties` format, one `key=value` per line in the given order, with
 * the escapes `java.util.Properties.load` undoes (backslashes, separators in keys, leading blanks,
 * control and non-ASCII characters).
 *
 * @returns the file content, ending in a newline.
 */
export function renderProperties(entries: Readonly<Record<string, PropertyValue>>): string {
  return Object.entries(entries)
    .map(([key, value]) => `${escapeText(key, true)}=${escapeText(String(value), false)}\n`)
    .join('');
}

/** What one node of a local cluster needs to know to write its `server.properties`. */
export interface NodeLayout {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly logDir: string;
}

/**
 * Returns the `server.properties` entries of one KRaft node in combined (broker + controller) mode,
 * with defaults that suit tests (no initial rebalance delay, low session-timeout minimums, internal
 * topics replicated to every node), then `overrides` on top.
 *
 * @param all every node of the cluster (for `controller.quorum.voters`), including `node`.
 */
export function brokerProperties(
  profile: KafkaVersionProfile,
  node: NodeLayout,
  all: readonly NodeLayout[],
  overrides: BrokerProperties = {},
): Record<string, PropertyValue> {
  const replicas = all.length;
  const minIsr = replicas >= 3 ? 2 : 1;
  const props: Record<string, PropertyValue> = {
    'process.roles': 'broker,controller',
    'node.id': node.nodeId,
    'controller.quorum.voters': all.map((n) => `${n.nodeId}@${n.host}:${n.controllerPort}`).join(','),
    listeners: `PLAINTEXT://${node.host}:${node.port},CONTROLLER://${node.host}:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${node.host}:${node.port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': node.logDir,
    'num.partitions': 1,
    'offsets.topic.replication.factor': replicas,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': minIsr,
    'transaction.state.log.num.partitions': 1,
    'group.initial.rebalance.delay.ms': 0,
    'group.min.session.timeout.ms': 1000,
    'group.consumer.min.session.timeout.ms': 1000,
    'group.consumer.min.heartbeat.interval.ms': 100,
  };
  if (profile.major >= 4) {
    props['share.coordinator.state.topic.replication.factor'] = replicas;
    props['share.coordinator.state.topic.min.isr'] = minIsr;
    // Share groups (KIP-932): only the lower bounds move, so that a test's group may set short record
    // locks, heartbeats and sessions through its group configs (share.*); every group still gets Kafka's
    // defaults, and consumer groups are untouched.
    props['group.share.min.record.lock.duration.ms'] = 1000;
    props['group.share.min.heartbeat.interval.ms'] = 100;
    props['group.share.min.session.timeout.ms'] = 1000;
  } else {
    // In 3.9 the KIP-848 consumer protocol is off unless listed here; 4.x enables it by default.
    props['group.coordinator.rebalance.protocols'] = 'classic,consumer';
  }
  return { ...props, ...overrides };
}

/** Where the entries of one node's `server.properties` come from, besides the defaults. */
export interface NodeOverrides {
  /** The node's listeners (security, external listener), if any. */
  readonly listeners?: BrokerProperties;
  /** Entries for every node. */
  readonly brokerProperties?: BrokerProperties;
  /** Entries of one node. */
  readonly nodeProperties?: (nodeId: number) => BrokerProperties;
}

/**
 * @returns the entries node `nodeId` gets on top of the defaults: its listeners, then the entries for
 *   every node, then its own; a later source replaces an entry of an earlier one.
 */
export function nodeOverrides(nodeId: number, sources: NodeOverrides): BrokerProperties {
  return {
    ...sources.listeners,
    ...sources.brokerProperties,
    ...sources.nodeProperties?.(nodeId),
  };
}
