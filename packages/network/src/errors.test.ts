import { isRetriable } from '@runnel/protocol';
import { describe, expect, it } from 'vitest';
import {
  ClientClosedError,
  ConnectionError,
  CorrelationMismatchError,
  DeadlineExceededError,
  FrameTooLargeError,
  RequestTimeoutError,
} from './errors.js';
import { SaslAuthenticationError, SaslRequiredError, TlsError } from './security/errors.js';

describe('the retriable flag of the network errors', () => {
  it('marks the failures a fresh connection or more time can cure as retriable', () => {
    const retriable = [
      new ConnectionError('b:1', 'reset', 'connection reset'),
      new RequestTimeoutError('b:1', 1, 30_000),
      new CorrelationMismatchError('b:1', 3, 4),
      new DeadlineExceededError('Fetch', 60_000),
    ];
    expect(retriable.map(isRetriable)).toEqual([true, true, true, true]);
  });

  it('marks the failures that repeat alike as not retriable', () => {
    const final = [
      new FrameTooLargeError('b:1', 200_000_000, 100_000_000),
      new ClientClosedError(),
      new TlsError('b:1', 'untrusted-certificate', 'untrusted'),
      new SaslAuthenticationError('b:1', 'PLAIN', 'rejected', 'bad password'),
      new SaslRequiredError('b:1', ['PLAIN']),
    ];
    expect(final.map(isRetriable)).toEqual([false, false, false, false, false]);
  });
});
