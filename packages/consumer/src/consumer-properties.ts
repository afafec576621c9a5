/**
 * Java consumer properties (a `.properties` file written for Kafka's own tools: `--consumer.config`,
 * `--command-config`) read into a Runnel `ConsumerConfig`. Only keys with a Runnel meaning are taken;
 * any other key is refused rather than silently ignored, so a file written for a Java tool either
 * means the same here or fails loudly.
 */
import {
  CooperativeStickyAssignor,
  type PartitionAssignor,
  RangeAssignor,
  RoundRobinAssignor,
  StickyAssignor,
} from '@runnel/assignors';
import type { SaslOptions, TlsOptions } from '@runnel/network';
import { type AutoOffsetReset, type ConsumerConfig, type IsolationLevel, resolveConfig } from './config.js';
import { ConfigError } from './errors.js';

/** Java's assignor class names, as `partition.assignment.strategy` and `--assignment-strategy` take them. */
const ASSIGNORS: Readonly<Record<string, () => PartitionAssignor>> = {
  'org.apache.kafka.clients.consumer.RangeAssignor': () => new RangeAssignor(),
  'org.apache.kafka.clients.consumer.RoundRobinAssignor': () => new RoundRobinAssignor(),
  'org.apache.kafka.clients.consumer.StickyAssignor': () => new StickyAssignor(),
  'org.apache.kafka.clients.consumer.CooperativeStickyAssignor': () => new CooperativeStickyAssignor(),
};

/** Reads a file named by a property (a PEM truststore, say). */
export type ReadTextFile = (path: string) => string;

const STRING_KEYS = {
  'bootstrap.servers': 'brokers',
  'group.id': 'groupId',
  'group.instance.id': 'groupInstanceId',
  'client.id': 'clientId',
  'client.rack': 'rack',
  'group.remote.assignor': 'groupRemoteAssignor',
} as const satisfies Record<string, keyof ConsumerConfig>;

const INT_KEYS = {
  'session.timeout.ms': 'sessionTimeoutMs',
  'heartbeat.interval.ms': 'heartbeatIntervalMs',
  'max.poll.interval.ms': 'maxPollIntervalMs',
  'fetch.min.bytes': 'fetchMinBytes',
  'fetch.max.bytes': 'fetchMaxBytes',
  'fetch.max.wait.ms': 'fetchMaxWaitMs',
  'max.partition.fetch.bytes': 'maxPartitionFetchBytes',
  'max.poll.records': 'maxPollRecords',
  'request.timeout.ms': 'requestTimeoutMs',
  'default.api.timeout.ms': 'defaultApiTimeoutMs',
  'retry.backoff.ms': 'retryBackoffMs',
  'metadata.max.age.ms': 'metadataMaxAgeMs',
} as const satisfies Record<string, keyof ConsumerConfig>;

/** The keys the Java consumer refuses under each group protocol (its ConsumerConfig checks). */
const CONSUMER_PROTOCOL_UNSUPPORTED = [
  'partition.assignment.strategy',
  'heartbeat.interval.ms',
  'session.timeout.ms',
] as const;
const CLASSIC_PROTOCOL_UNSUPPORTED = ['group.remote.assignor'] as const;

const OTHER_KEYS = [
  'group.protocol',
  'partition.assignment.strategy',
  'auto.offset.reset',
  'enable.auto.commit',
  'auto.commit.interval.ms',
  'isolation.level',
  'check.crcs',
  'security.protocol',
  'sasl.mechanism',
  'sasl.jaas.config',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.certificates',
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.certificate.chain',
  'ssl.keystore.key',
  'ssl.key.password',
  'ssl.endpoint.identification.algorithm',
] as const;

/** Every property key this module maps, sorted. */
export const SUPPORTED_PROPERTY_KEYS: readonly string[] = [
  ...Object.keys(STRING_KEYS),
  ...Object.keys(INT_KEYS),
  ...OTHER_KEYS,
].sort();

const SUPPORTED = new Set(SUPPORTED_PROPERTY_KEYS);

