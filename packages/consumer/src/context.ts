/**
 * What every part of a consumer runs on: its resolved configuration, its cluster client and the one
 * clock that every deadline, backoff and timer of the consumer reads (the cluster client's too).
 */
import type { Clock, ClusterClient } from '@runnel/network';
import type { BrokersDownWatch } from './brokers-down-watch.js';
import type { Commits } from './commits.js';
import type { ResolvedConfig } from './config.js';
import type { GroupDescriber } from './describe.js';
import type { ConsumerIdentity } from './diagnostics.js';
import type { ClientEventMap, ConsumerEvents } from './events.js';
import type { Fetcher } from './fetcher.js';
import type { GroupDriver } from './group-driver.js';
import type { ConsumerLifecycle } from './lifecycle.js';
import type { RunRegistry } from './run-loop.js';

/**
 * The settings that the parts both the Consumer and the ShareConsumer run on read (the cluster
 * client's, the group driver's): the share consumer's resolved config has them under the same names.
 */
export type ClientSettings = Pick<
  ResolvedConfig,
  | 'brokers'
  | 'clientId'
  | 'requestTimeoutMs'
  | 'fetchMaxBytes'
  | 'retryBackoffMs'
  | 'reconnectBackoffMs'
  | 'reconnectBackoffMaxMs'
  | 'metadataMaxAgeMs'
  | 'defaultApiTimeoutMs'
  | 'allBrokersDownTimeoutMs'
  | 'groupId'
  | 'logger'
>;

/** Settings `C`, the cluster client and the clock, shared by the parts of a consumer of either kind. */
export interface ClientContext<C extends ClientSettings = ClientSettings> {
  readonly config: C;
  readonly client: ClusterClient;
  readonly clock: Clock;
  /** The consumer as diagnostics channel messages name it: one object per consumer. */
  readonly identity: ConsumerIdentity;
  /** The lifecycle events (`consumer.on(...)`): every part reports through this one emitter. */
  readonly events: ConsumerEvents<ClientEventMap>;
  /** Uniform numbers in [0, 1) for the jitter of retry backoffs (default Math.random). */
  readonly random?: () => number;
}

/** The configuration, the cluster client and the clock, shared by the consumer's parts. */
export interface ConsumerContext extends ClientContext<ResolvedConfig> {
  /** The consumer's events, those a share consumer does not have included. */
  readonly events: ConsumerEvents;
}

/** The parts of one consumer, as closing and the health snapshot read them. */
export interface ConsumerParts {
  readonly context: ConsumerContext;
  readonly lifecycle: ConsumerLifecycle;
  readonly fetcher: Fetcher;
  readonly commits: Commits;
  readonly runs: RunRegistry;
  readonly brokersDown: BrokersDownWatch;
  readonly describer: GroupDescriber;
  /** The group driver once `subscribe` was called; null before, and under `assign`. */
  readonly group: GroupDriver | null;
  /** Whether `assign` or `subscribe` was called. */
  readonly consuming: boolean;
}
