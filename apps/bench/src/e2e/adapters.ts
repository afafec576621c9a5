import {
  confluentAdapter,
  kafkaJsAdapter,
  platformaticAdapter,
  rdkafkaAdapter,
  runnelKafkaJsAdapter,
} from './adapters-js-peers.js';
import { franzGoAdapter, javaAdapter, javaPerformanceAdapter } from './adapters-jvm-go.js';
import { RUNNEL_VARIANTS, runnelAdapter } from './adapters-runnel.js';
import type { ClientAdapter } from './client-adapter.js';

export { adaptersFor, type ClientAdapter, type Phase, type PrepareContext } from './client-adapter.js';

/** @returns every client of the suite, Runnel's variants first. */
export function allAdapters(): ClientAdapter[] {
  return [
    ...RUNNEL_VARIANTS.map(runnelAdapter),
    kafkaJsAdapter(),
    runnelKafkaJsAdapter(),
    platformaticAdapter(),
    javaAdapter(),
    javaPerformanceAdapter(),
    franzGoAdapter(),
    rdkafkaAdapter(),
    confluentAdapter(),
  ];
}
