import { CooperativeStickyAssignor, RangeAssignor, RoundRobinAssignor } from '@runnel/assignors';
import { describe, expect, it } from 'vitest';
import { consumerConfigFromProperties, SUPPORTED_PROPERTY_KEYS } from './consumer-properties.js';
import { parseProperties } from './java-properties.js';
import { configErrorOf } from './test-support/config-error.js';

const noFiles = (path: string): string => {
  throw new Error(`no file ${path} in this test`);
};

/** @returns what `consumerConfigFromProperties` makes of `entries` plus a bootstrap server. */
function mapped(entries: Record<string, string>, readFile = noFiles) {
  return consumerConfigFromProperties(
    new Map(Object.entries({ 'bootstrap.servers': 'localhost:9092', ...entries })),
    readFile,
  );
}

describe('parseProperties', () => {
  it('reads key=value, key: value and key value lines, skipping # and ! comments and blank lines', () => {
    const text = [
      '# a comment',
      '! another comment',
      '',
      '   ',
      'bootstrap.servers=broker1:9092,broker2:9092',
      'group.id : orders',
      'client.id    verifier',
      '  session.timeout.ms=10000',
    ].join('\n');
    expect([...parseProperties(text)]).toEqual([
      ['bootstrap.servers', 'broker1:9092,broker2:9092'],
      ['group.id', 'orders'],
      ['client.id', 'verifier'],
      ['session.timeout.ms', '10000'],
    ]);
  });

  it('joins a line ending in a backslash with the next, dropping its leading blanks', () => {
    const text =
      'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule \\\r\n    required username="u" \\\n    password="p";\n';
    expect(parseProperties(text).get('sasl.jaas.config')).toBe(
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";',
    );
  });

  it('keeps a value that ends in an escaped backslash on its own line', () => {
    expect([...parseProperties('path=C:\\\\dir\\\\\nnext=1')]).toEqual([
      ['path', 'C:\\dir\\'],
      ['next', '1'],
    ]);
  });

  it('undoes the escapes of keys and values, \\uXXXX included', () => {
    const props = parseProperties('a\\=b\\ c=tab\\there\\u00e9\\\\ \\:x\n');
    expect([...props]).toEqual([['a=b c', 'tab\there\u00e9\\ :x']]);
  });

  it('gives an empty value to a key alone on its line, and the last value to a key given twice', () => {
    expect([...parseProperties('client.id\ngroup.id=a\ngroup.id=b')]).toEqual([
      ['client.id', ''],
      ['group.id', 'b'],
    ]);
  });

  it('refuses a malformed \\u escape with a ConfigError naming its line', () => {
    const error = configErrorOf(() => parseProperties('ok=1\nbad=\\u12g4'));
    expect(error.key).toBe('consumer.config');
    expect(error.message).toContain('line 2');
    expect(configErrorOf(() => parseProperties('bad=\\u12g4', '--config')).key).toBe('--config');
  });
});

