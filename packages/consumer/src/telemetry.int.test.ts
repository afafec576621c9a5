import { randomBytes, randomUUID } from 'node:crypto';
import { context, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { testCluster } from '@runnel/kafka-local/vitest';
import { ClusterClient } from '@runnel/network';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import { consumeAndCommit, groupConsumer } from './test-support/group-consumer.js';
import { otel } from './test-support/otel.js';
import { createTopicNow, produce, type RecordToWrite } from './test-support/produce.js';
import { until } from './test-support/until.js';

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
    // What an SDK's start registers: without a context manager no span is ever active.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
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
    context.disable();
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

  it.each(['classic', 'consumer'] as const)(
    'reports open connections as the pool counts them and the heartbeat age of a %s member',
    async (groupProtocol) => {
      const { meterProvider, metrics, close } = otel();
      const { consumer } = groupConsumer('telemetry-gauges', { groupProtocol, telemetry: { meterProvider } });
      try {
        await consumeAndCommit(consumer, topic, 5, 'eachBatch');
        // The member goes on heartbeating after run returns; wait for the first accepted heartbeat.
        await until('accepted heartbeat', () => consumer.health().group?.heartbeatAgeMs != null, 30_000);
        const gauge = (values: Map<string, MetricData>, name: string) => {
          const points = values.get(name)?.dataPoints ?? [];
          expect(points).toHaveLength(1);
          return Number(points[0]!.value);
        };
        // A connection may open or close between two reads: compare only when the pool held still.
        let compared = false;
        for (let tries = 0; tries < 10 && !compared; tries++) {
          const before = consumer.health().connections;
          const values = await metrics();
          if (consumer.health().connections !== before) continue;
          compared = true;
          expect(before).toBeGreaterThanOrEqual(1);
          expect(gauge(values, 'runnel.consumer.connection.count')).toBe(before);
          const age = gauge(values, 'runnel.consumer.heartbeat.age');
          expect(age).toBeGreaterThanOrEqual(0);
          // Heartbeats go every 3 s (classic) or 5 s (the broker's default for the consumer protocol);
          // the slack is for a loaded machine.
          expect(age).toBeLessThan(5 + 10);
        }
        expect(compared).toBe(true);
        await consumer.close({ timeoutMs: 5_000 });
        expect(consumer.health().connections).toBe(0);
      } finally {
        await consumer.close({ timeoutMs: 5_000 });
        await close();
      }
    },
  );

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
      const handler = tracerProvider.getTracer('handler');
      await consumer.run({
        signal: stop.signal,
        eachRecord: async (record) => {
          // After an await too, the handler's span is a child of its process span.
          await new Promise((resolve) => setImmediate(resolve));
          handler.startSpan(`handle ${record.offset}`).end();
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
      // producer -> process -> the handler's own span, in one trace.
      for (const [i, p] of process.entries()) {
        const handled = spans.getFinishedSpans().filter((s) => s.name === `handle ${i}`);
        expect(handled).toHaveLength(1);
        expect(handled[0]!.spanContext().traceId).toBe(p.spanContext().traceId);
        expect(parentOf(handled[0]!)?.spanId).toBe(p.spanContext().spanId);
      }
    } finally {
      await consumer.close({ timeoutMs: 5_000 });
      await close();
    }
  });

  it.each([
    ['eachBatch', { eachBatch: true }],
    ["eachRecord with ordering 'key'", { ordering: 'key' as const }],
  ])('runs %s inside its process span: spans the handler starts are its children', async (_, how) => {
    const { spans, tracerProvider, close } = otel();
    const consumer = new Consumer({
      brokers: testCluster().bootstrap,
      autoOffsetReset: 'earliest',
      fetchMaxWaitMs: 100,
      telemetry: { tracerProvider },
    });
    const handler = tracerProvider.getTracer('handler');
    try {
      consumer.assign([{ topic, partition: 0 }]);
      const stop = new AbortController();
      let count = 0;
      const handle = async (offset: number, records: number) => {
        await new Promise((resolve) => setImmediate(resolve));
        handler.startSpan(`handle ${offset}`).end();
        count += records;
        if (count >= 5) stop.abort();
      };
      await consumer.run(
        'eachBatch' in how
          ? { signal: stop.signal, eachBatch: (batch) => handle(batch.firstOffset, batch.records.length) }
          : { signal: stop.signal, ordering: how.ordering, eachRecord: (record) => handle(record.offset, 1) },
      );
      const finished = spans.getFinishedSpans();
      const process = finished.filter((s) => s.name === `process ${topic}`);
      const handled = finished.filter((s) => s.name.startsWith('handle '));
      expect(handled.length).toBeGreaterThan(0);
      expect(handled).toHaveLength(process.length);
      for (const h of handled) {
        const offset = Number(h.name.slice('handle '.length));
        const parent = process.filter((s) => s.attributes['messaging.kafka.offset'] === offset);
        expect(parent).toHaveLength(1);
        expect(h.parentSpanContext?.spanId).toBe(parent[0]!.spanContext().spanId);
        expect(h.spanContext().traceId).toBe(parent[0]!.spanContext().traceId);
      }
      // Linked, not parented: the process spans start traces of their own.
      for (const p of process) expect(p.parentSpanContext).toBeUndefined();
    } finally {
      await consumer.close({ timeoutMs: 5_000 });
      await close();
    }
  });
});
