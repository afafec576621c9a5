/**
 * Consumer metrics for Prometheus: a group consumer with `telemetry: true`, and OpenTelemetry's
 * Prometheus exporter serving the global MeterProvider's metrics on localhost. Scrape
 * `http://127.0.0.1:9464/metrics` for lag per partition (`runnel_consumer_lag`), throughput
 * (`messaging_client_consumed_messages_total`) and the rest.
 *
 *   KAFKA_BROKERS=host:9092 TOPIC=orders node dist/prometheus.js
 *
 * Environment: KAFKA_BROKERS (required), TOPIC (required), GROUP_ID (default `prometheus-example`),
 * METRICS_PORT (default 9464). Stops on SIGINT or SIGTERM, closing the consumer and the exporter.
 */
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Consumer } from '@runnel/consumer';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`prometheus example: set ${name}\n`);
    process.exit(2);
  }
  return value;
}

const brokers = required('KAFKA_BROKERS');
const topic = required('TOPIC');
const port = Number(process.env.METRICS_PORT ?? 9464);

const exporter = new PrometheusExporter({ host: '127.0.0.1', port });
const meterProvider = new MeterProvider({ readers: [exporter] });
metrics.setGlobalMeterProvider(meterProvider);

const consumer = new Consumer({
  brokers,
  groupId: process.env.GROUP_ID ?? 'prometheus-example',
  autoOffsetReset: 'earliest',
  telemetry: true,
});
consumer.subscribe([topic]);
process.stdout.write(`prometheus example: metrics at http://127.0.0.1:${port}/metrics\n`);

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

let read = 0;
try {
  await consumer.run({
    signal: stop.signal,
    eachBatch: (batch) => {
      read += batch.records.length;
    },
  });
} finally {
  await consumer.close();
  await meterProvider.shutdown();
  process.stdout.write(`prometheus example: read ${read} records\n`);
}
