import { DecodeError, RunnelError } from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isRetriable, KafkaProtocolError, UnsupportedVersionError } from './index.js';

describe('isRetriable', () => {
  it('follows the error table for Kafka error codes', () => {
    expect(isRetriable(new KafkaProtocolError(ErrorCode.NOT_LEADER_OR_FOLLOWER))).toBe(true);
    expect(isRetriable(new KafkaProtocolError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS))).toBe(true);
    expect(isRetriable(new KafkaProtocolError(ErrorCode.TOPIC_AUTHORIZATION_FAILED))).toBe(false);
    expect(isRetriable(new KafkaProtocolError(4242))).toBe(false);
  });

  it('says no for errors a retry cannot cure, and for anything that is not a RunnelError', () => {
    expect(isRetriable(new UnsupportedVersionError(1, 'Fetch', null, null))).toBe(false);
    expect(isRetriable(new DecodeError('truncated'))).toBe(false);
    expect(isRetriable(new RunnelError('ERR_X', 'no retriable property'))).toBe(false);
    expect(isRetriable(Object.assign(new Error('plain'), { retriable: true }))).toBe(false);
    expect(isRetriable({ retriable: true })).toBe(false);
    expect(isRetriable(undefined)).toBe(false);
  });
});