describe('consumerConfigFromProperties', () => {
  it('maps the group, client and fetch properties to the consumer options of the same meaning', () => {
    expect(
      mapped({
        'group.id': 'orders',
        'group.instance.id': 'verifier-1',
        'client.id': 'verifier',
        'client.rack': 'rack-a',
        'session.timeout.ms': '10000',
        'heartbeat.interval.ms': '1000',
        'max.poll.interval.ms': '60000',
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': 'false',
        'isolation.level': 'read_uncommitted',
        'max.partition.fetch.bytes': '4096',
        'fetch.max.wait.ms': '100',
        'fetch.min.bytes': '10',
        'fetch.max.bytes': '1048576',
        'request.timeout.ms': '5000',
        'default.api.timeout.ms': '20000',
        'retry.backoff.ms': '50',
        'metadata.max.age.ms': '30000',
        'check.crcs': 'FALSE',
      }),
    ).toEqual({
      brokers: 'localhost:9092',
      groupId: 'orders',
      groupInstanceId: 'verifier-1',
      clientId: 'verifier',
      rack: 'rack-a',
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      maxPollIntervalMs: 60_000,
      autoOffsetReset: 'earliest',
      autoCommit: false,
      isolationLevel: 'read_uncommitted',
      maxPartitionFetchBytes: 4_096,
      fetchMaxWaitMs: 100,
      fetchMinBytes: 10,
      fetchMaxBytes: 1_048_576,
      requestTimeoutMs: 5_000,
      defaultApiTimeoutMs: 20_000,
      retryBackoffMs: 50,
      metadataMaxAgeMs: 30_000,
      checkCrcs: false,
    });
  });

  it('needs bootstrap.servers', () => {
    const error = configErrorOf(() => consumerConfigFromProperties(new Map([['group.id', 'g']]), noFiles));
    expect(error.key).toBe('bootstrap.servers');
  });

  it('refuses a key it does not map, listing the keys it takes', () => {
    const error = configErrorOf(() => mapped({ 'fetch.max.bytes.per.broker': '10' }));
    expect(error.key).toBe('fetch.max.bytes.per.broker');
    expect(error.message).toContain('bootstrap.servers');
    expect(SUPPORTED_PROPERTY_KEYS).toContain('group.remote.assignor');
  });

  it.each([
    ['session.timeout.ms', 'ten seconds'],
    ['fetch.max.wait.ms', '1.5'],
    ['max.partition.fetch.bytes', '4294967296'],
    ['enable.auto.commit', 'yes'],
    ['check.crcs', ''],
    ['auto.offset.reset', 'by_duration:PT1H'],
    ['isolation.level', 'committed'],
    ['group.protocol', 'kip848'],
    ['security.protocol', 'TLS'],
    ['group.id', '  '],
  ])('refuses %s=%j with a ConfigError naming the property', (key, value) => {
    expect(configErrorOf(() => mapped({ [key]: value })).key).toBe(key);
  });

  it('names the property when the consumer refuses its value', () => {
    const error = configErrorOf(() => mapped({ 'session.timeout.ms': '0' }));
    expect(error.key).toBe('session.timeout.ms');
    expect(error.message).toBe('session.timeout.ms: must be between 1 and 2147483647, got 0');
    expect(configErrorOf(() => mapped({ 'bootstrap.servers': 'no-port' })).key).toBe('bootstrap.servers');
  });

  it('reads group.protocol without regard to case and takes group.remote.assignor with consumer', () => {
    expect(mapped({ 'group.protocol': 'CONSUMER', 'group.remote.assignor': 'uniform' })).toEqual({
      brokers: 'localhost:9092',
      groupProtocol: 'consumer',
      groupRemoteAssignor: 'uniform',
    });
  });

  it.each(['session.timeout.ms', 'heartbeat.interval.ms', 'partition.assignment.strategy'])(
    'refuses %s with group.protocol=consumer, where the broker sets it, as Java does',
    (key) => {
      const error = configErrorOf(() =>
        mapped({
          'group.protocol': 'consumer',
          [key]:
            key === 'partition.assignment.strategy'
              ? 'org.apache.kafka.clients.consumer.RangeAssignor'
              : '1000',
        }),
      );
      expect(error.message).toBe(`${key}: cannot be set when group.protocol=CONSUMER`);
    },
  );

  it('refuses group.remote.assignor under the classic protocol', () => {
    expect(configErrorOf(() => mapped({ 'group.remote.assignor': 'range' })).message).toBe(
      'group.remote.assignor: cannot be set when group.protocol=CLASSIC',
    );
  });

  it('makes the assignors of partition.assignment.strategy, in order, from Java class names', () => {
    const config = mapped({
      'partition.assignment.strategy':
        'org.apache.kafka.clients.consumer.CooperativeStickyAssignor, org.apache.kafka.clients.consumer.RoundRobinAssignor,org.apache.kafka.clients.consumer.RangeAssignor',
    });
    const assignors = config.assignors ?? [];
    expect(assignors.map((a) => a.constructor)).toEqual([
      CooperativeStickyAssignor,
      RoundRobinAssignor,
      RangeAssignor,
    ]);
    expect(
      configErrorOf(() => mapped({ 'partition.assignment.strategy': 'com.example.MyAssignor' })).key,
    ).toBe('partition.assignment.strategy');
  });

  it('turns auto.commit.interval.ms into an auto-commit interval, and refuses it with auto commit off', () => {
    expect(mapped({ 'auto.commit.interval.ms': '250' }).autoCommit).toEqual({ intervalMs: 250 });
    expect(mapped({ 'enable.auto.commit': 'true', 'auto.commit.interval.ms': '250' }).autoCommit).toEqual({
      intervalMs: 250,
    });
    expect(
      configErrorOf(() => mapped({ 'enable.auto.commit': 'false', 'auto.commit.interval.ms': '250' })).key,
    ).toBe('auto.commit.interval.ms');
  });

  it('reads PLAIN and SCRAM credentials from sasl.jaas.config', () => {
    const plain = mapped({
      'security.protocol': 'SASL_PLAINTEXT',
      'sasl.mechanism': 'PLAIN',
      'sasl.jaas.config':
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr\\"et";',
    });
    expect(plain.tls).toBeUndefined();
    expect(plain.sasl).toEqual({ mechanism: 'PLAIN', username: 'alice', password: 's3cr"et' });
    const scram = mapped({
      'security.protocol': 'sasl_ssl',
      'sasl.mechanism': 'SCRAM-SHA-512',
      'sasl.jaas.config':
        'org.apache.kafka.common.security.scram.ScramLoginModule required username=bob password="pw"',
    });
    expect(scram.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'bob', password: 'pw' });
    expect(scram.tls).toEqual({});
  });

  it.each([
    [{ 'sasl.mechanism': 'GSSAPI' }, 'sasl.mechanism'],
    [{ 'sasl.mechanism': 'PLAIN' }, 'sasl.jaas.config'],
    [
      {
        'sasl.mechanism': 'PLAIN',
        'sasl.jaas.config':
          'org.apache.kafka.common.security.scram.ScramLoginModule required username="a" password="b";',
      },
      'sasl.jaas.config',
    ],
    [
      {
        'sasl.mechanism': 'PLAIN',
        'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required username="a";',
      },
      'sasl.jaas.config',
    ],
    [
      {
        'sasl.mechanism': 'PLAIN',
        'sasl.jaas.config':
          'org.apache.kafka.common.security.plain.PlainLoginModule required user name="a" password="b";',
      },
      'sasl.jaas.config',
    ],
  ])('refuses SASL settings %j it cannot use, naming %s', (entries, key) => {
    expect(configErrorOf(() => mapped({ 'security.protocol': 'SASL_PLAINTEXT', ...entries })).key).toBe(key);
  });

  it('refuses sasl.* and ssl.* keys that the security protocol would ignore', () => {
    expect(configErrorOf(() => mapped({ 'sasl.mechanism': 'PLAIN' })).message).toBe(
      'sasl.mechanism: has no effect with security.protocol=PLAINTEXT',
    );
    expect(
      configErrorOf(() => mapped({ 'security.protocol': 'SASL_PLAINTEXT', 'ssl.truststore.type': 'PEM' }))
        .key,
    ).toBe('ssl.truststore.type');
  });

  it('reads PEM trust and key stores, from a file or inline, and the host name check switch', () => {
    const files: Record<string, string> = { '/ca.pem': 'CA PEM', '/client.pem': 'KEY AND CHAIN PEM' };
    const config = mapped(
      {
        'security.protocol': 'SSL',
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': '/ca.pem',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': '/client.pem',
        'ssl.key.password': 'pass',
        'ssl.endpoint.identification.algorithm': '',
      },
      (path) => files[path] ?? noFiles(path),
    );
    const tls = config.tls as Record<string, unknown>;
    expect(tls.ca).toBe('CA PEM');
    expect(tls.cert).toBe('KEY AND CHAIN PEM');
    expect(tls.key).toBe('KEY AND CHAIN PEM');
    expect(tls.passphrase).toBe('pass');
    expect(typeof tls.checkServerIdentity).toBe('function');
    const inline = mapped({
      'security.protocol': 'SSL',
      'ssl.truststore.type': 'pem',
      'ssl.truststore.certificates': 'INLINE CA',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.certificate.chain': 'CHAIN',
      'ssl.keystore.key': 'KEY',
      'ssl.endpoint.identification.algorithm': 'HTTPS',
    });
    expect(inline.tls).toEqual({ ca: 'INLINE CA', cert: 'CHAIN', key: 'KEY' });
  });

  it.each([
    [{ 'ssl.truststore.location': '/ca.jks' }, 'ssl.truststore.type'],
    [{ 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': '/missing.pem' }, 'ssl.truststore.location'],
    [{ 'ssl.keystore.type': 'PEM', 'ssl.keystore.key': 'KEY' }, 'ssl.keystore.key'],
    [{ 'ssl.endpoint.identification.algorithm': 'ldaps' }, 'ssl.endpoint.identification.algorithm'],
  ])('refuses TLS settings %j it cannot use, naming %s', (entries, key) => {
    expect(configErrorOf(() => mapped({ 'security.protocol': 'SSL', ...entries })).key).toBe(key);
  });
});
