/** Real OpenTelemetry SDK providers that keep spans and metrics in memory, for the telemetry tests. */
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/**
 * @returns a tracer provider and a meter provider of the real SDK; `spans` keeps the finished spans,
 *   `metrics()` collects the metrics by name, `close()` shuts both down.
 */
export function otel() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const metrics = async (): Promise<Map<string, MetricData>> => {
    const { resourceMetrics } = await reader.collect();
    const out = new Map<string, MetricData>();
    for (const scope of resourceMetrics.scopeMetrics)
      for (const m of scope.metrics) out.set(m.descriptor.name, m);
    return out;
  };
  const close = async () => {
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  };
  return { spans, tracerProvider, meterProvider, metrics, close };
}

/**
 * @returns the sum of the data points of metric `name` whose attributes match `match` (counters:
 *   their values; histograms: their counts).
 */
export function sumOf(
  values: ReadonlyMap<string, MetricData>,
  name: string,
  match: Readonly<Record<string, unknown>> = {},
): number {
  return (values.get(name)?.dataPoints ?? [])
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((n, p) => {
      const v = p.value as number | { count: number };
      return n + (typeof v === 'number' ? v : v.count);
    }, 0);
}
