/**
 * The consumer's metrics: OpenTelemetry's messaging conventions (`messaging.client.consumed.messages`,
 * `messaging.process.duration`, `messaging.client.operation.duration` for Fetch and OffsetCommit) and
 * Runnel's Kafka consumer instruments (`runnel.consumer.*`: lag per partition, bytes fetched, buffered
 * bytes, rebalances and their duration, commit failures, open connections, heartbeat age). Durations
 * run from a channel message's `start` to its `asyncEnd`, in seconds of the consumer's clock.
 */
import type * as OpenTelemetry from '@opentelemetry/api';
import type { Clock, RequestMessage } from '@runnel/network';
import type {
  AcknowledgementMessage,
  CommitMessage,
  ConsumerIdentity,
  ProcessMessage,
  RebalanceMessage,
} from './diagnostics.js';
import { ACKNOWLEDGE_TYPES } from './share/share-errors.js';
import type { TelemetrySources } from './telemetry.js';
import { errorType } from './telemetry-spans.js';

/** Buckets for durations in seconds, from 1 ms to 10 s (the conventions' advice). */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export class TelemetryMetrics {
  private readonly startedAt = new WeakMap<object, number>();
  private readonly common: OpenTelemetry.Attributes;
  private readonly consumed: OpenTelemetry.Counter;
  private readonly processDuration: OpenTelemetry.Histogram;
  private readonly operationDuration: OpenTelemetry.Histogram;
  private readonly fetchedBytes: OpenTelemetry.Counter;
  private readonly rebalances: OpenTelemetry.Counter;
  private readonly rebalanceDuration: OpenTelemetry.Histogram;
  private readonly commitFailures: OpenTelemetry.Counter;
  private readonly acknowledgements: OpenTelemetry.Counter;
  private readonly gauges: OpenTelemetry.ObservableGauge[];
  private readonly observe: OpenTelemetry.BatchObservableCallback;

  constructor(
    private readonly meter: OpenTelemetry.Meter,
    identity: ConsumerIdentity,
    private readonly sources: TelemetrySources,
    private readonly clock: Clock,
  ) {
    this.common = {
      'messaging.system': 'kafka',
      'messaging.client.id': identity.clientId,
      ...(identity.groupId === null ? {} : { 'messaging.consumer.group.name': identity.groupId }),
    };
    const seconds = { unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } };
    this.consumed = meter.createCounter('messaging.client.consumed.messages', {
      unit: '{message}',
      description: 'Records handed to the application.',
    });
    this.processDuration = meter.createHistogram('messaging.process.duration', {
      ...seconds,
      description: 'How long a handler call (or an iterator batch) took.',
    });
    this.operationDuration = meter.createHistogram('messaging.client.operation.duration', {
      ...seconds,
      description: 'How long a Fetch (poll) or an OffsetCommit (commit) took.',
    });
    this.fetchedBytes = meter.createCounter('runnel.consumer.fetch.bytes', {
      unit: 'By',
      description: 'Bytes of Fetch responses received.',
    });
    this.rebalances = meter.createCounter('runnel.consumer.rebalances', {
      unit: '{rebalance}',
      description: 'Assignment changes handled.',
    });
    this.rebalanceDuration = meter.createHistogram('runnel.consumer.rebalance.duration', {
      ...seconds,
      description: 'How long handling an assignment change took, the listener included.',
    });
    this.commitFailures = meter.createCounter('runnel.consumer.commit.failures', {
      unit: '{commit}',
      description: 'OffsetCommits that failed.',
    });
    this.acknowledgements = meter.createCounter('runnel.share.acknowledgements', {
      unit: '{message}',
      description: 'Records a share consumer acknowledged, by type, as the brokers answered.',
    });
    const gauge = (name: string, unit: string, description: string) =>
      meter.createObservableGauge(name, { unit, description });
    const lag = gauge(
      'runnel.consumer.lag',
      '{message}',
      'Records between the consumed position and the log end, per partition.',
    );
    const buffered = gauge(
      'runnel.consumer.buffered.bytes',
      'By',
      'Fetched bytes held in memory, handed out or not.',
    );
    const connections = gauge(
      'runnel.consumer.connection.count',
      '{connection}',
      'Broker connections open now.',
    );
    const heartbeatAge = gauge(
      'runnel.consumer.heartbeat.age',
      's',
      'Time since the group coordinator last accepted a heartbeat of this member.',
    );
    this.gauges = [lag, buffered, connections, heartbeatAge];
    this.observe = (result) => {
      for (const l of this.sources.lag?.() ?? []) {
        if (l.lag === null) continue;
        result.observe(lag, l.lag, {
          ...this.common,
          'messaging.destination.name': l.topic,
          'messaging.destination.partition.id': String(l.partition),
        });
      }
      const health = this.sources.health();
      result.observe(buffered, health.bufferedBytes, this.common);
      result.observe(connections, health.connections, this.common);
      // No point before the first accepted heartbeat, and none without a group.
      const ageMs = health.group?.heartbeatAgeMs ?? null;
      if (ageMs !== null) result.observe(heartbeatAge, ageMs / 1000, this.common);
    };
  }

  /** Starts reporting the gauges. */
  start(): void {
    this.meter.addBatchObservableCallback(this.observe, this.gauges);
  }

  /** Stops reporting the gauges (close). */
  stop(): void {
    this.meter.removeBatchObservableCallback(this.observe, this.gauges);
  }

  /** Notes when a message's operation started. */
  started(m: object): void {
    this.startedAt.set(m, this.clock.now());
  }

  /** Counts the records handed out, and notes the start. */
  processStarted(m: ProcessMessage): void {
    this.started(m);
    this.consumed.add(m.record ? 1 : m.batch.records.length, this.destination(m, 'process'));
  }

  processEnded(m: ProcessMessage): void {
    const attributes = this.destination(m, 'process');
    if (m.error !== undefined) attributes['error.type'] = errorType(m.error);
    this.processDuration.record(this.elapsed(m), attributes);
  }

  commitEnded(m: CommitMessage): void {
    const attributes: OpenTelemetry.Attributes = {
      ...this.common,
      'messaging.operation.type': 'settle',
      'messaging.operation.name': 'commit',
    };
    if (m.error !== undefined) {
      attributes['error.type'] = errorType(m.error);
      this.commitFailures.add(1, { ...this.common, 'error.type': errorType(m.error) });
    }
    this.operationDuration.record(this.elapsed(m), attributes);
  }

  rebalanceEnded(m: RebalanceMessage): void {
    const attributes = { ...this.common, 'runnel.rebalance.kind': m.kind };
    this.rebalances.add(1, attributes);
    this.rebalanceDuration.record(this.elapsed(m), attributes);
  }

  /**
   * Counts the records of one partition's acknowledgement answer by type
   * (`runnel.share.acknowledge.type`), with `error.type` when the broker did not take them.
   */
  acknowledged(m: AcknowledgementMessage): void {
    const attributes: OpenTelemetry.Attributes = {
      ...this.common,
      'messaging.operation.type': 'settle',
      'messaging.operation.name': 'acknowledge',
      'messaging.destination.name': m.topic,
      'messaging.destination.partition.id': String(m.partition),
    };
    if (m.error !== null) attributes['error.type'] = errorType(m.error);
    for (const type of ACKNOWLEDGE_TYPES) {
      const count = m.types[type];
      if (count > 0)
        this.acknowledgements.add(count, { ...attributes, 'runnel.share.acknowledge.type': type });
    }
  }

  /**
   * Records a Fetch's or ShareFetch's duration (as the `poll` operation) and its response bytes; other
   * requests are not metered.
   */
  requestEnded(m: RequestMessage): void {
    if (m.api !== 'Fetch' && m.api !== 'ShareFetch') {
      this.startedAt.delete(m);
      return;
    }
    const attributes: OpenTelemetry.Attributes = {
      ...this.common,
      'messaging.operation.type': 'receive',
      'messaging.operation.name': 'poll',
      'server.address': m.broker,
    };
    if (m.error !== undefined) attributes['error.type'] = errorType(m.error);
    this.operationDuration.record(this.elapsed(m), attributes);
    if (m.responseBytes > 0)
      this.fetchedBytes.add(m.responseBytes, { ...this.common, 'server.address': m.broker });
  }

  private destination(m: ProcessMessage, operation: string): OpenTelemetry.Attributes {
    return {
      ...this.common,
      'messaging.operation.type': operation,
      'messaging.operation.name': operation,
      'messaging.destination.name': m.batch.topic,
      'messaging.destination.partition.id': String(m.batch.partition),
    };
  }

  /** @returns the seconds since the message's start, and forgets it. */
  private elapsed(m: object): number {
    const at = this.startedAt.get(m);
    this.startedAt.delete(m);
    return at === undefined ? 0 : (this.clock.now() - at) / 1000;
  }
}
