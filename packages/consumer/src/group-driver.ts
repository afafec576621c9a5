/**
 * Runs one of @runnel/group's sans-I/O members through its `GroupMember` interface (the classic
 * `ClassicGroupMember`, or KIP-848's `ConsumerProtocolMember` under `groupProtocol: 'consumer'`; which
 * one is decided once, in `createGroupMember`; or the share consumer's `ShareGroupMember`) on the
 * consumer's clock and cluster client: it sends the
 * requests the member asks for, hands back the answers, wakes the member at `nextPollAt`, feeds it
 * topic ids (from metadata, and from the pattern listing when the subscription is a pattern), and
 * turns the member's events into assignment changes of the consumer, one at a time, acknowledging
 * each once handled. Heartbeats ride on these timers, so user code never delays them.
 */
import type { TopicPartition } from '@runnel/assignors';
import {
  ClassicGroupMember,
  type GroupEvent,
  type GroupGeneration,
  type GroupMember,
  MEMBER_API_DEFINITIONS,
  type MemberPollResult,
  type MemberRequest,
  type ResponseTo,
  type TopicIdAndName,
} from '@runnel/group';
import {
  AuthenticationError,
  type ClusterClient,
  type ClusterMetadata,
  CoordinatorType,
  failure,
  RateLimitedLog,
  type TimerHandle,
} from '@runnel/network';
import { cachedMetadataAnswer } from './cached-metadata.js';
import type { ClientContext, ClientSettings } from './context.js';
import { MembershipEvents } from './membership-events.js';
import { TopicListingLoop } from './pattern-subscription.js';
import type { Subscription } from './subscription.js';
import { warmLeaderConnections } from './warm-up.js';

/** What the driver asks of the consumer when the member's assignment changes (see Rebalances). */
export interface AssignmentHandler {
  /** New partitions: start fetching them, then run the user's listener. */
  assigned(partitions: readonly TopicPartition[], assignment: readonly TopicPartition[]): Promise<void>;
  /** Partitions given up in order: finish their handlers, commit, run the listener, stop fetching. */
  revoked(partitions: readonly TopicPartition[]): Promise<void>;
  /** Partitions lost without a chance to commit: stop fetching at once, run the listener. */
  lost(partitions: readonly TopicPartition[]): Promise<void>;
}

/** What else the driver tells or asks the consumer. */
export interface DriverHooks {
  /** The member cannot continue. */
  fatal(error: Error): void;
  /** True while the user is waiting for data or a handler is running within the max poll interval. */
  isPolling(now: number): boolean;
  /** The coordinator confirmed a membership that was in doubt: held deliveries may go on (none: never held). */
  membershipConfirmed?(): void;
}

// biome-ignore lint/suspicious/noExplicitAny: the member's request carries the API by name; the send pairs that name with its codec.
const API_OF: Record<MemberRequest['api'], any> = MEMBER_API_DEFINITIONS;

/** @returns the ids and names of the topics in `metadata`, as the consumer-protocol member takes them. */
function topicIdsOf(metadata: ClusterMetadata): TopicIdAndName[] {
  const out: TopicIdAndName[] = [];
  for (const t of metadata.topics.values()) {
    if (t.topicId !== null) out.push({ topicId: t.topicId, name: t.name, isInternal: t.isInternal });
  }
  return out;
}

/** @returns what kind of error `error` is, for rate-limited warnings: its class and Kafka or Runnel code. */
function errorKind(error: Error): string {
  const e = error as { code?: unknown; errorCode?: unknown };
  return `${error.name}:${String(e.errorCode ?? e.code ?? '')}`;
}

