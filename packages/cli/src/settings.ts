/**
 * The connection options every command shares (`--brokers`, `--config`, the TLS and SASL flags,
 * `--timeout`, `--debug`), read into one consumer configuration. The `--config` file is a Java client
 * properties file, mapped by @runnel/consumer's `consumerConfigFromProperties`; flags replace what it says.
 */
import {
  ConfigError,
  type ConsumerConfig,
  consumerConfigFromProperties,
  parseProperties,
  type SaslOptions,
  type TlsOptions,
} from '@runnel/consumer';
import { UsageError } from './errors.js';
import type { Io } from './io.js';
import { parseCount } from './positions.js';

/** The shared options as commander hands them over (each a string or a switch). */
export interface CommonOptions {
  brokers?: string;
  config?: string;
  timeout?: string;
  debug?: boolean;
  tls?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  saslMechanism?: string;
  saslUsername?: string;
  saslPassword?: string;
}

/** What the commands connect with. */
export interface Settings {
  /** Brokers, security and whatever else `--config` sets; commands add their own options. */
  readonly config: ConsumerConfig;
  /** `--timeout`: the longest any exchange with the brokers may take before the command gives up. */
  readonly timeoutMs: number;
  readonly debug: boolean;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/**
 * Reads the shared options. Brokers come from `--brokers`, else `bootstrap.servers` in `--config`, else
 * `KAFKA_BROKERS`. The TLS flags add to (and replace parts of) the file's `ssl.*` settings; the SASL
 * flags replace its SASL settings as a whole. The SASL password may come from `KAFKA_SASL_PASSWORD`,
 * which keeps it out of the process list.
 * @returns the settings.
 * @throws UsageError naming the flag that is wrong or missing; ConfigError naming the property of
 *   `--config` that is (its message starts with the file's name).
 */
export function resolveSettings(options: CommonOptions, io: Io): Settings {
  const timeoutMs =
    options.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseCount(options.timeout, '--timeout');
  const props = options.config === undefined ? new Map<string, string>() : readConfigFile(options.config, io);
  const fileBrokers = props.get('bootstrap.servers');
  const [brokers, brokersFrom] =
    options.brokers !== undefined
      ? [options.brokers, '--brokers']
      : fileBrokers !== undefined
        ? [fileBrokers, null]
        : [io.env.KAFKA_BROKERS, 'KAFKA_BROKERS'];
  if (brokers === undefined || brokers.trim() === '') {
    throw new UsageError(
      'no brokers: give --brokers host:port[,host:port...] or set KAFKA_BROKERS',
      '--brokers',
    );
  }
  props.set('bootstrap.servers', brokers);
  let config: ConsumerConfig;
  try {
    config = consumerConfigFromProperties(props, (path) => io.readFile(path));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const reason = error.message.slice(error.key.length + 2);
    // The brokers may have come from a flag or the environment: name where the user gave them.
    if (error.key === 'bootstrap.servers' && brokersFrom !== null) throw new UsageError(reason, brokersFrom);
    throw new ConfigError(error.key, `${reason} (in ${options.config})`);
  }
  const tls = tlsOf(options, config.tls, io);
  const sasl = saslOf(options, io);
  return {
    config: {
      ...config,
      ...(tls === undefined ? {} : { tls }),
      ...(sasl === undefined ? {} : { sasl }),
    },
    timeoutMs,
    debug: options.debug === true,
  };
}

function readConfigFile(path: string, io: Io): Map<string, string> {
  let text: string;
  try {
    text = io.readFile(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`, '--config');
  }
  return parseProperties(text, '--config');
}

function readPem(path: string, option: string, io: Io): string {
  try {
    return io.readFile(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`, option);
  }
}

function tlsOf(options: CommonOptions, fromFile: ConsumerConfig['tls'], io: Io): ConsumerConfig['tls'] {
  const wanted = options.tls || options.ca || options.cert || options.key;
  if (!wanted) return fromFile;
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new UsageError(
      '--cert and --key go together (a client certificate needs its key)',
      options.cert ? '--key' : '--cert',
    );
  }
  const tls: TlsOptions = typeof fromFile === 'object' ? { ...fromFile } : {};
  if (options.ca !== undefined) tls.ca = readPem(options.ca, '--ca', io);
  if (options.cert !== undefined) tls.cert = readPem(options.cert, '--cert', io);
  if (options.key !== undefined) tls.key = readPem(options.key, '--key', io);
  return tls;
}

function saslOf(options: CommonOptions, io: Io): SaslOptions | undefined {
  const { saslMechanism, saslUsername } = options;
  const password = options.saslPassword ?? io.env.KAFKA_SASL_PASSWORD;
  if (saslMechanism === undefined) {
    if (saslUsername !== undefined || options.saslPassword !== undefined) {
      throw new UsageError('is needed with --sasl-username and --sasl-password', '--sasl-mechanism');
    }
    return undefined;
  }
  const mechanism = SASL_MECHANISMS.find((m) => m === saslMechanism.toUpperCase());
  if (mechanism === undefined) {
    throw new UsageError(
      `expected ${SASL_MECHANISMS.join(', ')}, got ${JSON.stringify(saslMechanism)}`,
      '--sasl-mechanism',
    );
  }
  if (saslUsername === undefined || saslUsername === '') {
    throw new UsageError(`is needed with --sasl-mechanism ${mechanism}`, '--sasl-username');
  }
  if (password === undefined) {
    throw new UsageError(
      `is needed with --sasl-mechanism ${mechanism} (or set KAFKA_SASL_PASSWORD)`,
      '--sasl-password',
    );
  }
  return { mechanism, username: saslUsername, password };
}
