/**
 * The producer's trace context in a record: the W3C Trace Context `traceparent` header (and
 * `tracestate`) that OpenTelemetry's Kafka producer instrumentations write. Parsed here rather than by
 * a registered propagator, so that `telemetry: true` links producer and consumer with no other setup.
 */
import type { RecordHeader } from '@runnel/codec';

/** A remote span context, as OpenTelemetry's `SpanContext` has it. */
export interface ProducerSpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly traceState: string | null;
  readonly isRemote: true;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ALL_ZERO = /^0+$/;
const decoder = new TextDecoder();

/**
 * @returns the span context of the record's `traceparent` header (the first one), or null when there
 *   is none or it is malformed (a version of `ff`, an all-zero trace or span id, a wrong length).
 */
export function producerContextOf(headers: readonly RecordHeader[]): ProducerSpanContext | null {
  let parent: string | null = null;
  let state: string | null = null;
  for (const h of headers) {
    if (h.value === null) continue;
    if (parent === null && h.key === 'traceparent') parent = decoder.decode(h.value).trim();
    else if (state === null && h.key === 'tracestate') state = decoder.decode(h.value).trim();
  }
  if (parent === null) return null;
  const match = TRACEPARENT.exec(parent);
  if (!match) return null;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  if (version === 'ff' || (version === '00' && parent.length !== 55)) return null;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(spanId)) return null;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16), traceState: state, isRemote: true };
}
