import { inspect } from 'node:util';
import {
  ConnectionError,
  ConsumerTimeoutError,
  KafkaProtocolError,
  OffsetOutOfRangeError,
  SaslAuthenticationError,
} from '@runnel/consumer';
import { describe, expect, it } from 'vitest';
import { runnelConfigOf } from './config-map.js';
import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNotImplemented,
  KafkaJSOffsetOutOfRange,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
  KafkaJSTimeout,
  toKafkaJSError,
} from './errors.js';
import { CONSUMER_EVENTS, EventHub } from './events.js';
import { Kafka } from './kafka.js';
import { createLogger } from './logger.js';
import { toBatch, toMessage } from './messages.js';
import { byTopic, OffsetBook } from './offset-book.js';
import { type LogEntry, logLevel } from './types.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('errors', () => {
  it.each([
    [new KafkaProtocolError(25, 'commit'), KafkaJSProtocolError, false],
    [new OffsetOutOfRangeError('t', 3, 99), KafkaJSOffsetOutOfRange, false],
    [new ConnectionError('b:9092', 'refused', 'connection refused'), KafkaJSConnectionError, true],
    [
      new SaslAuthenticationError('b:9092', 'PLAIN', 'rejected', 'bad password'),
      KafkaJSSASLAuthenticationError,
      false,
    ],
    [new ConsumerTimeoutError('commit', 1000), KafkaJSTimeout, true],
  ])(
    'maps %s to the KafkaJS class with retriable and the Runnel error as cause',
    (error, kind, retriable) => {
      const mapped = toKafkaJSError(error);
      expect(mapped).toBeInstanceOf(kind);
      expect(mapped).toBeInstanceOf(KafkaJSError);
      expect((mapped as KafkaJSError).retriable).toBe(retriable);
      expect((mapped as KafkaJSError).cause).toBe(error);
      expect(mapped.name).toBe(kind.name);
    },
  );

  it('keeps KafkaJS fields: type and code of a protocol error, topic and partition of out of range', () => {
    const protocol = toKafkaJSError(new KafkaProtocolError(25, 'commit')) as KafkaJSProtocolError;
    expect([protocol.type, protocol.code]).toEqual(['UNKNOWN_MEMBER_ID', 25]);
    const range = toKafkaJSError(new OffsetOutOfRangeError('t', 3, 99)) as KafkaJSOffsetOutOfRange;
    expect([range.topic, range.partition, range.type]).toEqual(['t', 3, 'OFFSET_OUT_OF_RANGE']);
  });

  it("leaves the user's own errors alone", () => {
    const mine = new TypeError('mine');
    expect(toKafkaJSError(mine)).toBe(mine);
  });
});

describe('messages', () => {
  const record = {
    topic: 't',
    partition: 1,
    offset: 41,
    leaderEpoch: 0,
    timestamp: 1_700_000_000_123,
    timestampType: 0 as const,
    key: bytes('k'),
    value: bytes('{"a":1}'),
    headers: [
      { key: 'trace', value: bytes('x') },
      { key: 'tag', value: bytes('1') },
      { key: 'tag', value: bytes('2') },
      { key: 'empty', value: null },
    ],
  };

  it('gives Buffer views (no copy), string offsets and timestamps, and headers by key', () => {
    const message = toMessage(record);
    expect(Buffer.isBuffer(message.value)).toBe(true);
    expect(message.value!.toString()).toBe('{"a":1}');
    expect(message.value!.buffer).toBe(record.value.buffer);
    expect(message.key!.toString()).toBe('k');
    expect([message.offset, message.timestamp, message.attributes]).toEqual(['41', '1700000000123', 0]);
    expect(String(message.headers.trace)).toBe('x');
    expect((message.headers.tag as Buffer[]).map(String)).toEqual(['1', '2']);
    expect((message.headers.empty as Buffer).length).toBe(0);
    const appended = toMessage({ ...record, key: null, timestampType: 1 });
    expect([appended.key, appended.attributes]).toEqual([null, 8]);
    expect(JSON.parse(JSON.stringify(message))).toMatchObject({ offset: '41', timestamp: '1700000000123' });
  });

  it('gives keys and values that Node and programs treat as Buffers in every way', () => {
    const value = toMessage(record).value!;
    expect(value).toBeInstanceOf(Buffer);
    expect(value.equals(Buffer.from('{"a":1}'))).toBe(true);
    expect(value.toString('base64')).toBe(Buffer.from('{"a":1}').toString('base64'));
    expect(value.readUInt8(0)).toBe(0x7b);
    expect(inspect(value)).toBe(inspect(Buffer.from('{"a":1}')));
    expect(JSON.stringify(value)).toBe(JSON.stringify(Buffer.from('{"a":1}')));
    expect(Buffer.concat([value, Buffer.from('!')]).toString()).toBe('{"a":1}!');
    expect(Buffer.compare(value, Buffer.from('{"a":1}'))).toBe(0);
    expect(JSON.parse(value.toString())).toEqual({ a: 1 });
    const part = value.subarray(1, 4);
    expect([Buffer.isBuffer(part), part.toString()]).toEqual([true, '"a"']);
    expect([Buffer.isBuffer(value.slice(0, 1)), value.slice(0, 1).toString()]).toEqual([true, '{']);
    // Still a view of the fetched bytes: no copy was made.
    expect(value.buffer).toBe(record.value.buffer);
  });

  it("computes KafkaJS's batch fields and lags", () => {
    const batch = toBatch({
      topic: 't',
      partition: 1,
      records: [record, { ...record, offset: 42 }],
      firstOffset: 41,
      lastOffset: 42,
      nextOffset: 43,
      highWatermark: 50,
      lastStableOffset: 50,
      lag: 7,
    });
    expect(batch.messages.map((m) => m.offset)).toEqual(['41', '42']);
    expect([batch.highWatermark, batch.firstOffset(), batch.lastOffset()]).toEqual(['50', '41', '42']);
    expect([batch.offsetLag(), batch.offsetLagLow(), batch.isEmpty()]).toEqual(['7', '8', false]);
  });
});

