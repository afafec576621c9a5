/**
 * Builds the parts a Consumer wires together, in the order they need each other: the context (config,
 * cluster client, the one clock, events), the fetch loop, commits, rebalance handling, the max-poll
 * check, deliveries, describe, the brokers-down watch and, when asked for, telemetry. The Consumer
 * keeps what changes over its life (its mode and its group driver) and hands them in as functions.
 */
import { type BrokersDownWatch, consumerBrokersDownWatch } from './brokers-down-watch.js';
import { Commits } from './commits.js';
import type { ConsumerConfig, ResolvedConfig } from './config.js';
import { contextFor } from './consumer-client.js';
import type { ConsumerEnvironment, ConsumerHealth, PartitionLag } from './consumer-types.js';
import type { ConsumerContext } from './context.js';
import { Deliveries } from './deliveries.js';
import { GroupDescriber } from './describe.js';
import type { ConsumerIdentity } from './diagnostics.js';
import { ConsumerEvents, reportReachability } from './events.js';
import { Fetcher } from './fetcher.js';
import type { GroupDriver } from './group-driver.js';
import { ConsumerLifecycle } from './lifecycle.js';
import { MaxPollCheck } from './max-poll.js';
import { Rebalances } from './rebalance.js';
import { reportRequests } from './request-events.js';
import { ConsumerTelemetry, type OpenTelemetryApi } from './telemetry.js';

/** What the parts read of the Consumer while it lives. */
export interface ConsumerState {
  group(): GroupDriver | null;
  /** Whether the consumer has been given partitions or a subscription. */
  consuming(): boolean;
  lag(): PartitionLag[];
  health(): ConsumerHealth;
}

/** The parts of one consumer. */
export interface ConsumerWiring {
  readonly context: ConsumerContext;
  readonly events: ConsumerEvents;
  readonly identity: ConsumerIdentity;
  readonly lifecycle: ConsumerLifecycle;
  readonly fetcher: Fetcher;
  readonly commits: Commits;
  readonly rebalances: Rebalances;
  readonly maxPoll: MaxPollCheck;
  readonly deliveries: Deliveries;
  readonly describer: GroupDescriber;
  readonly brokersDown: BrokersDownWatch;
  readonly telemetry: ConsumerTelemetry | null;
}

/**
 * @returns the parts of a consumer of `config` (resolved from `userConfig`), telemetry started when
 *   `openTelemetry` was loaded.
 */
export function wireConsumer(
  config: ResolvedConfig,
  userConfig: ConsumerConfig<never, never>,
  environment: ConsumerEnvironment,
  state: ConsumerState,
  openTelemetry: OpenTelemetryApi | null,
): ConsumerWiring {
  const events = new ConsumerEvents(config.logger);
  const lifecycle = new ConsumerLifecycle(events);
  const context: ConsumerContext = contextFor(userConfig, config, environment, events);
  const { identity, clock } = context;
  reportReachability(context.client.pool.reachability, events);
  reportRequests(context.client.pool, clock, events);
  const running = () => lifecycle.running;
  const fetcher = new Fetcher(context);
  // A group member whose coordinator has not confirmed it since a heartbeat failed hands nothing out.
  fetcher.holdDeliveries = () => state.group()?.membershipInDoubt() ?? false;
  const commits = new Commits(context, {
    partitions: fetcher.partitions,
    group: state.group,
    isRunning: running,
  });
  const rebalances = new Rebalances(context, fetcher, commits, running);
  const maxPoll = new MaxPollCheck(clock, config.maxPollIntervalMs, (now) => state.group()?.recordPoll(now));
  const deliveries = new Deliveries(fetcher, lifecycle, maxPoll, state.consuming, identity);
  const describer = new GroupDescriber(context);
  const brokersDown = consumerBrokersDownWatch(context, lifecycle, () => {
    state.group()?.close();
    fetcher.close();
  });
  let telemetry: ConsumerTelemetry | null = null;
  if (config.telemetry && openTelemetry) {
    const sources = { lag: state.lag, health: state.health };
    telemetry = new ConsumerTelemetry(context, config.telemetry, sources, openTelemetry);
    telemetry.start();
  }
  return {
    context,
    events,
    identity,
    lifecycle,
    fetcher,
    commits,
    rebalances,
    maxPoll,
    deliveries,
    describer,
    brokersDown,
    telemetry,
  };
}
