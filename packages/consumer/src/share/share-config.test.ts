import { describe, expect, it } from 'vitest';
import { configErrorOf } from '../test-support/config-error.js';
import { resolveShareConfig } from './share-config.js';

const base = { brokers: 'localhost:9092', groupId: 'workers' };

describe('share consumer configuration', () => {
  it('applies the defaults of Java and of the consumer', () => {
    expect(resolveShareConfig(base)).toMatchObject({
      brokers: ['localhost:9092'],
      groupId: 'workers',
      clientId: 'runnel',
      acknowledgementMode: 'implicit',
      maxPollRecords: 500,
      fetchMaxWaitMs: 500,
      fetchMaxBytes: 52_428_800,
      maxBufferedBytes: 104_857_600,
      requestTimeoutMs: 30_000,
      defaultApiTimeoutMs: 60_000,
      allBrokersDownTimeoutMs: null,
      securityProtocol: 'PLAINTEXT',
      saslMechanism: null,
    });
  });

  it.each([
    ['groupId', { brokers: 'localhost:9092' }, /groupId: is required/],
    ['groupId', { ...base, groupId: '  ' }, /must not be blank/],
    [
      'acknowledgementMode',
      { ...base, acknowledgementMode: 'auto' },
      /must be one of 'implicit', 'explicit'/,
    ],
    ['maxPollRecords', { ...base, maxPollRecords: 0 }, /between 1 and/],
    [
      'requestTimeoutMs',
      { ...base, fetchMaxWaitMs: 5_000, requestTimeoutMs: 5_000 },
      /must exceed fetchMaxWaitMs/,
    ],
    ['brokers', { ...base, brokers: 'nohost' }, /is not host:port/],
    ['fetchMaxBytes', { ...base, fetchMaxByte: 1 }, /is not a share consumer option$/],
  ])('names %s when it is wrong', (key, config, message) => {
    const error = configErrorOf(() => resolveShareConfig(config as never));
    expect(error.key).toBe(key === 'fetchMaxBytes' ? 'fetchMaxByte' : key);
    expect(error.message).toMatch(message);
  });

  it('takes the consumer deserializers, and names the option of one it does not know', () => {
    const upper = (bytes: Uint8Array) => new TextDecoder().decode(bytes).toUpperCase();
    const resolved = resolveShareConfig({ ...base, keyDeserializer: 'string', valueDeserializer: upper });
    const bytes = new TextEncoder().encode('job');
    const context = { topic: 't', partition: 0, headers: [] };
    expect(resolved.keyDeserializer?.(bytes, context)).toBe('job');
    expect(resolved.valueDeserializer?.(bytes, context)).toBe('JOB');
    expect(resolveShareConfig(base).valueDeserializer).toBeNull();
    expect(resolveShareConfig({ ...base, valueDeserializer: 'buffer' }).valueDeserializer).toBeNull();
    const error = configErrorOf(() => resolveShareConfig({ ...base, valueDeserializer: 'xml' } as never));
    expect(error.key).toBe('valueDeserializer');
    expect(error.message).toMatch(/'string', 'json', 'buffer' or a function/);
  });

  it("takes the consumer's telemetry option, with its checks", () => {
    expect(resolveShareConfig(base).telemetry).toBeNull();
    expect(resolveShareConfig({ ...base, telemetry: true }).telemetry).toEqual({ producerContext: 'link' });
    const error = configErrorOf(() => resolveShareConfig({ ...base, telemetry: { tracer: {} } } as never));
    expect(error.key).toBe('telemetry.tracer');
  });

  it.each([
    ['autoOffsetReset', 'earliest', /share\.auto\.offset\.reset/],
    ['isolationLevel', 'read_committed', /share\.isolation\.level/],
    ['groupInstanceId', 'i-1', /no static members/],
    ['autoCommit', true, /acknowledged, not committed/],
    ['maxPollIntervalMs', 1_000, /share\.record\.lock\.duration\.ms/],
  ])('refuses the consumer option %s and says what share groups use instead', (key, value, instead) => {
    const error = configErrorOf(() => resolveShareConfig({ ...base, [key]: value } as never));
    expect(error.key).toBe(key);
    expect(error.message).toMatch(/is not a share consumer option/);
    expect(error.message).toMatch(instead);
  });
});
