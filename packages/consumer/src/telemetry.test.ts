import { describe, expect, it } from 'vitest';
import { Consumer } from './consumer.js';
import { ConfigError } from './errors.js';
import { loadOpenTelemetry } from './telemetry.js';
import { resolveTelemetry } from './telemetry-config.js';
import { producerContextOf } from './trace-context.js';

const text = new TextEncoder();
const header = (key: string, value: string) => ({ key, value: text.encode(value) });
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('telemetry option', () => {
  it('is off when absent or false, and takes the global providers with links for true', () => {
    expect(resolveTelemetry(undefined)).toBeNull();
    expect(resolveTelemetry(false)).toBeNull();
    expect(resolveTelemetry(true)).toEqual({ producerContext: 'link' });
    const tracerProvider = { getTracer: () => ({}) };
    expect(resolveTelemetry({ tracerProvider, producerContext: 'parent' })).toEqual({
      tracerProvider,
      producerContext: 'parent',
    });
  });

  it.each([
    ['telemetry', 'yes'],
    ['telemetry.tracer', { tracer: {} }],
    ['telemetry.tracerProvider', { tracerProvider: {} }],
    ['telemetry.meterProvider', { meterProvider: { getTracer: () => ({}) } }],
    ['telemetry.producerContext', { producerContext: 'child' }],
  ])('refuses a wrong value with a ConfigError naming %s', (key, value) => {
    expect(() => resolveTelemetry(value)).toThrow(
      expect.objectContaining({ key, code: 'ERR_CONSUMER_CONFIG' }),
    );
    expect(() => new Consumer({ brokers: 'a:1', telemetry: value as never })).toThrow(ConfigError);
  });

  it('fails with a ConfigError naming telemetry when @opentelemetry/api is not installed', () => {
    const missing = Object.assign(new Error("Cannot find module '@opentelemetry/api'"), {
      code: 'MODULE_NOT_FOUND',
    });
    let error: unknown;
    try {
      loadOpenTelemetry(() => {
        throw missing;
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ key: 'telemetry', cause: missing });
    expect((error as Error).message).toContain('@opentelemetry/api');
  });
});

describe('producerContextOf', () => {
  it('reads a W3C traceparent and its tracestate', () => {
    expect(
      producerContextOf([
        header('idx', '1'),
        header('traceparent', `00-${TRACE}-${SPAN}-01`),
        header('tracestate', 'a=b'),
      ]),
    ).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1, traceState: 'a=b', isRemote: true });
  });

  it.each([
    ['no header', []],
    ['a malformed value', [header('traceparent', 'garbage')]],
    ['version ff', [header('traceparent', `ff-${TRACE}-${SPAN}-01`)]],
    ['an all-zero trace id', [header('traceparent', `00-${'0'.repeat(32)}-${SPAN}-01`)]],
    ['an all-zero span id', [header('traceparent', `00-${TRACE}-${'0'.repeat(16)}-01`)]],
    ['version 00 with extra fields', [header('traceparent', `00-${TRACE}-${SPAN}-01-extra`)]],
    ['upper-case hex', [header('traceparent', `00-${TRACE.toUpperCase()}-${SPAN}-01`)]],
  ])('returns null for %s', (_, headers) => {
    expect(producerContextOf(headers)).toBeNull();
  });
});
