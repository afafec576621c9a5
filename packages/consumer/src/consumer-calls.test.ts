import { RunnelError } from '@runnel/codec';
import { ConnectionError, TlsError } from '@runnel/network';
import { afterEach, describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import { ConfigError, ConsumerTimeoutError } from './errors.js';
import * as entry from './index.js';

// Nothing listens on port 1: every connection attempt is refused at once.
const NO_BROKER = '127.0.0.1:1';
const TIMEOUT = 300;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Asserts the one timeout error of the consumer's calls: configured time, and what failed last. */
function expectTimeout(error: unknown, operation: string): void {
  expect(error).toBeInstanceOf(ConsumerTimeoutError);
  const timeout = error as ConsumerTimeoutError;
  expect(timeout).toMatchObject({ operation, timeoutMs: TIMEOUT, code: 'ERR_CONSUMER_TIMEOUT' });
  expect(timeout.message).toContain(`within ${TIMEOUT} ms`);
  expect(timeout.cause).toBeInstanceOf(ConnectionError);
  expect(timeout.cause).toMatchObject({ reason: 'refused' });
}

describe('Consumer calls when no broker answers', () => {
  const consumers: Consumer[] = [];
  const make = () => {
    const c = new Consumer({ brokers: NO_BROKER, groupId: 'g', defaultApiTimeoutMs: TIMEOUT });
    consumers.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close({ timeoutMs: 500 })));
  });

  it('commit() fails with ConsumerTimeoutError naming the configured timeout and the connection error', async () => {
    const error = await rejection(make().commit([{ topic: 't', partition: 0, offset: 5 }]));
    expectTimeout(error, 'OffsetCommit');
  });

  it('committed() fails with the same ConsumerTimeoutError, not the network layer’s DeadlineExceededError', async () => {
    const error = await rejection(make().committed([{ topic: 't', partition: 0 }]));
    expectTimeout(error, 'OffsetFetch');
  });

  it('offsetsForTimes() and position() fail with ConsumerTimeoutError and the last connection error', async () => {
    const consumer = make();
    expectTimeout(
      await rejection(consumer.offsetsForTimes([{ topic: 't', partition: 0, timestamp: 1 }])),
      'ListOffsets',
    );
    consumer.assign([{ topic: 't', partition: 0 }]);
    expectTimeout(await rejection(consumer.position({ topic: 't', partition: 0 })), 'position');
  });

  it('describeGroup() fails with ConsumerTimeoutError', async () => {
    const error = await rejection(make().describeGroup());
    expectTimeout(error, 'describeGroup');
  });

  it('health() says since when no broker was reachable, and why', async () => {
    const consumer = make();
    expect(consumer.health().allBrokersDownSince).toBeNull();
    const before = Date.now();
    await rejection(consumer.committed([{ topic: 't', partition: 0 }]));
    const health = consumer.health();
    expect(health.allBrokersDownSince).toBeGreaterThanOrEqual(before - 5);
    expect(health.allBrokersDownSince).toBeLessThanOrEqual(Date.now());
    expect(health.lastConnectionError).toMatchObject({ reason: 'refused' });
  });
});

describe('the consumer’s entry point', () => {
  it('exports every error class a user can receive, each a RunnelError', () => {
    const names = [
      'AllBrokersDownError',
      'AuthenticationError',
      'ClientClosedError',
      'CodecUnavailableError',
      'CommitFailedError',
      'ConfigError',
      'ConnectionError',
      'ConsumerClosedError',
      'ConsumerTimeoutError',
      'CorrelationMismatchError',
      'CorruptRecordError',
      'DeadlineExceededError',
      'DecodeError',
      'DecompressedSizeError',
      'FencedInstanceIdError',
      'FrameTooLargeError',
      'GroupBrokerError',
      'GroupConfigError',
      'GroupFatalError',
      'GroupMaxSizeReachedError',
      'IllegalStateError',
      'IllegalTransitionError',
      'InvalidTopicError',
      'KafkaProtocolError',
      'NoOffsetForPartitionError',
      'NotAssignedError',
      'OffsetOutOfRangeError',
      'RecordTooLargeError',
      'RequestTimeoutError',
      'SaslAuthenticationError',
      'SaslRequiredError',
      'TlsError',
      'UnsupportedVersionError',
    ];
    const exported = entry as unknown as Record<string, unknown>;
    for (const name of names) {
      const value = exported[name] as (new (...args: never[]) => unknown) | undefined;
      expect(typeof value, name).toBe('function');
      expect(Object.prototype.isPrototypeOf.call(RunnelError.prototype, value!.prototype), name).toBe(true);
    }
  });
});

describe('new Consumer with TLS material that cannot be loaded', () => {
  it('throws ConfigError naming tls, with the TlsError as its cause', () => {
    let caught: unknown;
    try {
      new Consumer({ brokers: 'a:1', tls: { ca: 'not a certificate', cert: 'nor this', key: 'nor a key' } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(caught).toMatchObject({ key: 'tls', code: 'ERR_CONSUMER_CONFIG' });
    expect((caught as ConfigError).cause).toBeInstanceOf(TlsError);
  });
});
