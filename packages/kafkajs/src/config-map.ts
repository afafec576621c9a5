/**
 * KafkaJS's client and consumer options as @runnel/consumer's configuration, with KafkaJS's defaults
 * where they differ from Runnel's (session 30 s, rebalance 60 s, long poll 5 s, 10 MiB per fetch).
 */
import type { ConsumerConfig as RunnelConfig, SaslOptions, TlsOptions } from '@runnel/consumer';
import { KafkaJSNonRetriableError, KafkaJSNotImplemented } from './errors.js';
import type { ConsumerConfig, KafkaConfig, SASLOptions } from './types.js';

/** KafkaJS's defaults for the options it names differently. */
const KAFKAJS_DEFAULTS = {
  sessionTimeout: 30_000,
  rebalanceTimeout: 60_000,
  heartbeatInterval: 3_000,
  maxBytesPerPartition: 1_048_576,
  minBytes: 1,
  maxBytes: 10_485_760,
  maxWaitTimeInMs: 5_000,
  requestTimeout: 30_000,
} as const;

/**
 * @returns the SASL options in Runnel's form.
 * @throws KafkaJSNotImplemented for AWS IAM.
 */
function saslOf(sasl: SASLOptions): SaslOptions {
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'PLAIN', username: sasl.username, password: sasl.password };
    case 'scram-sha-256':
      return { mechanism: 'SCRAM-SHA-256', username: sasl.username, password: sasl.password };
    case 'scram-sha-512':
      return { mechanism: 'SCRAM-SHA-512', username: sasl.username, password: sasl.password };
    case 'oauthbearer': {
      const provider = sasl.oauthBearerProvider;
      return { mechanism: 'OAUTHBEARER', tokenProvider: async () => ({ token: (await provider()).value }) };
    }
    default:
      throw new KafkaJSNotImplemented(
        `SASL mechanism ${String(sasl.mechanism)} is not supported by @runnel/kafkajs`,
      );
  }
}

/** @returns Node's TLS options (as KafkaJS takes them) in Runnel's form: CA, certificate, key and checks. */
function tlsOf(ssl: NonNullable<KafkaConfig['ssl']>): true | TlsOptions {
  if (ssl === true) return true;
  if (ssl === false) throw new KafkaJSNonRetriableError('ssl: false means no TLS; leave it out');
  const pems = (value: unknown) =>
    (Array.isArray(value) ? value : [value]).map((v) =>
      typeof v === 'string' ? v : new Uint8Array(v as Buffer),
    );
  const tls: { -readonly [K in keyof TlsOptions]: TlsOptions[K] } = {};
  if (ssl.ca !== undefined) tls.ca = pems(ssl.ca);
  if (ssl.cert !== undefined) tls.cert = pems(ssl.cert);
  if (ssl.key !== undefined) tls.key = pems(ssl.key)[0]!;
  if (ssl.passphrase !== undefined) tls.passphrase = ssl.passphrase;
  if (ssl.servername !== undefined) tls.servername = ssl.servername;
  if (ssl.rejectUnauthorized !== undefined) tls.rejectUnauthorized = ssl.rejectUnauthorized;
  return tls;
}

/**
 * @param brokers the broker list, already resolved when KafkaJS was given a function.
 * @param fromBeginning where partitions without a committed offset start (`subscribe`'s option).
 * @returns the Runnel consumer configuration; commits are the adapter's own (KafkaJS's resolved
 *   offsets), so Runnel's auto-commit is off.
 * @throws KafkaJSNonRetriableError without `groupId`; KafkaJSNotImplemented for AWS IAM.
 */
export function runnelConfigOf(
  client: KafkaConfig,
  consumer: ConsumerConfig,
  brokers: readonly string[],
  fromBeginning: boolean,
  logger: RunnelConfig['logger'],
): RunnelConfig {
  if (typeof consumer.groupId !== 'string' || consumer.groupId === '') {
    throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string');
  }
  const d = KAFKAJS_DEFAULTS;
  const config: RunnelConfig = {
    brokers: [...brokers],
    clientId: client.clientId ?? 'kafkajs',
    groupId: consumer.groupId,
    autoCommit: false,
    autoOffsetReset: fromBeginning ? 'earliest' : 'latest',
    isolationLevel: consumer.readUncommitted ? 'read_uncommitted' : 'read_committed',
    sessionTimeoutMs: consumer.sessionTimeout ?? d.sessionTimeout,
    rebalanceTimeoutMs: consumer.rebalanceTimeout ?? d.rebalanceTimeout,
    heartbeatIntervalMs: consumer.heartbeatInterval ?? d.heartbeatInterval,
    maxPartitionFetchBytes: consumer.maxBytesPerPartition ?? d.maxBytesPerPartition,
    fetchMinBytes: consumer.minBytes ?? d.minBytes,
    fetchMaxBytes: consumer.maxBytes ?? d.maxBytes,
    fetchMaxWaitMs: consumer.maxWaitTimeInMs ?? d.maxWaitTimeInMs,
    requestTimeoutMs: client.requestTimeout ?? d.requestTimeout,
    ...(consumer.metadataMaxAge === undefined ? {} : { metadataMaxAgeMs: consumer.metadataMaxAge }),
    ...(consumer.rackId === undefined ? {} : { rack: consumer.rackId }),
    ...(client.ssl === undefined || client.ssl === false ? {} : { tls: tlsOf(client.ssl) }),
    ...(client.sasl === undefined ? {} : { sasl: saslOf(client.sasl) }),
    ...(logger ? { logger } : {}),
  };
  return config;
}
