import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { SpanKind } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import type { AcknowledgementMessage } from '../diagnostics.js';
import type { AssignmentEvent } from '../events.js';
import { otel, sumOf } from '../test-support/otel.js';
import * as scenario from '../test-support/share-scenario.js';
import { until } from '../test-support/until.js';
import type { AcknowledgementEvent } from './share-events.js';

const SHARE_GROUPS = scenario.clusterHasShareGroups();

afterEach(scenario.closeAll);

describe.skipIf(!SHARE_GROUPS)(
  'share consumer telemetry (skipped on Kafka 3.9, which has no share groups)',
  () => {
    it('process spans with the share group and delivery count, consumed and process-duration metrics, acknowledgements by type, ShareFetch polls', async () => {
      const setup = await scenario.shareSetup('share-otel', 1);
      await scenario.produce(setup, 6);
      const { spans, tracerProvider, meterProvider, metrics, close } = otel();
      const acknowledged: AcknowledgementMessage[] = [];
      const onAck = (m: unknown) => void acknowledged.push(m as AcknowledgementMessage);
      subscribe('runnel:share:acknowledgement', onAck);
      try {
        const consumer = scenario.shareConsumer(setup, {
          clientId: 'share-otel',
          acknowledgementMode: 'explicit',
          telemetry: { tracerProvider, meterProvider },
        });
        const assigned: AssignmentEvent[] = [];
        const answers: AcknowledgementEvent[] = [];
        consumer.on('assigned', (e) => void assigned.push(e));
        consumer.on('acknowledgement', (e) => void answers.push(e));
        const deliveries = new scenario.Deliveries();
        const stop = new AbortController();
        // Offset 0 is rejected, offset 1 released once (so it comes again, deliveryCount 2), the rest accepted.
        const running = consumer.run({
          signal: stop.signal,
          eachRecord: (r) => {
            deliveries.add(r);
            const type =
              r.offset === 0 ? 'reject' : r.offset === 1 && r.deliveryCount === 1 ? 'release' : 'accept';
            consumer.acknowledge(r, type);
          },
        });
        await until(
          'offset 1 twice and every offset',
          () => deliveries.counts.get('0:1')?.length === 2 && deliveries.distinct === 6,
          60_000,
        );
        stop.abort();
        await running;
        const results = await consumer.commit();
        expect(results.every((r) => r.error === null)).toBe(true);
        const values = await metrics();
        await scenario.closeAll();

        const process = spans.getFinishedSpans().filter((s) => s.name === `process ${setup.topic}`);
        const seen = process.map((s) => [
          s.attributes['messaging.kafka.offset'],
          s.attributes['runnel.share.delivery_count'],
        ]);
        expect(seen.sort()).toEqual([
          [0, 1],
          [1, 1],
          [1, 2],
          [2, 1],
          [3, 1],
          [4, 1],
          [5, 1],
        ]);
        for (const s of process) {
          expect(s.kind).toBe(SpanKind.CONSUMER);
          expect(s.attributes).toMatchObject({
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.destination.name': setup.topic,
            'messaging.destination.partition.id': '0',
            'messaging.consumer.group.name': setup.groupId,
            'messaging.client.id': 'share-otel',
          });
        }

        const topic = { 'messaging.destination.name': setup.topic };
        expect(sumOf(values, 'messaging.client.consumed.messages', topic)).toBe(7);
        expect(sumOf(values, 'messaging.process.duration', topic)).toBe(7);
        const acks = (type: string) =>
          sumOf(values, 'runnel.share.acknowledgements', { ...topic, 'runnel.share.acknowledge.type': type });
        expect([acks('accept'), acks('release'), acks('reject')]).toEqual([5, 1, 1]);
        expect(
          sumOf(values, 'messaging.client.operation.duration', { 'messaging.operation.name': 'poll' }),
        ).toBeGreaterThan(0);
        expect(sumOf(values, 'runnel.consumer.fetch.bytes')).toBeGreaterThan(0);
        expect(values.has('runnel.consumer.lag')).toBe(false);

        // The lifecycle events: the heartbeat's assignment, and each acknowledgement answer.
        const partition0 = [{ topic: setup.topic, partition: 0 }];
        expect(assigned).toEqual([
          {
            partitions: partition0,
            assignment: partition0,
            groupId: setup.groupId,
            durationMs: expect.any(Number),
          },
        ]);
        const byType = (type: 'accept' | 'release' | 'reject') =>
          answers.reduce((n, e) => n + e.types[type], 0);
        expect([byType('accept'), byType('release'), byType('reject')]).toEqual([5, 1, 1]);
        expect(answers.every((e) => e.error === null && e.groupId === setup.groupId)).toBe(true);

        // The acknowledgement channel told the same, once per answer, naming this consumer.
        const mine = acknowledged.filter((m) => m.consumer.groupId === setup.groupId);
        expect(mine.every((m) => m.consumer.clientId === 'share-otel' && m.topic === setup.topic)).toBe(true);
        const total = (type: 'accept' | 'release' | 'reject') => mine.reduce((n, m) => n + m.types[type], 0);
        expect([total('accept'), total('release'), total('reject')]).toEqual([5, 1, 1]);
      } finally {
        unsubscribe('runnel:share:acknowledgement', onAck);
        await close();
      }
    });
  },
);
