import { ConfigError, Secret } from '@runnel/consumer';
import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import type { Io } from './io.js';
import { DEFAULT_TIMEOUT_MS, resolveSettings } from './settings.js';
import { errorOf } from './test-support/error-of.js';

/** An Io whose files are `files` and whose environment is `env`. */
function io(files: Record<string, string> = {}, env: Record<string, string> = {}): Io {
  const stream = { write: () => true, once: () => undefined, on: () => undefined };
  return {
    stdout: stream,
    stderr: stream,
    env,
    now: () => 0,
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file ${path}`);
      return text;
    },
  };
}

const thrown = (run: () => unknown) => errorOf(run, Error);
const usage = (run: () => unknown) => errorOf(run, UsageError);

describe('resolveSettings', () => {
  it('takes the brokers from --brokers, else the --config file, else KAFKA_BROKERS', () => {
    const files = { '/c.properties': 'bootstrap.servers=file:9092\n' };
    const env = { KAFKA_BROKERS: 'env:9092' };
    expect(
      resolveSettings({ brokers: 'flag:9092', config: '/c.properties' }, io(files, env)).config.brokers,
    ).toBe('flag:9092');
    expect(resolveSettings({ config: '/c.properties' }, io(files, env)).config.brokers).toBe('file:9092');
    expect(resolveSettings({}, io(files, env)).config.brokers).toBe('env:9092');
    expect(resolveSettings({}, io(files, env)).timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
  });

  it('is a usage error without brokers, or with brokers that are not host:port, naming where they came from', () => {
    const none = thrown(() => resolveSettings({}, io()));
    expect(none).toBeInstanceOf(UsageError);
    expect((none as UsageError).option).toBe('--brokers');
    expect(usage(() => resolveSettings({ brokers: 'nohost' }, io())).option).toBe('--brokers');
    const fromEnv = thrown(() => resolveSettings({}, io({}, { KAFKA_BROKERS: 'a:b' })));
    expect(fromEnv.message).toBe('KAFKA_BROKERS: entry "a:b" is not host:port');
  });

  it('maps a Java properties file: SASL_SSL with SCRAM credentials and a PEM truststore', () => {
    const files = {
      '/client.properties': [
        'security.protocol=SASL_SSL',
        'sasl.mechanism=SCRAM-SHA-512',
        'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\',
        '    username="app" password="p@ss";',
        'ssl.truststore.type=PEM',
        'ssl.truststore.location=/ca.pem',
        'client.id=ops',
      ].join('\n'),
      '/ca.pem': 'CA PEM',
    };
    const { config } = resolveSettings({ brokers: 'k:9093', config: '/client.properties' }, io(files));
    expect(config.clientId).toBe('ops');
    expect(config.tls).toEqual({ ca: 'CA PEM' });
    expect(config.sasl).toMatchObject({ mechanism: 'SCRAM-SHA-512', username: 'app' });
    expect(Secret.from((config.sasl as { password: string }).password).reveal()).toBe('p@ss');
  });

  it('names the property and the file when the file is wrong, and the flag when it cannot be read', () => {
    const files = { '/bad.properties': 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n' };
    const error = thrown(() => resolveSettings({ brokers: 'k:1', config: '/bad.properties' }, io(files)));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe('sasl.jaas.config: is required for PLAIN (in /bad.properties)');
    const missing = thrown(() => resolveSettings({ brokers: 'k:1', config: '/none' }, io()));
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing.message).toContain('--config: cannot read /none');
  });

  it('adds TLS from the flags, reading the PEM files they name', () => {
    const files = { '/ca.pem': 'CA', '/me.crt': 'CERT', '/me.key': 'KEY' };
    const { config } = resolveSettings(
      { brokers: 'k:1', ca: '/ca.pem', cert: '/me.crt', key: '/me.key' },
      io(files),
    );
    expect(config.tls).toEqual({ ca: 'CA', cert: 'CERT', key: 'KEY' });
    expect(resolveSettings({ brokers: 'k:1', tls: true }, io()).config.tls).toEqual({});
    expect(usage(() => resolveSettings({ brokers: 'k:1', cert: '/me.crt' }, io(files))).option).toBe('--key');
    expect(usage(() => resolveSettings({ brokers: 'k:1', ca: '/none' }, io())).option).toBe('--ca');
  });

  it('takes SASL from the flags, the password from KAFKA_SASL_PASSWORD when not given', () => {
    const env = { KAFKA_SASL_PASSWORD: 'from-env' };
    const flags = { brokers: 'k:1', saslMechanism: 'scram-sha-256', saslUsername: 'u' };
    const { config } = resolveSettings(flags, io({}, env));
    expect(config.sasl).toEqual({ mechanism: 'SCRAM-SHA-256', username: 'u', password: 'from-env' });
    expect(usage(() => resolveSettings(flags, io())).option).toBe('--sasl-password');
    expect(usage(() => resolveSettings({ ...flags, saslMechanism: 'GSSAPI' }, io())).option).toBe(
      '--sasl-mechanism',
    );
    expect(usage(() => resolveSettings({ brokers: 'k:1', saslUsername: 'u' }, io())).option).toBe(
      '--sasl-mechanism',
    );
  });

  it('reads --timeout as a positive number of milliseconds', () => {
    expect(resolveSettings({ brokers: 'k:1', timeout: '2500' }, io()).timeoutMs).toBe(2500);
    expect(usage(() => resolveSettings({ brokers: 'k:1', timeout: '0' }, io())).option).toBe('--timeout');
  });
});
