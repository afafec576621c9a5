import { describe, expect, it } from 'vitest';
import { configErrorOf } from './test-support/config-error.js';
import { parseVerifiableShareConsumerArgs } from './verifiable-share-consumer-options.js';

const REQUIRED = ['--bootstrap-server', 'localhost:9092', '--topic', 'jobs', '--group-id', 'workers'];

/** @returns the options for `args` after the required ones, with `files` as the only readable files. */
function parse(args: readonly string[], files: Record<string, string> = {}) {
  return parseVerifiableShareConsumerArgs([...REQUIRED, ...args], (path) => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT: ${path}`);
    return text;
  });
}

describe('parseVerifiableShareConsumerArgs', () => {
  it("applies Java's defaults: auto (implicit) acknowledgement, no pattern, no reset, no limit", () => {
    expect(parse([])).toEqual({
      topic: 'jobs',
      maxMessages: -1,
      verbose: false,
      acknowledgementMode: 'auto',
      ackPattern: [],
      offsetResetStrategy: null,
      config: { brokers: 'localhost:9092', groupId: 'workers' },
    });
  });

  it('takes every option; sync and async acknowledge explicitly', () => {
    const options = parse([
      '--max-messages=100',
      '--verbose',
      '--acknowledgement-mode',
      'SYNC',
      '--ack-pattern',
      'accept,RELEASE, reject',
      '--offset-reset-strategy',
      'earliest',
    ]);
    expect(options).toMatchObject({
      maxMessages: 100,
      verbose: true,
      acknowledgementMode: 'sync',
      ackPattern: ['accept', 'release', 'reject'],
      offsetResetStrategy: 'earliest',
      config: { acknowledgementMode: 'explicit' },
    });
  });

  it('reads a Java properties file, whose values the options replace', () => {
    const options = parse(['--command-config', 'share.properties'], {
      'share.properties': [
        'bootstrap.servers=elsewhere:9092',
        'group.id=other',
        'client.id=verifier-1',
        'max.poll.records=50',
        'share.acknowledgement.mode=explicit',
        'fetch.max.wait.ms=100',
      ].join('\n'),
    });
    expect(options.config).toEqual({
      brokers: 'localhost:9092',
      groupId: 'workers',
      clientId: 'verifier-1',
      maxPollRecords: 50,
      acknowledgementMode: 'explicit',
      fetchMaxWaitMs: 100,
    });
  });

  it.each([
    [['--acknowledgement-mode', 'manual'], '--acknowledgement-mode', /auto, sync or async/],
    [['--ack-pattern', 'accept'], '--ack-pattern', /not 'auto'/],
    [['--acknowledgement-mode', 'sync', '--ack-pattern', 'accept,renew'], '--ack-pattern', /renew is not/],
    [
      ['--acknowledgement-mode', 'sync', '--ack-pattern', 'ok'],
      '--ack-pattern',
      /"ok" is not accept, release or reject/,
    ],
    [['--offset-reset-strategy', 'none'], '--offset-reset-strategy', /earliest or latest/],
    [['--max-messages', 'many'], '--max-messages', /must be an integer/],
    [['--session-timeout', '10'], '--session-timeout', /not an option of the verifiable share consumer/],
    [['--command-config', 'missing.properties'], '--command-config', /cannot read missing.properties/],
  ])('refuses %j, naming %s', (args, key, message) => {
    const error = configErrorOf(() => parse(args));
    expect(error.key).toBe(key);
    expect(error.message).toMatch(message);
  });

  it.each([
    ['group.instance.id=i-1', 'groupInstanceId', /share groups do not have/],
    ['share.acknowledgement.mode=sometimes', 'share.acknowledgement.mode', /implicit or explicit/],
    ['key.deserializer=x', 'key.deserializer', /is not a consumer property/],
  ])('refuses the property %s', (line, key, message) => {
    const error = configErrorOf(() => parse(['--command-config', 'f'], { f: line }));
    expect(error.key).toBe(key);
    expect(error.message).toMatch(message);
  });

  it('needs the bootstrap server, the topic and the group', () => {
    expect(configErrorOf(() => parseVerifiableShareConsumerArgs(['--topic', 't'], () => '')).key).toBe(
      '--bootstrap-server',
    );
  });
});
