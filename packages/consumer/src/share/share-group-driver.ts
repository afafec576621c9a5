/**
 * Runs @runnel/group's sans-I/O `ShareGroupMember` with real timers and the cluster client: sends the
 * requests it asks for, hands back the answers, wakes it at `nextPollAt`, feeds it topic ids from
 * metadata, and turns its events into the partitions the share fetcher fetches. The loop follows the
 * consumer's GroupDriver (`group-driver.ts`), which cannot be handed a member of another kind; once it
 * can, this file shrinks to the event handling.
 */
import {
  type GroupEvent,
  MEMBER_API_DEFINITIONS,
  type MemberPollResult,
  ShareGroupMember,
  type ShareGroupRequest,
  type ShareGroupResponseFor,
  type TopicIdAndName,
} from '@runnel/group';
import {
  AuthenticationError,
  type ClusterClient,
  type ClusterMetadata,
  RateLimitedLog,
} from '@runnel/network';
import type { TopicPartition } from '../batch.js';
import type { ResolvedShareConfig } from './share-config.js';

/** What the driver asks of the share consumer when the member's assignment changes. */
export interface ShareAssignmentHandler {
  /** The partitions to fetch now (the whole assignment). */
  assigned(assignment: readonly TopicPartition[]): void;
  /** Partitions no longer to fetch, revoked in order or lost. */
  dropped(partitions: readonly TopicPartition[]): void;
  /** The member cannot continue. */
  fatal(error: Error): void;
}

// biome-ignore lint/suspicious/noExplicitAny: the member's request carries the API by name; the send pairs that name with its codec.
const API_OF: Record<ShareGroupRequest['api'], any> = MEMBER_API_DEFINITIONS;

export class ShareGroupDriver {
  readonly member: ShareGroupMember;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private scheduled = false;
  private closed = false;
  private readonly stateWaiters = new Set<() => void>();
  private fedMetadata: ClusterMetadata | null = null;
  private metadataInFlight = false;
  private lastMetadataAsk = Number.NEGATIVE_INFINITY;
  private topics: readonly string[] = [];
  /** Errors the member retries (a coordinator away, a broker down) repeat: each kind is logged once in a while. */
  private readonly warnings: RateLimitedLog;

  constructor(
    private readonly client: ClusterClient,
    private readonly config: ResolvedShareConfig,
    private readonly handler: ShareAssignmentHandler,
  ) {
    this.warnings = new RateLimitedLog(config.logger, () => Date.now());
    this.member = new ShareGroupMember({
      groupId: config.groupId,
      clientRack: config.rack,
      requestTimeoutMs: config.requestTimeoutMs,
      retryBackoffMs: Math.max(1, config.retryBackoffMs),
    });
  }

  /** Subscribes (or changes the subscription) and starts the loop. @throws IllegalTransitionError while leaving. */
  subscribe(topics: readonly string[]): void {
    this.member.subscribe(topics, Date.now());
    this.topics = topics;
    // The coordinator names assigned topics by id only: keep the subscribed topics' ids at hand.
    this.fetchMetadata(() => this.client.topicMetadata(topics));
    this.wake();
  }

  /** Leaves the group and waits until the member is out or `deadline` (Date.now() ms) passed. */
  async leave(deadline: number): Promise<void> {
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
    let result: MemberPollResult<ShareGroupRequest>;
    try {
      this.feedMetadata();
      result = this.member.poll(now);
    } catch (error) {
      this.handler.fatal(error as Error);
      return;
    }
    if (
      result.unresolvedTopicIds.length > 0 &&
      now - this.lastMetadataAsk >= Math.max(1, this.config.retryBackoffMs)
    ) {
      this.lastMetadataAsk = now;
      this.fetchMetadata(() => this.client.refreshMetadata());
    }
    for (const request of result.requests) this.send(request);
    for (const event of result.events) this.handle(event);
    for (const w of this.stateWaiters) w();
    this.stateWaiters.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.tick();
      },
      Math.max(0, Math.min(result.nextPollAt - now, 1_000)),
    );
    this.timer.unref();
  }

  /** Hands the member the topic ids of a metadata snapshot it has not seen yet. */
  private feedMetadata(): void {
    const snapshot = this.client.metadata;
    if (snapshot === this.fedMetadata) return;
    this.fedMetadata = snapshot;
    const known: TopicIdAndName[] = [];
    for (const t of snapshot.topics.values()) {
      if (t.topicId !== null) known.push({ topicId: t.topicId, name: t.name, isInternal: t.isInternal });
    }
    this.member.onMetadata(known);
  }

  private fetchMetadata(fetch: () => Promise<unknown>): void {
    if (this.metadataInFlight) return;
    this.metadataInFlight = true;
    fetch()
      .catch((error: unknown) => {
        if (error instanceof AuthenticationError && !this.closed) this.handler.fatal(error);
        else
          this.config.logger.debug(
            { err: error, topics: this.topics },
            'share group metadata refresh failed',
          );
      })
      .finally(() => {
        this.metadataInFlight = false;
        this.wake();
      });
  }

  private send(request: ShareGroupRequest): void {
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
        minVersion: request.minVersion,
        maxVersion: request.maxVersion,
        message: (version: number) => request.bodyAt(version),
      })
      .then(
        (response: unknown) => this.deliver(request, response),
        (error: unknown) => {
          if (this.closed) return;
          if (error instanceof AuthenticationError) {
            this.close();
            this.handler.fatal(error);
            return;
          }
          this.config.logger.debug({ err: error, api: request.api }, 'share group request failed');
          this.deliver(request, error instanceof Error ? error : new Error(String(error)));
        },
      )
      .catch((error: unknown) => this.handler.fatal(error as Error))
      .finally(() => this.wake());
  }

  private deliver(request: ShareGroupRequest, result: unknown): void {
    this.member.onResponse(request, result as ShareGroupResponseFor<ShareGroupRequest>, Date.now());
  }

  /** The share consumer has no listeners to wait for: each event is applied and acknowledged at once. */
  private handle(event: GroupEvent): void {
    switch (event.type) {
      case 'partitionsAssigned':
        this.config.logger.info({ partitions: event.assignment.length }, 'share partitions assigned');
        this.handler.assigned(event.assignment);
        this.member.acknowledge(event.id, Date.now());
        break;
      case 'partitionsRevoked':
      case 'partitionsLost':
        this.handler.dropped(event.partitions);
        this.member.acknowledge(event.id, Date.now());
        break;
      case 'error': {
        const kind = (event.error as { code?: unknown }).code ?? event.error.name;
        this.warnings.warn(`group ${String(kind)}`, { err: event.error }, 'share group error');
        break;
      }
      case 'fatal':
        this.handler.fatal(event.error);
        break;
    }
    this.wake();
  }
}
