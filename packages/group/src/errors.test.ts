import { ErrorCode, isRetriable, KafkaProtocolError } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import { GroupBrokerError, GroupConfigError, GroupFatalError, IllegalTransitionError } from './errors.js';

describe('the group errors', () => {
  it('makes a broker error of a group API a KafkaProtocolError with the table entry of its code', () => {
    const error = new GroupBrokerError('JoinGroup', ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'loading');
    expect(error).toBeInstanceOf(KafkaProtocolError);
    expect(error).toMatchObject({
      code: 'ERR_GROUP_BROKER',
      api: 'JoinGroup',
      errorCode: 14,
      errorName: 'COORDINATOR_LOAD_IN_PROGRESS',
      retriable: true,
      message: 'JoinGroup failed with COORDINATOR_LOAD_IN_PROGRESS: loading',
    });
    expect(isRetriable(new GroupBrokerError('Heartbeat', ErrorCode.GROUP_AUTHORIZATION_FAILED))).toBe(false);
  });

  it('marks the fatal, configuration and transition errors as not retriable, and names the option', () => {
    const config = new GroupConfigError('must be below sessionTimeoutMs (45000)', 'heartbeatIntervalMs');
    expect(config).toMatchObject({
      option: 'heartbeatIntervalMs',
      problem: 'must be below sessionTimeoutMs (45000)',
      message: 'heartbeatIntervalMs: must be below sessionTimeoutMs (45000)',
    });
    const errors = [config, new GroupFatalError('fenced', null), new IllegalTransitionError('A', 'B')];
    expect(errors.map(isRetriable)).toEqual([false, false, false]);
  });
});
