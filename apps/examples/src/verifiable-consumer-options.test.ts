import { CooperativeStickyAssignor, RangeAssignor } from '@runnel/consumer';
import { describe, expect, it } from 'vitest';
import { configErrorOf } from './test-support/config-error.js';
import { parseVerifiableConsumerArgs } from './verifiable-consumer-options.js';

const REQUIRED = ['--bootstrap-server', 'localhost:9092', '--topic', 'orders', '--group-id', 'verifiers'];

/** @returns the options for `args` after the required ones, with `files` as the only readable files. */
function parse(args: readonly string[], files: Record<string, string> = {}) {
  return parseVerifiableConsumerArgs([...REQUIRED, ...args], (path) => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT: ${path}`);
    return text;
  });
}

describe('parseVerifiableConsumerArgs', () => {
  it("applies Java's defaults: classic with the RangeAssignor, earliest, no auto commit, no limit", () => {
    const options = parse([]);
    expect(options).toMatchObject({
      topic: 'orders',
      maxMessages: -1,
      verbose: false,
      closeTimeoutMs: 30_000,
      autoCommit: false,
    });
    const { assignors, ...config } = options.config;
    expect(config).toEqual({
      brokers: 'localhost:9092',
      groupId: 'verifiers',
      groupProtocol: 'classic',
      autoOffsetReset: 'earliest',
      autoCommit: false,
    });
    expect(assignors?.map((a) => a.constructor)).toEqual([RangeAssignor]);
  });

  it('takes every option, in both the spaced and the = form', () => {
    const options = parse([
      '--group-instance-id=v-1',
      '--max-messages',
      '500',
      '--session-timeout',
      '10000',
      '--close-timeout=5000',
      '--reset-policy',
      'latest',
      '--assignment-strategy',
      'org.apache.kafka.clients.consumer.CooperativeStickyAssignor',
      '--enable-autocommit',
      '--verbose',
    ]);
    expect(options).toMatchObject({
      maxMessages: 500,
      closeTimeoutMs: 5_000,
      verbose: true,
      autoCommit: true,
    });
    expect(options.config).toMatchObject({
      groupInstanceId: 'v-1',
      sessionTimeoutMs: 10_000,
      autoOffsetReset: 'latest',
      autoCommit: true,
    });
    expect(options.config.assignors?.map((a) => a.constructor)).toEqual([CooperativeStickyAssignor]);
  });

  it('under the consumer protocol passes the remote assignor on and leaves the assignment strategy out, as Java', () => {
    const options = parse([
      '--group-protocol',
      'CONSUMER',
      '--group-remote-assignor',
      'uniform',
      '--assignment-strategy',
      'org.apache.kafka.clients.consumer.RangeAssignor',
    ]);
    expect(options.config).toEqual({
      brokers: 'localhost:9092',
      groupId: 'verifiers',
      groupProtocol: 'consumer',
      groupRemoteAssignor: 'uniform',
      autoOffsetReset: 'earliest',
      autoCommit: false,
    });
  });

  it('refuses --session-timeout under the consumer protocol with the message Java gives', () => {
    expect(
      configErrorOf(() => parse(['--group-protocol', 'consumer', '--session-timeout', '10000'])).message,
    ).toBe('session.timeout.ms: cannot be set when group.protocol=CONSUMER');
  });

  it('reads the properties file of --consumer.config or --command-config, the options replacing its values', () => {
    const file = [
      'bootstrap.servers=file-broker:9092',
      'group.id=file-group',
      'client.id=from-file',
      'fetch.max.wait.ms=100',
      'auto.commit.interval.ms=200',
      'auto.offset.reset=none',
    ].join('\n');
    for (const option of ['--consumer.config', '--command-config']) {
      const options = parse([option, '/consumer.properties'], { '/consumer.properties': file });
      const { assignors: _, ...config } = options.config;
      expect(config).toEqual({
        brokers: 'localhost:9092',
        groupId: 'verifiers',
        clientId: 'from-file',
        fetchMaxWaitMs: 100,
        groupProtocol: 'classic',
        autoOffsetReset: 'earliest',
        autoCommit: false,
      });
    }
    const committing = parse(['--consumer.config', '/c.properties', '--enable-autocommit'], {
      '/c.properties': file,
    });
    expect(committing.config.autoCommit).toEqual({ intervalMs: 200 });
  });

  it("refuses a file's session.timeout.ms under --group-protocol consumer", () => {
    const error = configErrorOf(() =>
      parse(['--group-protocol', 'consumer', '--command-config', '/c.properties'], {
        '/c.properties': 'session.timeout.ms=6000\n',
      }),
    );
    expect(error.key).toBe('session.timeout.ms');
  });

  it.each([
    [['--consumer.config', '/missing.properties'], '--consumer.config'],
    [['--consumer.config', '/a', '--command-config', '/b'], '--consumer.config'],
    [['--command-config', '/bad.properties'], 'interceptor.classes'],
    [['--max-messages', 'lots'], '--max-messages'],
    [['--close-timeout', '-1'], '--close-timeout'],
    [['--group-protocol', 'share'], '--group-protocol'],
    [['--reset-policy', 'oldest'], 'auto.offset.reset'],
    [['--assignment-strategy', 'RangeAssignor'], 'partition.assignment.strategy'],
    [['--session-timeout', 'soon'], 'session.timeout.ms'],
    [['--throughput', '10'], '--throughput'],
    [['--verbose=yes'], '--verbose'],
    [['--topic'], '--topic'],
    [['orders'], 'orders'],
  ])('refuses %j with a ConfigError naming %s', (args, key) => {
    const error = configErrorOf(() =>
      parse(args, { '/bad.properties': 'interceptor.classes=com.example.Audit\n' }),
    );
    expect(error.key).toBe(key);
  });

  it('needs --bootstrap-server, --topic and --group-id', () => {
    const error = configErrorOf(() =>
      parseVerifiableConsumerArgs(['--topic', 't', '--group-id', 'g'], () => ''),
    );
    expect(error.message).toBe('--bootstrap-server: is required');
  });
});
