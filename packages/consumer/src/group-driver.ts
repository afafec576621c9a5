/**
 * Runs one of @runnel/group's sans-I/O members through its `GroupMember` interface (the classic
 * `ClassicGroupMember`, or KIP-848's `ConsumerProtocolMember` under `groupProtocol: 'consumer'`; which
 * one is decided once, in `createGroupMember`) with real timers and the cluster client: it sends the
 * requests the member asks for, hands back the answers, wakes the member at `nextPollAt`, and turns the
 * member's events into assignment changes of the consumer. Heartbeats ride on these timers, so user code
 * never delays them.
 */
import type { TopicPartition } from '@runnel/assignors';
import {
  ClassicGroupMember,
  ConsumerProtocolMember,
  type GroupEvent,
  type GroupGeneration,
  type GroupMember,
  MEMBER_API_DEFINITIONS,
  type MemberPollResult,
  type MemberRequest,
  type ResponseTo,
  type TopicIdAndName,
} from '@runnel/group';
import { AuthenticationError, type ClusterClient, type ClusterMetadata } from '@runnel/network';
import type { ResolvedConfig } from './config.js';
import { listTopics } from './topic-listing.js';

/** What the driver asks of the consumer when the member's assignment changes. */
export interface AssignmentHandler {
  /** New partitions: start fetching them, then run the user's listener. */
  assigned(partitions: readonly TopicPartition[], assignment: readonly TopicPartition[]): Promise<void>;
  /** Partitions given up in order: finish their handlers, commit, run the listener, stop fetching. */
  revoked(partitions: readonly TopicPartition[]): Promise<void>;
  /** Partitions lost without a chance to commit: stop fetching at once, run the listener. */
  lost(partitions: readonly TopicPartition[]): Promise<void>;
  /** The member cannot continue. */
  fatal(error: Error): void;
  /** True while the user is waiting for data or a handler is running within the max poll interval. */
  isPolling(): boolean;
}

/**
 * @returns the member of `config.groupProtocol`: KIP-848's under 'consumer' (Java ignores the
 *   classic-only options there: the broker sets the session and heartbeat times), else the classic one.
 * @throws GroupConfigError on settings the member cannot run with.
 */