describe('configuration', () => {
  it("applies KafkaJS's defaults and names, and leaves commits to the adapter", () => {
    const config = runnelConfigOf({ brokers: ['b:9092'] }, { groupId: 'g' }, ['b:9092'], true, undefined);
    expect(config).toMatchObject({
      brokers: ['b:9092'],
      clientId: 'kafkajs',
      groupId: 'g',
      autoCommit: false,
      autoOffsetReset: 'earliest',
      isolationLevel: 'read_committed',
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 60_000,
      fetchMaxWaitMs: 5_000,
      fetchMaxBytes: 10_485_760,
    });
    const tuned = runnelConfigOf(
      { brokers: [], clientId: 'c', sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } },
      { groupId: 'g', readUncommitted: true, rackId: 'r1', maxWaitTimeInMs: 100 },
      ['x:1'],
      false,
      undefined,
    );
    expect(tuned).toMatchObject({
      clientId: 'c',
      autoOffsetReset: 'latest',
      isolationLevel: 'read_uncommitted',
      rack: 'r1',
      fetchMaxWaitMs: 100,
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' },
    });
  });

  it('refuses AWS IAM and an empty groupId with KafkaJS errors', () => {
    const aws = {
      mechanism: 'aws',
      authorizationIdentity: 'a',
      accessKeyId: 'k',
      secretAccessKey: 's',
    } as const;
    expect(() => runnelConfigOf({ brokers: [], sasl: aws }, { groupId: 'g' }, [], false, undefined)).toThrow(
      KafkaJSNotImplemented,
    );
    expect(() => runnelConfigOf({ brokers: [] }, { groupId: '' }, [], false, undefined)).toThrow(/groupId/);
  });

  it('says where to go for the producer and the admin client', () => {
    const kafka = new Kafka({ brokers: ['b:9092'], logLevel: logLevel.NOTHING });
    expect(() => kafka.producer()).toThrow(KafkaJSNotImplemented);
    expect(() => kafka.admin()).toThrow(/keep the kafkajs package/);
  });
});

describe('logging and events', () => {
  it("writes through logCreator at or above the level, with KafkaJS's entry shape", () => {
    const entries: LogEntry[] = [];
    const logger = createLogger(() => (entry) => void entries.push(entry), logLevel.WARN).namespace(
      'Consumer',
    );
    logger.debug('hidden');
    logger.warn('shown', { groupId: 'g' });
    logger.setLogLevel(logLevel.DEBUG);
    logger.debug('now shown');
    expect(entries.map((e) => [e.namespace, e.label, e.log.message])).toEqual([
      ['Consumer', 'WARN', 'shown'],
      ['Consumer', 'DEBUG', 'now shown'],
    ]);
    expect(entries[0]!.log.groupId).toBe('g');
  });

  it('calls listeners with id, type, timestamp and payload; a removed or throwing one is not a problem', () => {
    const failures: string[] = [];
    const hub = new EventHub((_e, type) => failures.push(type));
    const seen: unknown[] = [];
    const remove = hub.on(CONSUMER_EVENTS.STOP, (event) => seen.push([event.type, event.payload]));
    hub.on(CONSUMER_EVENTS.STOP, () => {
      throw new Error('listener bug');
    });
    hub.emit(CONSUMER_EVENTS.STOP, null);
    remove();
    hub.emit(CONSUMER_EVENTS.STOP, null);
    expect(seen).toEqual([['consumer.stop', null]]);
    expect(failures).toEqual(['consumer.stop', 'consumer.stop']);
    expect(() => hub.on('consumer.nope', () => {})).toThrow(TypeError);
  });

  it('keeps resolved offsets until committed, grouped by topic as KafkaJS reports them', () => {
    const book = new OffsetBook();
    book.resolve('a', 0, 5, 5);
    book.resolve('a', 1, 3, 3);
    book.resolve('b', 0, 1);
    expect(book.resolvedSinceCommit).toBe(9);
    book.committed([{ topic: 'a', partition: 1, offset: 3 }]);
    expect(byTopic(book.uncommitted())).toEqual({
      topics: [
        { topic: 'a', partitions: [{ partition: 0, offset: '5' }] },
        { topic: 'b', partitions: [{ partition: 0, offset: '1' }] },
      ],
    });
    book.forget([{ topic: 'a', partition: 0 }]);
    expect(book.uncommitted().map((o) => o.topic)).toEqual(['b']);
  });
});
