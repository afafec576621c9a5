import { RunnelError } from '@runnel/codec';
import { describe, expect, it } from 'vitest';
import { ErrorCode, KAFKA_ERRORS, KafkaProtocolError, kafkaErrorInfo, throwIfKafkaError } from './index.js';

describe('the Kafka error table', () => {
  it('names each code as Kafka does and says whether it is retriable', () => {
    expect(kafkaErrorInfo(6)).toMatchObject({ name: 'NOT_LEADER_OR_FOLLOWER', retriable: true });
    expect(kafkaErrorInfo(27)).toMatchObject({ name: 'REBALANCE_IN_PROGRESS', retriable: false });
    expect(kafkaErrorInfo(-1)).toMatchObject({ name: 'UNKNOWN_SERVER_ERROR', retriable: false });
    expect(ErrorCode.NOT_COORDINATOR).toBe(16);
    expect(KAFKA_ERRORS.size).toBe(138);
  });

  it('has a description for every code', () => {
    for (const info of KAFKA_ERRORS.values()) expect(info.description.length).toBeGreaterThan(8);
  });

  it('gives an unknown code a name that says so', () => {
    expect(kafkaErrorInfo(4242)).toMatchObject({ name: 'UNKNOWN_ERROR_CODE_4242', retriable: false });
  });

  it('raises a typed error carrying code, name and retriable', () => {
    const e = new KafkaProtocolError(15, 'FindCoordinator for group g');
    expect(e).toBeInstanceOf(RunnelError);
    expect(e).toMatchObject({
      code: 'ERR_KAFKA_PROTOCOL',
      errorCode: 15,
      errorName: 'COORDINATOR_NOT_AVAILABLE',
      retriable: true,
    });
    expect(e.message).toMatch(/^FindCoordinator for group g: COORDINATOR_NOT_AVAILABLE \(15\)/);
    expect(() => throwIfKafkaError(0)).not.toThrow();
    expect(() => throwIfKafkaError(25)).toThrowError(KafkaProtocolError);
  });
});
