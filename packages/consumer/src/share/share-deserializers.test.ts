import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { DeserializerContext } from '../deserializers.js';
import { acksOf, FakeShareBroker } from '../test-support/fake-share-broker.js';
import type { ShareBatch } from './share-records.js';

const ACCEPT = 1;
const REJECT = 3;

let broker: FakeShareBroker;
afterEach(async () => {
  await broker.closeAll();
});

describe('a ShareConsumer with deserializers', () => {
  it("hands out values as strings with 'string', typed so", async () => {
    broker = new FakeShareBroker();
    broker.script.push({ first: 0, count: 3 });
    const strings = broker.consumer({ valueDeserializer: 'string' });
    const { value } = await broker.waitFor(strings[Symbol.asyncIterator]().next());
    const batch = value as ShareBatch<Uint8Array, string>;
    expectTypeOf(batch.records[0]!.value).toEqualTypeOf<string | null>();
    expect(batch.records.map((r) => [r.value, r.key, r.deliveryCount])).toEqual([
      ['job 0', null, 1],
      ['job 1', null, 1],
      ['job 2', null, 1],
    ]);
  });

  it('without a deserializer (or with buffer) hands out the bytes', async () => {
    broker = new FakeShareBroker();
    broker.script.push({ first: 3, count: 1 });
    const consumer = broker.consumer({ valueDeserializer: 'buffer' });
    const { value } = await broker.waitFor(consumer[Symbol.asyncIterator]().next());
    const record = (value as ShareBatch).records[0]!;
    expectTypeOf(record.value).toEqualTypeOf<Uint8Array | null>();
    expect(record.value).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(record.value!)).toBe('job 3');
  });

  it('calls a function deserializer with the record context, and acknowledges its records as any', async () => {
    broker = new FakeShareBroker();
    broker.script.push({ first: 10, count: 2, deliveryCount: 2 });
    const contexts: DeserializerContext[] = [];
    const consumer = broker.consumer({
      acknowledgementMode: 'explicit',
      valueDeserializer: (bytes: Uint8Array, context: DeserializerContext) => {
        contexts.push(context);
        return { job: Number(new TextDecoder().decode(bytes).split(' ')[1]) };
      },
    });
    const seen: number[] = [];
    const done = consumer.run({
      eachRecord: (record) => {
        // Each read of `value` deserializes: read it once.
        const value = record.value;
        expectTypeOf(value).toEqualTypeOf<{ job: number } | null>();
        const job = value!.job;
        seen.push(job);
        consumer.acknowledge(record, job === 10 ? 'accept' : 'reject');
      },
    });
    await broker.waitFor(
      (async () => {
        // Polled on event-loop turns, as the fake clock moves: a real 1 ms timer can come too late.
        while (seen.length < 2) await new Promise((r) => setImmediate(r));
      })(),
    );
    expect(seen).toEqual([10, 11]);
    expect(contexts.map((c) => [c.topic, c.partition, c.headers.length])).toEqual([
      ['jobs', 0, 0],
      ['jobs', 0, 0],
    ]);
    const results = await broker.waitFor(consumer.commit());
    const types = { accept: 1, release: 0, reject: 1 };
    expect(results).toEqual([{ topic: 'jobs', partition: 0, offsets: [10, 11], types, error: null }]);
    const sent = [...broker.fetches, ...broker.acknowledges].flatMap(acksOf);
    expect(sent).toEqual([[10, 11, [ACCEPT, REJECT]]]);
    await broker.closeAll();
    await done;
  });
});
