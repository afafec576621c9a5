/**
 * Runs @runnel/group's sans-I/O classic member with real timers and the cluster client: it sends the
 * requests the member asks for, hands back the answers, wakes the member at `nextPollAt`, and turns the
 * member's events into assignment changes of the consumer. Heartbeats ride on these timers, so user
 * code never delays them.
 */
import type { TopicPartition } from '@runnel/assignors';
import {
  ClassicGroupMember,
  type GroupEvent,
  type GroupGeneration,
  type GroupRequest,
  MemberState,
} from '@runnel/group';
import { AuthenticationError, type ClusterClient } from '@runnel/network';
import { FindCoordinator, Heartbeat, JoinGroup, LeaveGroup, Metadata, SyncGroup } from '@runnel/protocol';
import type { ResolvedConfig } from './config.js';

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

// biome-ignore lint/suspicious/noExplicitAny: the member's request carries the API by name; the map below pairs each name with its codec.
const APIS: Record<GroupRequest['api'], any> = {
  FindCoordinator,
  JoinGroup,
  SyncGroup,
  Heartbeat,
  LeaveGroup,
  Metadata,
};

export class GroupDriver {
  readonly member: ClassicGroupMember;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private scheduled = false;
  private closed = false;
  private readonly eventQueue: GroupEvent[] = [];
  private handlingEvents = false;
  private readonly stateWaiters = new Set<() => void>();

  constructor(
    private readonly client: ClusterClient,
    private readonly config: ResolvedConfig,
    private readonly handler: AssignmentHandler,
  ) {
    this.member = new ClassicGroupMember({
      groupId: config.groupId!,
      groupInstanceId: config.groupInstanceId,
      clientRack: config.rack,
      assignors: config.assignors,
      sessionTimeoutMs: config.sessionTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      maxPollIntervalMs: config.maxPollIntervalMs,
      rebalanceTimeoutMs: config.rebalanceTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      retryBackoffMs: Math.max(1, config.retryBackoffMs),
    });
  }

  /** @returns the membership to send commits under. */
  generation(): GroupGeneration {
    return this.member.generation();
  }

  /** Subscribes (or changes the subscription) and starts the loop. @throws IllegalTransitionError while leaving. */
  subscribe(topics: readonly string[]): void {
    this.member.subscribe(topics, Date.now());
    this.wake();
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
    while (this.member.state !== MemberState.UNJOINED && this.member.state !== MemberState.FATAL) {
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
    if (this.handler.isPolling()) this.member.recordPoll(now);
    let result: ReturnType<ClassicGroupMember['poll']>;
    try {
      result = this.member.poll(now);
    } catch (error) {
      this.handler.fatal(error as Error);
      return;
    }
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

  private send(request: GroupRequest): void {
    const target =
      request.target.kind === 'any'
        ? ({ kind: 'any' } as const)
        : ({ kind: 'broker', nodeId: request.target.node.nodeId } as const);
    this.client
      .send({
        target,
        api: APIS[request.api],
        purpose: 'group',
        retry: false,
        timeoutMs: request.timeoutMs,
        maxVersion: request.maxVersion,
        message: (version: number) => request.bodyAt(version),
      })
      .then(
        (response: unknown) => this.member.onResponse(request, response as never, Date.now()),
        (error: unknown) => {
          if (this.closed) return;
          if (error instanceof AuthenticationError) {
            // The same certificate or credentials fail the same way again: stop instead of retrying.
            this.close();
            this.handler.fatal(error);
            return;
          }
          this.config.logger.debug({ err: error, api: request.api }, 'group request failed');
          this.member.onResponse(
            request,
            error instanceof Error ? error : new Error(String(error)),
            Date.now(),
          );
        },
      )
      .catch((error: unknown) => this.handler.fatal(error as Error))
      .finally(() => this.wake());
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
