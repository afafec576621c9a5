/**
 * The `telemetry` option: OpenTelemetry traces and metrics, through `@opentelemetry/api` (an optional
 * peer dependency). Its types are structural here, so that a program without the package still
 * type-checks against the consumer's declarations.
 */
import { ConfigError } from './errors.js';

/** What the consumer asks of an OpenTelemetry TracerProvider. */
export interface TracerProviderLike {
  /** @returns the OpenTelemetry Tracer named `name` (the instrumentation's name) at `version`. */
  getTracer(name: string, version?: string): unknown;
}

/** What the consumer asks of an OpenTelemetry MeterProvider. */
export interface MeterProviderLike {
  /** @returns the OpenTelemetry Meter named `name` (the instrumentation's name) at `version`. */
  getMeter(name: string, version?: string): unknown;
}

/** OpenTelemetry options; `telemetry: true` takes the global providers and these defaults. */
export interface TelemetryOptions {
  /** Where spans go (default: the global one, `trace.getTracerProvider()`). */
  readonly tracerProvider?: TracerProviderLike;
  /** Where metrics go (default: the global one, `metrics.getMeterProvider()`). */
  readonly meterProvider?: MeterProviderLike;
  /**
   * How a record's W3C `traceparent` header relates to its process span: `link` (default; the span of
   * a batch links every record's producer context) or `parent` (each `eachRecord` span is a child of
   * its record's producer span).
   */
  readonly producerContext?: 'link' | 'parent';
}

/** The option, resolved: null when telemetry is off. */
export type ResolvedTelemetry = Required<Pick<TelemetryOptions, 'producerContext'>> &
  Omit<TelemetryOptions, 'producerContext'>;

const KEYS = new Set(['tracerProvider', 'meterProvider', 'producerContext']);

/**
 * @returns the telemetry settings, or null when off (`false` or absent).
 * @throws ConfigError naming `telemetry` (or the option inside it) when the value is of another kind.
 */
export function resolveTelemetry(value: unknown): ResolvedTelemetry | null {
  if (value === undefined || value === false) return null;
  if (value === true) return { producerContext: 'link' };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError('telemetry', 'must be a boolean or an object of options');
  const options = value as Record<string, unknown>;
  for (const key of Object.keys(options))
    if (!KEYS.has(key)) throw new ConfigError(`telemetry.${key}`, 'is not an option of telemetry');
  const { tracerProvider, meterProvider, producerContext = 'link' } = options;
  if (tracerProvider !== undefined && typeof (tracerProvider as TracerProviderLike)?.getTracer !== 'function')
    throw new ConfigError('telemetry.tracerProvider', 'must have a getTracer function');
  if (meterProvider !== undefined && typeof (meterProvider as MeterProviderLike)?.getMeter !== 'function')
    throw new ConfigError('telemetry.meterProvider', 'must have a getMeter function');
  if (producerContext !== 'link' && producerContext !== 'parent')
    throw new ConfigError('telemetry.producerContext', `must be 'link' or 'parent'`);
  return {
    producerContext,
    ...(tracerProvider ? { tracerProvider: tracerProvider as TracerProviderLike } : {}),
    ...(meterProvider ? { meterProvider: meterProvider as MeterProviderLike } : {}),
  };
}
