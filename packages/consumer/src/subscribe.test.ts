import { afterEach, describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import { IllegalStateError } from './errors.js';

// Nothing here reaches a broker: connections open lazily, and each case fails before the first request.
const BROKERS = '127.0.0.1:1';

describe('Consumer.subscribe with a SubscriptionPattern', () => {
  const consumers: Consumer[] = [];
  const make = (groupProtocol: 'classic' | 'consumer') => {
    const c = new Consumer({ brokers: BROKERS, groupId: 'g', groupProtocol });
    consumers.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close({ timeoutMs: 1_000 })));
  });

  it('is refused under the classic protocol, which has no broker-side regex, and joins nothing', () => {
    const consumer = make('classic');
    expect(() => consumer.subscribe({ regex: 'orders-.*' })).toThrow(IllegalStateError);
    expect(consumer.health().group).toMatchObject({
      groupProtocol: 'classic',
      memberState: null,
      memberId: '',
    });
  });

  it('refuses an empty regular expression with a TypeError', () => {
    const consumer = make('consumer');
    expect(() => consumer.subscribe({ regex: '' })).toThrow(TypeError);
    expect(consumer.health().group?.memberState).toBeNull();
  });

  it('reports no group in health() for a consumer without groupId', async () => {
    const consumer = new Consumer({ brokers: BROKERS });
    consumers.push(consumer);
    expect(consumer.health().group).toBeNull();
    await expect(consumer.describeGroup()).rejects.toThrow(IllegalStateError);
  });
});
