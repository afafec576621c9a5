/** The `tls` and `sasl` options: checked, and copied with every secret wrapped in a `Secret`. */
import { type SaslOptions, Secret, type TlsOptions } from '@runnel/network';
import type { ConsumerConfig } from './config.js';
import { describe, isPlainObject } from './config-checks.js';
import type { Deserializer } from './deserializers.js';
import { ConfigError } from './errors.js';

/** `security.protocol`, as Kafka names the four combinations of TLS and SASL. */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

/**
 * The checked `tls` and `sasl` options, kept apart from the resolved configuration so that no object a
 * user can inspect (the consumer's `config`) holds a key or password; the consumer hands them to its client.
 */
export interface SecurityConfig {
  readonly tls: TlsOptions | undefined;
  readonly sasl: SaslOptions | undefined;
}

const TLS_KEYS = new Set<string>([
  'ca',
  'cert',
  'key',
  'passphrase',
  'servername',
  'rejectUnauthorized',
  'checkServerIdentity',
  'minVersion',
]);

const SASL_MECHANISM_NAMES = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;

function tlsOf(value: unknown): TlsOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (!isPlainObject(value))
    throw new ConfigError('tls', `must be a boolean or TLS options, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (!TLS_KEYS.has(key)) throw new ConfigError('tls', `${key} is not a TLS option`);
  }
  if ((value.cert === undefined) !== (value.key === undefined)) {
    throw new ConfigError('tls', 'cert and key go together (mutual TLS needs both)');
  }
  const options = { ...value } as TlsOptions;
  // Wrapped at once, so that the copy handed on shows `[redacted]` wherever it is inspected.
  if (options.key !== undefined) options.key = Secret.from(options.key);
  if (options.passphrase !== undefined) options.passphrase = Secret.from(options.passphrase);
  return options;
}

function saslOf(value: unknown): SaslOptions | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw new ConfigError('sasl', `must be SASL options, got ${describe(value)}`);
  const { mechanism } = value;
  if (isPlainObject(mechanism)) {
    if (typeof mechanism.name !== 'string' || typeof mechanism.start !== 'function') {
      throw new ConfigError('sasl', 'a custom mechanism needs a name and a start function');
    }
    return value as SaslOptions;
  }
  if (typeof mechanism !== 'string' || !(SASL_MECHANISM_NAMES as readonly string[]).includes(mechanism)) {
    throw new ConfigError(
      'sasl',
      `mechanism must be one of ${SASL_MECHANISM_NAMES.join(', ')} or a SaslMechanism, got ${describe(mechanism)}`,
    );
  }
  if (mechanism === 'OAUTHBEARER') {
    if (typeof value.tokenProvider !== 'function') {
      throw new ConfigError('sasl', 'OAUTHBEARER needs a tokenProvider function');
    }
    return value as SaslOptions;
  }
  if (typeof value.username !== 'string' || value.username === '') {
    throw new ConfigError('sasl', `${mechanism} needs a non-empty username`);
  }
  const password = value.password;
  if (typeof password !== 'string' && !(password instanceof Secret)) {
    // The value is not described: it may be a mistyped secret.
    throw new ConfigError('sasl', `${mechanism} needs a password (a string or a Secret)`);
  }
  return { ...value, password: Secret.from(password) } as SaslOptions;
}

/** @returns the SASL mechanism's name (`sasl.mechanism`). */
export function mechanismName(sasl: SaslOptions): string {
  return typeof sasl.mechanism === 'string' ? sasl.mechanism : sasl.mechanism.name;
}

/**
 * Checks the `tls` and `sasl` options and copies them with every password and private key wrapped in
 * a `Secret`.
 * @returns the options to hand to the `ClusterClient`; `undefined` for an option not set (or `tls: false`).
 * @throws ConfigError naming `tls` or `sasl` when the option is malformed.
 */
export function resolveSecurity(input: Partial<ConsumerConfig<Deserializer, Deserializer>>): SecurityConfig {
  const c = input as unknown as Record<string, unknown>;
  return { tls: tlsOf(c.tls), sasl: saslOf(c.sasl) };
}