export function createGroupMember(config: ResolvedConfig): GroupMember {
  const common = {
    groupId: config.groupId!,
    groupInstanceId: config.groupInstanceId,
    clientRack: config.rack,
    maxPollIntervalMs: config.maxPollIntervalMs,
    requestTimeoutMs: config.requestTimeoutMs,
    retryBackoffMs: Math.max(1, config.retryBackoffMs),
  };
  if (config.groupProtocol === 'consumer') {
    return new ConsumerProtocolMember({ ...common, serverAssignor: config.groupRemoteAssignor });
  }
  return new ClassicGroupMember({
    ...common,
    assignors: config.assignors,
    sessionTimeoutMs: config.sessionTimeoutMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    rebalanceTimeoutMs: config.rebalanceTimeoutMs,
  });
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

export class GroupDriver {
  readonly member: GroupMember;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private scheduled = false;
  private closed = false;
  private readonly eventQueue: GroupEvent[] = [];
  private handlingEvents = false;
  private readonly stateWaiters = new Set<() => void>();
  /** The metadata snapshot last given to a consumer-protocol member (snapshots are immutable). */
  private fedMetadata: ClusterMetadata | null = null;
  private metadataInFlight = false;
  private lastMetadataAsk = Number.NEGATIVE_INFINITY;
  /** The last listing of every topic of the cluster (pattern subscriptions), or null. */
  private topicListing: readonly TopicIdAndName[] | null = null;
  /** Whether the subscription is a regular expression, whose matches change as topics come and go. */
  private patternSubscribed = false;
  private listingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly client: ClusterClient,
    private readonly config: ResolvedConfig,
    private readonly handler: AssignmentHandler,
  ) {
    this.member = createGroupMember(config);
  }

  /** @returns the membership to send commits under. */
  generation(): GroupGeneration {
    return this.member.generation();
  }

  /** @returns the member's state, its id ('' while it has none) and epoch (classic: the generation id). */
  membership(): { readonly state: string; readonly memberId: string; readonly memberEpoch: number } {
    const { state, memberId, memberEpoch } = this.member;
    return { state, memberId, memberEpoch };
  }

  /** Subscribes (or changes the subscription) and starts the loop. @throws IllegalTransitionError while leaving. */
  subscribe(topics: readonly string[]): void {
    this.member.subscribe(topics, Date.now());
    this.patternSubscribed = false;
    this.stopListing();
    if (this.member.assignsByTopicId) {
      // The coordinator names assigned topics by id only: keep the subscribed topics' ids at hand.
      this.fetchMetadata(() => this.client.topicMetadata(topics));
    }
    this.wake();
  }

  /**
   * Subscribes to the topics whose whole name matches `regex` (RE2/J syntax; consumer protocol only):
   * the broker resolves it where ConsumerGroupHeartbeat v1 exists, the member itself elsewhere, from
   * a listing of every topic that this driver renews every `metadataMaxAgeMs`.
   * @throws GroupConfigError under the classic protocol (the consumer refuses that earlier) or on an
   *   invalid regex the member must resolve itself; IllegalTransitionError while leaving.
   */
  subscribePattern(regex: string): void {
    this.member.subscribePattern(regex, Date.now());
    this.patternSubscribed = true;
    // List at once: should the broker lack regex support, the member matches against this listing.
    this.scheduleListing(0);
    this.wake();
  }

  /** Records that the user code polled (restarts the member's max-poll-interval timer). */
  recordPoll(now: number): void {
    this.member.recordPoll(now);
  }

  /** Tells the member an OffsetCommit failed with `errorCode` under `generationId`. */
  onCommitError(errorCode: number, generationId: number): void {
    this.member.onOffsetCommitError(errorCode, generationId, Date.now());
    this.wake();
  }

  /**
   * Leaves the group (revoking the partitions first) and waits until the member is out or `deadline`.
   * @returns once the member is UNJOINED or FATAL, or the deadline passed.
   */
  async leave(deadline: number): Promise<void> {
    // A driver stopped by a fatal error has no member loop left to carry the LeaveGroup.
    if (this.closed) return;
    this.member.leaveGroup(Date.now());
    this.wake();
    while (!this.member.isOutOfGroup) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.stateWaiters.add(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Stops the timers; requests still in flight end with the client. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
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
    const now = Date.now();
    if (this.handler.isPolling()) this.member.recordPoll(now);
    let result: MemberPollResult;
    try {
      this.feedMetadata();
      result = this.member.poll(now);
    } catch (error) {
      this.handler.fatal(error as Error);
      return;
    }
    this.askForMetadata(result, now);
    for (const request of result.requests) this.send(request);
    if (result.events.length > 0) {
      this.eventQueue.push(...result.events);
      void this.handleEvents();
    }
    for (const w of this.stateWaiters) w();
    this.stateWaiters.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // Wake at least once a second to note that the user is still polling.
    const wait = Math.max(0, Math.min(result.nextPollAt - now, 1_000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, wait);
    this.timer.unref();
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
    // Under a broker-side regex, assigned topics may be ones no snapshot holds: only a listing names them.
    if (result.topicListWanted || this.patternSubscribed) {
      this.fetchMetadata(() => listTopics(this.client));
    } else {
      this.fetchMetadata(() => this.client.refreshMetadata());
    }
  }

  /**
   * Runs one metadata fetch at a time and hands its topic ids to the member.
   * @returns whether it started (false while another one runs); `failed` runs when it started and failed.
   */
  private fetchMetadata(
    fetch: () => Promise<ClusterMetadata | TopicIdAndName[]>,
    failed: () => void = () => {},
  ): boolean {
    if (this.metadataInFlight || !this.member.assignsByTopicId) return false;
    this.metadataInFlight = true;
    fetch()
      .then(
        (answer) => {
          if (this.closed) return;
          if (Array.isArray(answer)) this.topicListing = answer;
          this.feedMetadata(Array.isArray(answer));
        },
        (error: unknown) => {
          this.config.logger.debug({ err: error }, 'group metadata refresh failed');
          failed();
        },
      )
      .finally(() => {
        this.metadataInFlight = false;
        this.wake();
      });
    return true;
  }

  /** Lists every topic again after `ms` and then every `metadataMaxAgeMs`, so that new matches join. */
  private scheduleListing(ms: number): void {
    this.stopListing();
    if (this.closed) return;
    this.listingTimer = setTimeout(() => {
      this.listingTimer = undefined;
      if (!this.patternSubscribed || this.closed) return;
      // A listing that could not start or failed is tried again soon, not a whole metadataMaxAgeMs later.
      const soon = Math.max(100, this.config.retryBackoffMs);
      const started = this.fetchMetadata(
        () => listTopics(this.client),
        () => this.scheduleListing(soon),
      );
      this.scheduleListing(started ? this.config.metadataMaxAgeMs : soon);
    }, ms);
    this.listingTimer.unref();
  }

  private stopListing(): void {
    if (this.listingTimer !== undefined) clearTimeout(this.listingTimer);
    this.listingTimer = undefined;
  }

  private send(request: MemberRequest): void {
    const target =
      request.target.kind === 'any'
        ? ({ kind: 'any' } as const)
        : ({ kind: 'broker', nodeId: request.target.node.nodeId } as const);
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
        (response: unknown) => this.deliver(request, response),
        (error: unknown) => {
          if (this.closed) return;
          if (error instanceof AuthenticationError) {
            // The same certificate or credentials fail the same way again: stop instead of retrying.
            this.close();
            this.handler.fatal(error);
            return;
          }
          this.config.logger.debug({ err: error, api: request.api }, 'group request failed');
          this.deliver(request, error instanceof Error ? error : new Error(String(error)));
        },
      )
      .catch((error: unknown) => this.handler.fatal(error as Error))
      .finally(() => this.wake());
  }

  /** Hands a response (or the Error that stopped the request) to the member that asked. */
  private deliver(request: MemberRequest, result: unknown): void {
    // The client decoded `result` with the codec of the request's own API.
    this.member.onResponse(request, result as ResponseTo<MemberRequest>, Date.now());
  }

  private async handleEvents(): Promise<void> {
    if (this.handlingEvents) return;
    this.handlingEvents = true;
    try {
      while (this.eventQueue.length > 0 && !this.closed) {
        const event = this.eventQueue.shift()!;
        switch (event.type) {
          case 'partitionsAssigned':
            await this.runListener('onAssigned', () =>
              this.handler.assigned(event.partitions, event.assignment),
            );
            this.member.acknowledge(event.id, Date.now());
            break;
          case 'partitionsRevoked':
            await this.runListener('onRevoked', () => this.handler.revoked(event.partitions));
            this.member.acknowledge(event.id, Date.now());
            break;
          case 'partitionsLost':
            await this.runListener('onLost', () => this.handler.lost(event.partitions));
            this.member.acknowledge(event.id, Date.now());
            break;
          case 'error':
            this.config.logger.warn({ err: event.error }, 'group error');
            break;
          case 'fatal':
            this.handler.fatal(event.error);
            break;
        }
        this.wake();
      }
    } finally {
      this.handlingEvents = false;
    }
  }

  private async runListener(name: string, listener: () => Promise<void>): Promise<void> {
    try {
      await listener();
    } catch (error) {
      // A throwing listener must not wedge the group: Java logs it and goes on, and so do we.
      this.config.logger.error({ err: error }, `rebalance listener ${name} failed`);
    }
  }
}
