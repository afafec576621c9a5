import { randomBytes, randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { testCluster } from '@runnel/kafka-local/vitest';
import { ClusterClient } from '@runnel/network';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import { consumeAndCommit, groupConsumer } from './test-support/group-consumer.js';
import { otel } from './test-support/otel.js';
import { createTopicNow, produce, type RecordToWrite } from './test-support/produce.js';

/** A producer's span context, as a W3C traceparent header carries it. */
function producerSpan() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}

describe('OpenTelemetry against a real broker', () => {
  const topic = `telemetry-${randomUUID().slice(0, 8)}`;
  const producers = [producerSpan(), producerSpan(), producerSpan()];
  let client: ClusterClient;

  beforeAll(async () => {
    client = new ClusterClient({ bootstrapServers: testCluster().bootstrap, defaultDeadlineMs: 30_000 });
    await createTopicNow(client, topic, 1);
    const records: RecordToWrite[] = [
      ...producers.map((p, i) => ({ value: `traced-${i}`, headers: { traceparent: p.header } })),
      { value: 'plain-3' },
      { value: 'plain-4', headers: { traceparent: 'not a traceparent' } },
    ];
    await produce(client, topic, 0, records);
  });

  afterAll(async () => {
    await client?.close();
  });

  it('records process spans linked to the producers, commit and rebalance spans, and metrics matching what was consumed', async () => {
    const { spans, tracerProvider, meterProvider, metrics, close } = otel();
    const { consumer, groupId } = groupConsumer('telemetry', {
      clientId: 'otel-test',
      telemetry: { tracerProvider, meterProvider },
    });
    try {
      const batches = await consumeAndCommit(consumer, topic, 5, 'eachBatch');
      const values = await metrics();
      await consumer.close({ timeoutMs: 5_000 });

      const finished = spans.getFinishedSpans();
      const process = finished.filter((s) => s.name === `process ${topic}`);
      expect(process).toHaveLength(batches);
      for (const s of process) {
        expect(s.kind).toBe(SpanKind.CONSUMER);
        expect(s.attributes).toMatchObject({
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': '0',
          'messaging.consumer.group.name': groupId,
          'messaging.client.id': 'otel-test',
        });
      }
      expect(process.reduce((n, s) => n + Number(s.attributes['messaging.batch.message_count']), 0)).toBe(5);
      // Each producer span is linked once; the record without a traceparent and the malformed one are not.
      const links = process.flatMap((s) => s.links.map((l) => `${l.context.traceId}/${l.context.spanId}`));
      expect(links.sort()).toEqual(producers.map((p) => `${p.traceId}/${p.spanId}`).sort());

      const commit = finished.filter((s) => s.name === 'commit');
      expect(commit).toHaveLength(1);
      expect(commit[0]!.kind).toBe(SpanKind.CLIENT);
      expect(commit[0]!.attributes).toMatchObject({
        'messaging.operation.type': 'settle',
        'messaging.operation.name': 'commit',
        'messaging.destination.name': topic,
        'messaging.consumer.group.name': groupId,
      });
      expect(finished.some((s) => s.name === 'rebalance assigned')).toBe(true);

      const sumOf = (name: string, match: Record<string, unknown> = {}) =>
        (values.get(name)?.dataPoints ?? [])
          .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
          .reduce((n, p) => n + Number(p.value), 0);
      expect(sumOf('messaging.client.consumed.messages', { 'messaging.destination.name': topic })).toBe(5);
      const processed = values.get('messaging.process.duration')!.dataPoints;
      expect(processed.reduce((n, p) => n + (p.value as { count: number }).count, 0)).toBe(batches);
      const lag = values.get('runnel.consumer.lag')!.dataPoints;
      expect(lag.map((p) => [p.attributes['messaging.destination.partition.id'], p.value])).toEqual([
        ['0', 0],
      ]);
      expect(sumOf('runnel.consumer.fetch.bytes')).toBeGreaterThan(5 * 20);
      expect(sumOf('runnel.consumer.rebalances', { 'runnel.rebalance.kind': 'assigned' })).toBe(1);
      const operations = values.get('messaging.client.operation.duration')!.dataPoints;
      const names = new Set(operations.map((p) => p.attributes['messaging.operation.name']));
      expect(names).toEqual(new Set(['poll', 'commit']));
    } finally {
      await consumer.close({ timeoutMs: 5_000 });
      await close();
    }
  });

  it('makes each eachRecord span the child of its producer span with producerContext parent', async () => {
    const { spans, tracerProvider, close } = otel();
    const consumer = new Consumer({
      brokers: testCluster().bootstrap,
      autoOffsetReset: 'earliest',
      fetchMaxWaitMs: 100,
      telemetry: { tracerProvider, producerContext: 'parent' },
    });
    try {
      consumer.assign([{ topic, partition: 0 }]);
      const stop = new AbortController();
      let count = 0;
      await consumer.run({
        signal: stop.signal,
        eachRecord: () => {
          if (++count === 5) stop.abort();
        },
      });
      const process = spans
        .getFinishedSpans()
        .filter((s) => s.name === `process ${topic}`)
        .sort(
          (a, b) =>
            Number(a.attributes['messaging.kafka.offset']) - Number(b.attributes['messaging.kafka.offset']),
        );
      expect(process.map((s) => s.attributes['messaging.kafka.offset'])).toEqual([0, 1, 2, 3, 4]);
      const parentOf = (s: ReadableSpan) => s.parentSpanContext;
      for (const [i, p] of producers.entries()) {
        expect(process[i]!.spanContext().traceId).toBe(p.traceId);
        expect(parentOf(process[i]!)).toMatchObject({ traceId: p.traceId, spanId: p.spanId, isRemote: true });
      }
      expect(parentOf(process[3]!)).toBeUndefined();
      expect(parentOf(process[4]!)).toBeUndefined();
    } finally {
      await consumer.close({ timeoutMs: 5_000 });
      await close();
    }
  });
});