function choice<T extends string>(key: string, value: string, values: readonly T[]): T {
  // Java reads these enumerations without regard to case.
  const found = values.find((v) => v.toLowerCase() === value.trim().toLowerCase());
  if (found === undefined) {
    throw new ConfigError(key, `must be one of ${values.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return found;
}

function int32(key: string, value: string): number {
  const text = value.trim();
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || n < -0x8000_0000 || n > 0x7fff_ffff) {
    throw new ConfigError(key, `must be a 32-bit integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

function bool(key: string, value: string): boolean {
  const text = value.trim().toLowerCase();
  if (text !== 'true' && text !== 'false') {
    throw new ConfigError(key, `must be true or false, got ${JSON.stringify(value)}`);
  }
  return text === 'true';
}

function nonEmpty(key: string, value: string): string {
  if (value.trim() === '') throw new ConfigError(key, 'must not be empty');
  return value.trim();
}

/**
 * Reads the `sasl.jaas.config` of PLAIN or SCRAM: `<LoginModule> required username="u" password="p";`.
 * @returns the username and password.
 * @throws ConfigError when the login module does not fit `mechanism` or an option is missing or malformed.
 */
function jaasCredentials(mechanism: string, jaas: string): { username: string; password: string } {
  const key = 'sasl.jaas.config';
  const match = /^\s*([\w.$]+)\s+required\b(.*?);?\s*$/s.exec(jaas);
  if (match === null) {
    throw new ConfigError(key, 'must read `<LoginModule> required username="..." password="...";`');
  }
  const module = match[1]!;
  const expected =
    mechanism === 'PLAIN'
      ? 'org.apache.kafka.common.security.plain.PlainLoginModule'
      : 'org.apache.kafka.common.security.scram.ScramLoginModule';
  if (module !== expected) throw new ConfigError(key, `${mechanism} needs ${expected}, got ${module}`);
  const options = new Map<string, string>();
  const rest = match[2]!.trim();
  const option = /([\w.]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s";]+))\s*/gy;
  let consumed = 0;
  for (const m of rest.matchAll(option)) {
    options.set(m[1]!, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
    consumed = m.index + m[0].length;
  }
  if (consumed !== rest.length) {
    throw new ConfigError(key, `cannot read the options ${JSON.stringify(rest.slice(consumed))}`);
  }
  const username = options.get('username');
  const password = options.get('password');
  if (!username || password === undefined) throw new ConfigError(key, 'needs username and password');
  return { username, password };
}

function saslOf(props: ReadonlyMap<string, string>): SaslOptions {
  const mechanism = choice('sasl.mechanism', props.get('sasl.mechanism') ?? 'GSSAPI', [
    'PLAIN',
    'SCRAM-SHA-256',
    'SCRAM-SHA-512',
  ] as const);
  const jaas = props.get('sasl.jaas.config');
  if (jaas === undefined) throw new ConfigError('sasl.jaas.config', `is required for ${mechanism}`);
  return { mechanism, ...jaasCredentials(mechanism, jaas) };
}

/** PEM text from an inline property or a file named by another, where the store's type is PEM. */
function pem(
  props: ReadonlyMap<string, string>,
  typeKey: string,
  inlineKey: string,
  locationKey: string,
  readFile: ReadTextFile,
): string | undefined {
  const inline = props.get(inlineKey);
  const location = props.get(locationKey);
  if (inline === undefined && location === undefined) return undefined;
  // Node reads PEM only: a JKS or PKCS12 store would need converting first.
  choice(typeKey, props.get(typeKey) ?? 'JKS', ['PEM'] as const);
  if (inline !== undefined && location !== undefined) {
    throw new ConfigError(inlineKey, `and ${locationKey} are mutually exclusive`);
  }
  if (inline !== undefined) return inline;
  try {
    return readFile(nonEmpty(locationKey, location!));
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw new ConfigError(locationKey, `cannot be read: ${(cause as Error).message}`);
  }
}

function tlsOf(props: ReadonlyMap<string, string>, readFile: ReadTextFile): TlsOptions {
  const tls: TlsOptions = {};
  const ca = pem(
    props,
    'ssl.truststore.type',
    'ssl.truststore.certificates',
    'ssl.truststore.location',
    readFile,
  );
  if (ca !== undefined) tls.ca = ca;
  // A PEM keystore file holds the private key and the certificate chain together, which Node's
  // `key` and `cert` each pick out of it.
  const chain = props.get('ssl.keystore.certificate.chain');
  const key = props.get('ssl.keystore.key');
  if ((chain === undefined) !== (key === undefined)) {
    throw new ConfigError('ssl.keystore.key', 'and ssl.keystore.certificate.chain go together');
  }
  const store =
    chain !== undefined
      ? undefined
      : pem(props, 'ssl.keystore.type', 'ssl.keystore.certificate.chain', 'ssl.keystore.location', readFile);
  if (chain !== undefined && key !== undefined) {
    choice('ssl.keystore.type', props.get('ssl.keystore.type') ?? 'JKS', ['PEM'] as const);
    if (props.has('ssl.keystore.location')) {
      throw new ConfigError('ssl.keystore.location', 'and ssl.keystore.key are mutually exclusive');
    }
    tls.cert = chain;
    tls.key = key;
  } else if (store !== undefined) {
    tls.cert = store;
    tls.key = store;
  }
  const password = props.get('ssl.key.password');
  if (password !== undefined) tls.passphrase = password;
  const identification = props.get('ssl.endpoint.identification.algorithm')?.trim();
  // Java's empty value turns host name checks off; `https` (its default) keeps them.
  if (identification === '') tls.checkServerIdentity = () => undefined;
  else if (identification !== undefined && identification.toLowerCase() !== 'https') {
    throw new ConfigError(
      'ssl.endpoint.identification.algorithm',
      `must be https or empty, got ${JSON.stringify(identification)}`,
    );
  }
  return tls;
}

/**
 * Maps Java consumer properties to a Runnel `ConsumerConfig`: `bootstrap.servers` (required),
 * `group.id`, `group.instance.id`, `client.id`, `client.rack`, `group.protocol`,
 * `group.remote.assignor`, `partition.assignment.strategy` (Java's assignor class names),
 * `session.timeout.ms`, `heartbeat.interval.ms`, `max.poll.interval.ms`, `auto.offset.reset`,
 * `enable.auto.commit`, `auto.commit.interval.ms`, `isolation.level`, `check.crcs`, the fetch sizes and
 * waits, `request.timeout.ms`, `default.api.timeout.ms`, `retry.backoff.ms`, `metadata.max.age.ms`,
 * and `security.protocol` with PLAIN/SCRAM `sasl.mechanism` + `sasl.jaas.config` and PEM `ssl.*`
 * stores. As in Java, `group.protocol=consumer` refuses `session.timeout.ms`, `heartbeat.interval.ms`
 * and `partition.assignment.strategy` (the broker sets them), and `classic` refuses
 * `group.remote.assignor`. Range checks across options (heartbeat below session, say) are the
 * consumer's own, made when it is built.
 * @param readFile reads the PEM files named by `ssl.truststore.location` and `ssl.keystore.location`.
 * @returns the consumer configuration the properties describe.
 * @throws ConfigError naming the property that is unknown, missing, malformed or not allowed with the
 *   group protocol.
 */
export function consumerConfigFromProperties(
  props: ReadonlyMap<string, string>,
  readFile: ReadTextFile,
): ConsumerConfig {
  for (const key of props.keys()) {
    if (!SUPPORTED.has(key)) {
      throw new ConfigError(
        key,
        'is not a consumer property this tool maps; it takes only ' + SUPPORTED_PROPERTY_KEYS.join(', '),
      );
    }
  }
  const brokers = props.get('bootstrap.servers');
  if (brokers === undefined) throw new ConfigError('bootstrap.servers', 'is required');
  const config: ConsumerConfig = { brokers: nonEmpty('bootstrap.servers', brokers) };
  const c = config as unknown as Record<string, unknown>;
  for (const [key, option] of Object.entries(STRING_KEYS)) {
    const value = props.get(key);
    if (value !== undefined && key !== 'bootstrap.servers') c[option] = nonEmpty(key, value);
  }
  for (const [key, option] of Object.entries(INT_KEYS)) {
    const value = props.get(key);
    if (value !== undefined) c[option] = int32(key, value);
  }

  const protocolText = props.get('group.protocol');
  const groupProtocol =
    protocolText === undefined
      ? 'classic'
      : choice('group.protocol', protocolText, ['classic', 'consumer'] as const);
  if (protocolText !== undefined) config.groupProtocol = groupProtocol;
  const refused = groupProtocol === 'consumer' ? CONSUMER_PROTOCOL_UNSUPPORTED : CLASSIC_PROTOCOL_UNSUPPORTED;
  for (const key of refused) {
    if (props.has(key)) {
      throw new ConfigError(key, `cannot be set when group.protocol=${groupProtocol.toUpperCase()}`);
    }
  }
  const strategy = props.get('partition.assignment.strategy');
  if (strategy !== undefined) {
    const names = strategy
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    if (names.length === 0) throw new ConfigError('partition.assignment.strategy', 'must not be empty');
    config.assignors = names.map((name) => {
      const make = ASSIGNORS[name];
      if (make === undefined) {
        throw new ConfigError(
          'partition.assignment.strategy',
          `${JSON.stringify(name)} is not one of ${Object.keys(ASSIGNORS).join(', ')}`,
        );
      }
      return make();
    });
  }

  const reset = props.get('auto.offset.reset');
  if (reset !== undefined) {
    config.autoOffsetReset = choice<AutoOffsetReset>('auto.offset.reset', reset, [
      'earliest',
      'latest',
      'none',
    ]);
  }
  const autoCommit = props.get('enable.auto.commit');
  const interval = props.get('auto.commit.interval.ms');
  const enabled = autoCommit === undefined ? true : bool('enable.auto.commit', autoCommit);
  if (interval !== undefined) {
    if (!enabled) throw new ConfigError('auto.commit.interval.ms', 'needs enable.auto.commit=true');
    config.autoCommit = { intervalMs: int32('auto.commit.interval.ms', interval) };
  } else if (autoCommit !== undefined) {
    config.autoCommit = enabled;
  }
  const isolation = props.get('isolation.level');
  if (isolation !== undefined) {
    config.isolationLevel = choice<IsolationLevel>('isolation.level', isolation, [
      'read_committed',
      'read_uncommitted',
    ]);
  }
  const crcs = props.get('check.crcs');
  if (crcs !== undefined) config.checkCrcs = bool('check.crcs', crcs);

  const security = choice('security.protocol', props.get('security.protocol') ?? 'PLAINTEXT', [
    'PLAINTEXT',
    'SSL',
    'SASL_PLAINTEXT',
    'SASL_SSL',
  ] as const);
  const usesSasl = security.startsWith('SASL_');
  const usesTls = security.endsWith('SSL');
  for (const key of props.keys()) {
    if ((key.startsWith('sasl.') && !usesSasl) || (key.startsWith('ssl.') && !usesTls)) {
      throw new ConfigError(key, `has no effect with security.protocol=${security}`);
    }
  }
  if (usesSasl) config.sasl = saslOf(props);
  if (usesTls) config.tls = tlsOf(props, readFile);
  checkAsConsumer(config);
  return config;
}

/** The property each consumer option comes from, to name it when the consumer refuses a value. */
const PROPERTY_OF: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    Object.entries({ ...STRING_KEYS, ...INT_KEYS }).map(([key, option]) => [option, key]),
  ),
  autoCommit: 'auto.commit.interval.ms',
};

/**
 * Runs the consumer's own checks (ranges, options that go together) now, so a refused value is named
 * by its property. @throws ConfigError naming the property, or the option when no property maps to it.
 */
function checkAsConsumer(config: ConsumerConfig): void {
  try {
    resolveConfig(config);
  } catch (error) {
    const key = error instanceof ConfigError ? PROPERTY_OF[error.key] : undefined;
    if (key === undefined) throw error;
    const reason = (error as ConfigError).message.slice((error as ConfigError).key.length + 2);
    throw new ConfigError(key, reason);
  }
}
