/**
 * OpenTelemetry for one consumer (`telemetry` option): spans and metrics built by subscribing to the
 * consumer's diagnostics channels (and network's `runnel:request`), so that a consumer without
 * telemetry pays nothing on the hot path. `@opentelemetry/api` is an optional peer dependency, loaded
 * only when telemetry is asked for.
 */
import type { Channel, TracingChannel, TracingChannelSubscribers } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import type * as OpenTelemetry from '@opentelemetry/api';
import type { RequestMessage } from '@runnel/network';
import { requestChannel } from '@runnel/network';
import type { PartitionLag } from './consumer-types.js';
import type { ClientContext } from './context.js';
import {
  type AcknowledgementMessage,
  acknowledgementChannel,
  type ConsumerMessage,
  commitChannel,
  type HandlerScope,
  processChannel,
  rebalanceChannel,
} from './diagnostics.js';
import { ConfigError } from './errors.js';
import { CONSUMER_VERSION } from './package-version.js';
import type { ResolvedTelemetry } from './telemetry-config.js';
import { TelemetryMetrics } from './telemetry-metrics.js';
import { TelemetrySpans } from './telemetry-spans.js';

/** The OpenTelemetry API module. */
export type OpenTelemetryApi = typeof OpenTelemetry;

/** The scope name spans and metrics are reported under. */
export const INSTRUMENTATION_SCOPE = '@runnel/consumer';

/**
 * @param load how to load a package (a test seam; default: `require` from where the consumer is installed).
 * @returns `@opentelemetry/api`.
 * @throws ConfigError naming `telemetry` when it is not installed.
 */
export function loadOpenTelemetry(
  load: (name: string) => unknown = createRequire(import.meta.url),
): OpenTelemetryApi {
  try {
    return load('@opentelemetry/api') as OpenTelemetryApi;
  } catch (error) {
    throw new ConfigError(
      'telemetry',
      'needs the @opentelemetry/api package: install it next to @runnel/consumer, or leave telemetry off',
      { cause: error },
    );
  }
}

/** What telemetry reads of the consumer for its gauges. */
export interface TelemetrySources {
  /** Lag per partition; a share consumer has none (no position of its own). */
  lag?(): PartitionLag[];
  health(): TelemetryHealth;
}

/** What the gauges read of a consumer's health. */
export interface TelemetryHealth {
  readonly bufferedBytes: number;
  /** Broker connections open now. */
  readonly connections: number;
  /** Null without a group; `heartbeatAgeMs` null before the first accepted heartbeat. */
  readonly group: { readonly heartbeatAgeMs: number | null } | null;
}

/** A subscription to one TracingChannel: its handlers, to unsubscribe them at close. */
interface Subscription {
  unsubscribe(): void;
}

/** Subscribes `handlers` to a TracingChannel; the events telemetry does not handle do nothing. */
function subscribe<T extends object>(
  channel: TracingChannel<unknown, T>,
  handlers: Partial<Pick<TracingChannelSubscribers<T>, 'start' | 'asyncEnd' | 'error'>>,
): Subscription {
  const none = () => {};
  const all: TracingChannelSubscribers<T> = {
    start: handlers.start ?? none,
    end: none,
    asyncStart: none,
    asyncEnd: handlers.asyncEnd ?? none,
    error: handlers.error ?? none,
  };
  channel.subscribe(all);
  return { unsubscribe: () => void channel.unsubscribe(all) };
}

/** Subscribes `handler` to a plain channel. */
function listen<T>(channel: Channel, handler: (message: T) => void): Subscription {
  const onMessage = (message: unknown) => handler(message as T);
  channel.subscribe(onMessage);
  return { unsubscribe: () => void channel.unsubscribe(onMessage) };
}

/**
 * The OpenTelemetry of a Consumer or a ShareConsumer: each publishes on the channels of what it does
 * (a share consumer: process and acknowledgement; a consumer: process, commit and rebalance).
 */
export class ConsumerTelemetry {
  private readonly subscriptions: Subscription[] = [];
  private readonly spans: TelemetrySpans;
  private readonly metrics: TelemetryMetrics;

  /** @throws ConfigError naming `telemetry` when `@opentelemetry/api` is not installed. */
  constructor(
    private readonly context: ClientContext,
    settings: ResolvedTelemetry,
    sources: TelemetrySources,
    api: OpenTelemetryApi = loadOpenTelemetry(),
  ) {
    const tracer = (settings.tracerProvider ?? api.trace.getTracerProvider()).getTracer(
      INSTRUMENTATION_SCOPE,
      CONSUMER_VERSION,
    ) as OpenTelemetry.Tracer;
    const meter = (settings.meterProvider ?? api.metrics.getMeterProvider()).getMeter(
      INSTRUMENTATION_SCOPE,
      CONSUMER_VERSION,
    ) as OpenTelemetry.Meter;
    const { identity } = context;
    this.spans = new TelemetrySpans(api, tracer, identity, settings.producerContext);
    this.metrics = new TelemetryMetrics(meter, identity, sources, context.clock);
  }

  /** Runs a handler call with its process span as the active span (see {@link HandlerScope}). */
  readonly handlerScope: HandlerScope = (message, call) => this.spans.inSpan(message, call);

  /** Subscribes to the channels; calling it again does nothing. */
  start(): void {
    if (this.subscriptions.length > 0) return;
    const { identity, client } = this.context;
    const mine = (m: { consumer: unknown }) => m.consumer === identity;
    const { spans, metrics } = this;
    /** Follows one consumer channel: a span from `start` to `asyncEnd`, with what each end records. */
    const follow = <T extends ConsumerMessage & { error?: unknown }>(
      channel: TracingChannel<unknown, T>,
      started: (m: T) => void,
      ended: (m: T) => void,
    ) =>
      subscribe<T>(channel, {
        start: (m) => void (mine(m) && started(m)),
        error: (m) => void (mine(m) && spans.failed(m)),
        asyncEnd: (m) => {
          if (!mine(m)) return;
          ended(m);
          spans.ended(m);
        },
      });
    this.subscriptions.push(
      follow(
        processChannel,
        (m) => {
          spans.processStarted(m);
          metrics.processStarted(m);
        },
        (m) => metrics.processEnded(m),
      ),
      follow(
        commitChannel,
        (m) => {
          spans.commitStarted(m);
          metrics.started(m);
        },
        (m) => metrics.commitEnded(m),
      ),
      follow(
        rebalanceChannel,
        (m) => {
          spans.rebalanceStarted(m);
          metrics.started(m);
        },
        (m) => metrics.rebalanceEnded(m),
      ),
      subscribe<RequestMessage>(requestChannel, {
        start: (m) => void (m.pool === client.pool && metrics.started(m)),
        asyncEnd: (m) => void (m.pool === client.pool && metrics.requestEnded(m)),
      }),
      listen<AcknowledgementMessage>(acknowledgementChannel, (m) => {
        if (mine(m)) metrics.acknowledged(m);
      }),
    );
    this.metrics.start();
  }

  /** Unsubscribes from the channels and stops the gauges (close). */
  stop(): void {
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
    this.metrics.stop();
  }
}
