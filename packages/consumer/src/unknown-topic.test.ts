import { FakeBroker } from '@runnel/network/testing';
import { KafkaProtocolError } from '@runnel/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';

// Against a fake broker on a real port that has topic `t` with one partition and knows nothing else.
describe('a topic the broker does not have', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  async function consumerOn(timeoutMs: number): Promise<Consumer> {
    const broker = await FakeBroker.start({ topics: { t: 1 } });
    const consumer = new Consumer({
      brokers: broker.bootstrap,
      defaultApiTimeoutMs: timeoutMs,
      retryBackoffMs: 20,
    });
    cleanup.push(async () => {
      await consumer.close({ timeoutMs: 1_000 });
      await broker.down();
    });
    return consumer;
  }

  async function firstError(consumer: Consumer): Promise<unknown> {
    try {
      for await (const _ of consumer) return undefined;
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it.each([
    ['an unknown topic', { topic: 'missing', partition: 0 }],
    ['a partition past the topic’s count', { topic: 't', partition: 5 }],
  ])(
    'surfaces UNKNOWN_TOPIC_OR_PARTITION for %s once defaultApiTimeoutMs passed, instead of retrying forever',
    async (_what, tp) => {
      const consumer = await consumerOn(400);
      consumer.assign([tp]);
      const error = await firstError(consumer);
      expect(error).toBeInstanceOf(KafkaProtocolError);
      expect(error).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
    },
  );

  it('surfaces INVALID_TOPIC_EXCEPTION at once: waiting cannot make the name valid', async () => {
    const consumer = await consumerOn(60_000);
    consumer.assign([{ topic: 'invalid-name', partition: 0 }]);
    const error = await firstError(consumer);
    expect(error).toMatchObject({ name: 'KafkaProtocolError', errorName: 'INVALID_TOPIC_EXCEPTION' });
  });
});
