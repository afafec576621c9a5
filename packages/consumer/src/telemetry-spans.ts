/**
 * The consumer's spans, after OpenTelemetry's messaging semantic conventions for Kafka: a `process`
 * span per handler call or iterator batch (linked to, or for `eachRecord` optionally the child of, the
 * producer's span named in each record's `traceparent`), a `commit` span per OffsetCommit, and a
 * `rebalance` span per assignment change. Each message of a channel maps to its open span until
 * `asyncEnd`.
 */
import type * as OpenTelemetry from '@opentelemetry/api';
import type { ConsumerRecord } from './batch.js';
import type { CommitMessage, ConsumerIdentity, ProcessMessage, RebalanceMessage } from './diagnostics.js';
import type { TelemetryOptions } from './telemetry-config.js';
import { type ProducerSpanContext, producerContextOf } from './trace-context.js';

type Api = typeof OpenTelemetry;

/** @returns the error's type for `error.type`: its stable code when it has one, else its class name. */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : '_OTHER';
}

export class TelemetrySpans {
  private readonly open = new WeakMap<object, OpenTelemetry.Span>();
  private readonly common: OpenTelemetry.Attributes;

  constructor(
    private readonly api: Api,
    private readonly tracer: OpenTelemetry.Tracer,
    identity: ConsumerIdentity,
    private readonly producerContext: NonNullable<TelemetryOptions['producerContext']>,
  ) {
    this.common = {
      'messaging.system': 'kafka',
      'messaging.client.id': identity.clientId,
      ...(identity.groupId === null ? {} : { 'messaging.consumer.group.name': identity.groupId }),
    };
  }

  /** Opens the `process {topic}` span of a handler call or iterator batch. */
  processStarted(m: ProcessMessage): void {
    const { api } = this;
    const { batch, record } = m;
    const attributes: OpenTelemetry.Attributes = {
      ...this.common,
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': batch.topic,
      'messaging.destination.partition.id': String(batch.partition),
    };
    let parent = api.context.active();
    const links: OpenTelemetry.Link[] = [];
    if (record) {
      attributes['messaging.kafka.offset'] = record.offset;
      if ('deliveryCount' in record) attributes['runnel.share.delivery_count'] = record.deliveryCount;
      const producer = producerContextOf(record.headers);
      if (producer && this.producerContext === 'parent') {
        parent = api.trace.setSpanContext(api.ROOT_CONTEXT, this.spanContext(producer));
      } else if (producer) {
        links.push({ context: this.spanContext(producer) });
      }
    } else {
      attributes['messaging.batch.message_count'] = batch.records.length;
      attributes['messaging.kafka.offset'] = batch.firstOffset;
      // A share batch's records may come for the first time or again: its span says the most.
      if ('lockExpiresAt' in batch) {
        let most = 0;
        for (const r of batch.records) most = Math.max(most, r.deliveryCount);
        attributes['runnel.share.delivery_count'] = most;
      }
      this.linkRecords(batch.records, links);
    }
    const span = this.tracer.startSpan(
      `process ${batch.topic}`,
      { kind: api.SpanKind.CONSUMER, attributes, links },
      parent,
    );
    this.open.set(m, span);
  }

  /** Opens the `commit` span of an OffsetCommit. */
  commitStarted(m: CommitMessage): void {
    const topics = new Set(m.offsets.map((o) => o.topic));
    const attributes: OpenTelemetry.Attributes = {
      ...this.common,
      'messaging.operation.type': 'settle',
      'messaging.operation.name': 'commit',
      'messaging.batch.message_count': m.offsets.length,
    };
    if (topics.size === 1) attributes['messaging.destination.name'] = [...topics][0]!;
    const span = this.tracer.startSpan('commit', { kind: this.api.SpanKind.CLIENT, attributes });
    this.open.set(m, span);
  }

  /** Opens the `rebalance {kind}` span of an assignment change. */
  rebalanceStarted(m: RebalanceMessage): void {
    const attributes: OpenTelemetry.Attributes = {
      ...this.common,
      'runnel.rebalance.kind': m.kind,
      'runnel.rebalance.partition_count': m.partitions.length,
    };
    const span = this.tracer.startSpan(`rebalance ${m.kind}`, {
      kind: this.api.SpanKind.INTERNAL,
      attributes,
    });
    this.open.set(m, span);
  }

  /** Marks a message's span failed with its error. */
  failed(m: { error?: unknown }): void {
    const span = this.open.get(m);
    if (!span) return;
    const { error } = m;
    span.setAttribute('error.type', errorType(error));
    if (error instanceof Error) span.recordException(error);
    span.setStatus({
      code: this.api.SpanStatusCode.ERROR,
      message: String((error as Error)?.message ?? error),
    });
  }

  /** Ends a message's span. */
  ended(m: object): void {
    const span = this.open.get(m);
    if (!span) return;
    this.open.delete(m);
    span.end();
  }

  /** Adds a link per record that carries a producer context (one per distinct producer span). */
  private linkRecords(
    records: readonly ConsumerRecord<unknown, unknown>[],
    links: OpenTelemetry.Link[],
  ): void {
    const seen = new Set<string>();
    for (const r of records) {
      const producer = producerContextOf(r.headers);
      if (!producer || seen.has(producer.spanId)) continue;
      seen.add(producer.spanId);
      links.push({ context: this.spanContext(producer) });
    }
  }

  private spanContext(p: ProducerSpanContext): OpenTelemetry.SpanContext {
    return {
      traceId: p.traceId,
      spanId: p.spanId,
      traceFlags: p.traceFlags,
      isRemote: true,
      ...(p.traceState ? { traceState: this.api.createTraceState(p.traceState) } : {}),
    };
  }
}
