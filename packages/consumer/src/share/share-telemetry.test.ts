import { afterEach, describe, expect, it } from 'vitest';
import { FakeShareBroker } from '../test-support/fake-share-broker.js';
import { otel, sumOf } from '../test-support/otel.js';

let broker: FakeShareBroker;
let telemetry: ReturnType<typeof otel>;
afterEach(async () => {
  await broker.closeAll();
  await telemetry.close();
});

describe('ShareConsumer telemetry on a fake broker', () => {
  it('an iterator batch is one process span with its count and highest delivery count; its implicit accepts are counted once answered', async () => {
    broker = new FakeShareBroker();
    telemetry = otel();
    const { tracerProvider, meterProvider, spans, metrics } = telemetry;
    broker.script.push({ first: 0, count: 3, deliveryCount: 2 }, { first: 3, count: 1 });
    const consumer = broker.consumer({ clientId: 'c', telemetry: { tracerProvider, meterProvider } });
    const batches = consumer[Symbol.asyncIterator]();
    await broker.waitFor(batches.next());
    expect(spans.getFinishedSpans()).toEqual([]);
    // Asking for the next batch ends the first one's span and accepts its records.
    await broker.waitFor(batches.next());
    await broker.waitFor(consumer.commit());
    const [span, ...others] = spans.getFinishedSpans();
    expect(others).toEqual([]);
    expect(span!.name).toBe('process jobs');
    expect(span!.attributes).toMatchObject({
      'messaging.consumer.group.name': 'g',
      'messaging.client.id': 'c',
      'messaging.batch.message_count': 3,
      'messaging.kafka.offset': 0,
      'runnel.share.delivery_count': 2,
    });
    const values = await metrics();
    // Both batches were handed out; only the first was finished (accepted and answered).
    expect(
      sumOf(values, 'messaging.client.consumed.messages', { 'messaging.destination.name': 'jobs' }),
    ).toBe(4);
    expect(sumOf(values, 'messaging.process.duration')).toBe(1);
    const accepted = { 'runnel.share.acknowledge.type': 'accept', 'messaging.operation.name': 'acknowledge' };
    expect(sumOf(values, 'runnel.share.acknowledgements', accepted)).toBe(3);
    expect(sumOf(values, 'runnel.share.acknowledgements')).toBe(3);
    const buffered = values.get('runnel.consumer.buffered.bytes')!.dataPoints;
    expect(buffered).toHaveLength(1);
    expect(Number(buffered[0]!.value)).toBeGreaterThan(0);
  });
});