export class GroupDriver {
  readonly member: GroupMember;
  private readonly client: ClusterClient;
  private readonly config: ClientSettings;
  private timer: TimerHandle | undefined;
  private scheduled = false;
  private closed = false;
  private readonly eventQueue: GroupEvent[] = [];
  private handlingEvents = false;
  private readonly stateWaiters = new Set<() => void>();
  /** Errors the member survives repeat while it retries (no coordinator, a broker down): each kind is warned about once in a while. */
  private readonly warnings: RateLimitedLog;
  /** The metadata snapshot last given to a consumer-protocol member (snapshots are immutable). */
  private fedMetadata: ClusterMetadata | null = null;
  private metadataInFlight = false;
  private lastMetadataAsk = Number.NEGATIVE_INFINITY;
  /** The last listing of every topic of the cluster (pattern subscriptions), or null. */
  private topicListing: readonly TopicIdAndName[] | null = null;
  /** Lists every topic while the subscription is a pattern (a RegExp, or a regex); null otherwise. */
  private listing: TopicListingLoop | null = null;
  private subscription: Subscription | null = null;
  /** The topics a RegExp subscription matched last. */
  private matched: readonly string[] = [];
  private readonly reports: MembershipEvents;

  /** @param member the member to run: the consumer's (`createGroupMember`), or a share group member. */
  constructor(
    private readonly context: ClientContext,
    private readonly handler: AssignmentHandler,
    private readonly hooks: DriverHooks,
    member: GroupMember,
  ) {
    this.client = context.client;
    this.config = context.config;
    this.member = member;
    this.warnings = new RateLimitedLog(context.config.logger, () => context.clock.now());
    this.reports = new MembershipEvents(context.events, member, context.config.logger);
  }

  /** @returns the membership to send commits under. */
  generation(): GroupGeneration {
    return this.member.generation();
  }

  /**
   * @returns the member's state, its id ('' while it has none), epoch (classic: the generation id) and
   *   when (clock time) the coordinator last accepted its heartbeat (null before the first).
   */
  membership(): {
    readonly state: string;
    readonly memberId: string;
    readonly memberEpoch: number;
    readonly lastHeartbeatAt: number | null;
  } {
    const { state, memberId, memberEpoch, lastHeartbeatAt } = this.member;
    return { state, memberId, memberEpoch, lastHeartbeatAt };
  }

  /**
   * Subscribes (or changes the subscription) and starts the loop: to topic names; to the topics a
   * RegExp matches in each listing of the cluster's topics; or to the topics whose whole name matches
   * a regex (RE2/J syntax; consumer protocol only), which the broker resolves where
   * ConsumerGroupHeartbeat v1 exists and the member itself, from the listings, elsewhere.
   * @throws GroupConfigError under the classic protocol for a regex (the consumer refuses that earlier)
   *   or on an invalid regex the member must resolve itself; IllegalTransitionError while leaving.
   */
  subscribeTo(subscription: Subscription): void {
    this.stopListing();
    this.subscription = subscription;
    this.matched = [];
    const now = this.context.clock.now();
    switch (subscription.kind) {
      case 'topics':
        this.member.subscribe(subscription.topics, now);
        if (this.member.assignsByTopicId) {
          // The coordinator names assigned topics by id only: keep the subscribed topics' ids at hand.
          this.fetchMetadata(() => this.client.topicMetadata(subscription.topics));
        }
        this.prepareFor(subscription.topics);
        break;
      case 'regexp':
        this.startListing((topics) => this.onRegExpListing(subscription.pattern, topics));
        break;
      case 'pattern':
        this.member.subscribePattern(subscription.regex, now);
        // Should the broker lack regex support, the member matches against the listings.
        this.startListing((topics) => this.takeListing(topics));
        break;
    }
    this.wake();
  }

  /**
   * @returns the topics subscribed to: the names given, or those a RegExp matched in the last listing;
   *   for a broker-resolved regex, the topics of the partitions assigned now.
   */
  subscribedTopics(): string[] {
    if (this.subscription?.kind === 'topics') return [...this.subscription.topics];
    if (this.subscription?.kind === 'regexp') return [...this.matched];
    return [...new Set(this.member.ownedPartitions.map((tp) => tp.topic))];
  }

  /**
   * Asks the classic member to rejoin (a new rebalance, with `reason` sent in JoinGroup). The consumer
   * protocol has no client-triggered rebalance: Java ignores the call there, and so does this.
   * @returns whether a rebalance was asked for.
   */
  enforceRebalance(reason: string): boolean {
    if (!(this.member instanceof ClassicGroupMember)) return false;
    this.member.requestRejoin(reason, this.context.clock.now());
    this.wake();
    return true;
  }

  /** Records that the user code polled (restarts the member's max-poll-interval timer). */
  recordPoll(now: number): void {
    this.member.recordPoll(now);
  }

  /** @returns whether deliveries must wait: see `GroupMember.membershipInDoubt`. */
  membershipInDoubt(): boolean {
    return this.member.membershipInDoubt;
  }

  /** Tells the member an OffsetCommit failed with `errorCode` under `generationId`. */
  onCommitError(errorCode: number, generationId: number): void {
    this.member.onOffsetCommitError(errorCode, generationId, this.context.clock.now());
    this.wake();
  }

  /**
   * Leaves the group (revoking the partitions first) and waits until the member is out or `deadline`.
   * @returns once the member is UNJOINED or FATAL, or the deadline (clock time) passed.
   */
  async leave(deadline: number): Promise<void> {
    // A driver stopped by a fatal error has no member loop left to carry the LeaveGroup.
    if (this.closed) return;
    const { clock } = this.context;
    this.member.leaveGroup(clock.now());
    this.wake();
    while (!this.member.isOutOfGroup) {
      const left = deadline - clock.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const t = clock.setTimeout(resolve, Math.min(left, 100));
        this.stateWaiters.add(() => {
          clock.clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Stops renewing a pattern subscription (close: a new match must not change it while leaving). */
  stopListing(): void {
    this.listing?.stop();
    this.listing = null;
  }

  /** Stops the timers; requests still in flight end with the client. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.context.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.stopListing();
    for (const w of this.stateWaiters) w();
    this.stateWaiters.clear();
  }

  /** Runs the member soon (coalesced). */
  wake(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.tick();
    });
  }

  private tick(): void {
    if (this.closed) return;
    const { clock } = this.context;
    const now = clock.now();
    if (this.hooks.isPolling(now)) this.member.recordPoll(now);
    let result: MemberPollResult;
    try {
      this.feedMetadata();
      result = this.member.poll(now);
    } catch (error) {
      this.hooks.fatal(error as Error);
      return;
    }
    // An overdue heartbeat (two intervals; classic: the session about to run out) puts the membership
    // in doubt on a timer.
    this.reports.doubtCleared();
    this.askForMetadata(result, now);
    for (const request of result.requests) this.send(request);
    if (result.events.length > 0) {
      this.eventQueue.push(...result.events);
      void this.handleEvents();
    }
    for (const w of this.stateWaiters) w();
    this.stateWaiters.clear();
    if (this.timer !== undefined) clock.clearTimeout(this.timer);
    // Wake at least once a second to note that the user is still polling.
    const wait = Math.max(0, Math.min(result.nextPollAt - now, 1_000));
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, wait);
  }

  private startListing(onListing: (topics: readonly TopicIdAndName[]) => void): void {
    this.listing = new TopicListingLoop(this.context, (topics) => {
      if (!this.closed) onListing(topics);
    });
    this.listing.start();
  }

  /** A RegExp subscription: subscribes to the listed topics whose name the RegExp matches (`test`). */
  private onRegExpListing(pattern: RegExp, topics: readonly TopicIdAndName[]): void {
    const names = topics.filter((t) => !t.isInternal && pattern.test(t.name)).map((t) => t.name);
    try {
      this.member.subscribe(names, this.context.clock.now());
      this.matched = names;
    } catch (error) {
      this.config.logger.warn(
        failure('pattern_subscribe_failed', error),
        'subscribing to the topics the pattern matches failed',
      );
      return;
    }
    this.takeListing(topics);
  }

  /** Keeps a listing for the member's topic ids (a consumer-protocol member), and runs the member. */
  private takeListing(topics: readonly TopicIdAndName[]): void {
    if (this.member.assignsByTopicId) {
      this.topicListing = topics;
      this.feedMetadata(true);
    }
    this.wake();
  }

  /** Hands a consumer-protocol member the topic ids of a metadata snapshot it has not seen yet. */
  private feedMetadata(force = false): void {
    if (!this.member.assignsByTopicId) return;
    const snapshot = this.client.metadata;
    if (snapshot === this.fedMetadata && !force) return;
    this.fedMetadata = snapshot;
    const known = topicIdsOf(snapshot);
    // Each call replaces the member's topic list: a snapshot holds only the topics of interest, so after
    // a listing of every topic it must add to that listing, or a client-side regex would lose matches.
    if (this.topicListing === null) {
      // Nor may a regex the member matches itself see a snapshot before the first listing: it would
      // join with only the topics of interest that match. The listing names every assigned id too.
      if (this.subscription?.kind === 'pattern') return;
      this.member.onMetadata(known);
      return;
    }
    const byId = new Map(this.topicListing.map((t) => [t.topicId, t]));
    for (const t of known) byId.set(t.topicId, t);
    this.member.onMetadata([...byId.values()]);
  }

  /** Refreshes metadata (at most once per retry backoff) when the member names topic ids it cannot resolve. */
  private askForMetadata(result: MemberPollResult, now: number): void {
    const unresolved = result.unresolvedTopicIds.length > 0;
    if (!unresolved && !result.topicListWanted) return;
    if (now - this.lastMetadataAsk < Math.max(1, this.config.retryBackoffMs)) return;
    this.lastMetadataAsk = now;
    // Under a pattern, assigned topics may be ones no snapshot holds: only a listing names them.
    if (this.listing) this.listing.listSoon();
    else this.fetchMetadata(() => this.client.refreshMetadata());
  }

  /**
   * While the member looks for its coordinator and joins: the subscribed topics' metadata (the leader's
   * assignment, ListOffsets and Fetch need it) and connections to their leaders, so that none of it
   * waits until the assignment arrived. Shares the refresh `fetchMetadata` may have started.
   */
  private prepareFor(topics: readonly string[]): void {
    this.client.topicMetadata(topics).then(
      (metadata) => {
        if (!this.closed) warmLeaderConnections(this.client, metadata, { topics });
      },
      (error: unknown) => this.config.logger.debug({ err: error }, 'subscribed topics metadata failed'),
    );
  }

  /**
   * The member found its coordinator: the cluster client's own coordinator requests (OffsetFetch,
   * OffsetCommit) go there without a FindCoordinator of their own, on a connection opened now.
   */
  private shareCoordinator(): void {
    const node = this.member.coordinator;
    if (node === null || this.config.groupId === null) return;
    const broker = { nodeId: node.nodeId, host: node.host, port: node.port, rack: null };
    this.client.rememberCoordinator(CoordinatorType.group, this.config.groupId, broker);
    this.client.warmConnection(broker, 'default');
  }

  /** Runs one metadata refresh at a time (consumer protocol) and hands its topic ids to the member. */
  private fetchMetadata(fetch: () => Promise<ClusterMetadata>): void {
    if (this.metadataInFlight || !this.member.assignsByTopicId) return;
    this.metadataInFlight = true;
    fetch()
      .then(
        () => {
          if (!this.closed) this.feedMetadata();
        },
        (error: unknown) => this.config.logger.debug({ err: error }, 'group metadata refresh failed'),
      )
      .finally(() => {
        this.metadataInFlight = false;
        this.wake();
      });
  }

  private send(request: MemberRequest): void {
    const cached = cachedMetadataAnswer(this.client, request);
    if (cached !== null) {
      this.config.logger.debug({ api: request.api }, 'group metadata answered from the cached metadata');
      // Answered on a later turn, as a broker's answer would be: the member's poll has not ended yet.
      void Promise.resolve()
        .then(() => {
          if (!this.closed)
            this.member.onResponse(request, cached as ResponseTo<MemberRequest>, this.context.clock.now());
        })
        .catch((error: unknown) => this.hooks.fatal(error as Error))
        .finally(() => this.wake());
      return;
    }
    const target =
      request.target.kind === 'any'
        ? request.target
        : ({ kind: 'broker', nodeId: request.target.node.nodeId } as const);
    const sentAt = this.context.clock.now();
    this.reports.sent(request.api, sentAt);
    this.client
      .send({
        target,
        api: API_OF[request.api],
        purpose: 'group',
        retry: false,
        timeoutMs: request.timeoutMs,
        // Below its minVersion a request loses what it relies on (a regex, an instance id): the member
        // wants the UnsupportedVersionError then, not a request the broker would misread.
        minVersion: request.minVersion,
        maxVersion: request.maxVersion,
        message: (version: number) => request.bodyAt(version),
      })
      .then(
        (response: unknown) => this.deliver(request, response, sentAt),
        (error: unknown) => {
          if (this.closed) return;
          if (error instanceof AuthenticationError) {
            // The same certificate or credentials fail the same way again: stop instead of retrying.
            this.close();
            this.hooks.fatal(error);
            return;
          }
          this.config.logger.debug({ err: error, api: request.api }, 'group request failed');
          this.deliver(request, error instanceof Error ? error : new Error(String(error)), sentAt);
        },
      )
      .catch((error: unknown) => this.hooks.fatal(error as Error))
      .finally(() => this.wake());
  }

  /** Hands a response (or the Error that stopped the request) to the member that asked. */
  private deliver(request: MemberRequest, result: unknown, sentAt: number): void {
    // The client decoded `result` with the codec of the request's own API.
    this.member.onResponse(request, result as ResponseTo<MemberRequest>, this.context.clock.now());
    this.reports.answered(request.api, result, sentAt);
    if (request.api === 'FindCoordinator') this.shareCoordinator();
    const { membershipConfirmed } = this.hooks;
    if (membershipConfirmed && this.reports.doubtCleared(request.api)) membershipConfirmed();
  }

  private async handleEvents(): Promise<void> {
    if (this.handlingEvents) return;
    this.handlingEvents = true;
    try {
      while (this.eventQueue.length > 0 && !this.closed) {
        const event = this.eventQueue.shift()!;
        switch (event.type) {
          case 'partitionsAssigned':
            this.reports.assigned(event.assignment, this.context.clock.now());
            await this.handle(event.type, () => this.handler.assigned(event.partitions, event.assignment));
            this.member.acknowledge(event.id, this.context.clock.now());
            break;
          case 'partitionsRevoked':
            await this.handle(event.type, () => this.handler.revoked(event.partitions));
            this.member.acknowledge(event.id, this.context.clock.now());
            break;
          case 'partitionsLost':
            await this.handle(event.type, () => this.handler.lost(event.partitions));
            this.member.acknowledge(event.id, this.context.clock.now());
            break;
          case 'error':
            this.warnings.warn(
              `group ${errorKind(event.error)}`,
              failure('group_error', event.error),
              'group error',
            );
            break;
          case 'fatal':
            this.hooks.fatal(event.error);
            break;
        }
        this.wake();
      }
    } finally {
      this.handlingEvents = false;
    }
  }

  /** Runs the consumer's handling of an assignment change; a failure there must not wedge the group. */
  private async handle(event: string, handling: () => Promise<void>): Promise<void> {
    try {
      await handling();
    } catch (error) {
      this.config.logger.error(
        { ...failure('assignment_change_failed', error), change: event },
        'handling an assignment change failed',
      );
    }
  }
}
