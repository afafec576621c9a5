/**
 * What the unit-test harnesses of both members share: a fake clock, a scripted coordinator (the test
 * decides every response; the harness keeps the requests the member emitted and the events it raised),
 * and the fixtures both protocols use.
 */
import type { TopicPartition } from '@runnel/protocol';
import type { GroupMemberConfig } from '../core/member-config.js';
import type { GroupEvent } from '../events.js';
import type { ApiMap, BrokerNode, GroupApis, MemberRequest, MemberRequestOf } from '../requests.js';

export const COORDINATOR: BrokerNode = { nodeId: 1, host: 'broker-1', port: 9092 };
export const OTHER_COORDINATOR: BrokerNode = { nodeId: 2, host: 'broker-2', port: 9092 };
export const GROUP = 'orders';
export const MAX_POLL_MS = 60_000;
export const BACKOFF_MS = 100;

/** The settings both harnesses build their member with, on top of which each test sets its own. */
export const MEMBER_CONFIG = {
  groupId: GROUP,
  maxPollIntervalMs: MAX_POLL_MS,
  retryBackoffMs: BACKOFF_MS,
  retryBackoffMaxMs: 1_000,
  random: () => 0.5,
} as const satisfies GroupMemberConfig;

/** What a broker connection dropping mid-request looks like to the member. */
export function connectionLost(): Error {
  return new Error('connection reset by broker-1:9092');
}

/** @returns the types of `events`, in order. */
export function eventTypes(events: readonly GroupEvent[]): string[] {
  return events.map((e) => e.type);
}

/** @returns the first event of `type`, which must carry an id to acknowledge. */
export function withId(events: readonly GroupEvent[], type: GroupEvent['type']): GroupEvent & { id: number } {
  const e = events.find((x) => x.type === type);
  if (!e || !('id' in e)) throw new Error(`no ${type} event`);
  return e;
}

export function tp(topic: string, partition: number): TopicPartition {
  return { topic, partition };
}

export function findCoordinatorOk(node: BrokerNode = COORDINATOR): GroupApis['FindCoordinator']['response'] {
  return { errorCode: 0, errorMessage: null, nodeId: node.nodeId, host: node.host, port: node.port };
}

export function findCoordinatorError(errorCode: number): GroupApis['FindCoordinator']['response'] {
  return { errorCode, errorMessage: null, nodeId: -1, host: '', port: -1 };
}

/** The driver API both members share, over the requests of `Apis`. */
export interface ScriptableMember<Apis extends ApiMap<Apis>> {
  poll(now: number): {
    readonly requests: MemberRequest<Apis>[];
    readonly events: GroupEvent[];
    readonly nextPollAt: number;
  };
  // biome-ignore lint/suspicious/noExplicitAny: each member types its answers by request; the harness checks `respond`'s.
  onResponse(request: any, result: any, now: number): void;
  acknowledge(eventId: number, now: number): void;
}

/** Drives a member on a fake clock; the test answers each request it emits. */
export class ScriptedCoordinator<Apis extends ApiMap<Apis>, M extends ScriptableMember<Apis>> {
  now = 1_000_000;
  /** Requests emitted and not answered yet, oldest first. */
  outstanding: MemberRequest<Apis>[] = [];
  /** Requests emitted by the last `poll`. */
  lastRequests: MemberRequest<Apis>[] = [];
  /** Every event raised, in order. */
  events: GroupEvent[] = [];
  nextPollAt = 0;

  constructor(readonly member: M) {}

  /** Polls the member at the current time. @returns the requests it emitted. */
  poll(): MemberRequest<Apis>[] {
    const r = this.member.poll(this.now);
    this.lastRequests = r.requests;
    this.outstanding.push(...r.requests);
    this.events.push(...r.events);
    this.nextPollAt = r.nextPollAt;
    return r.requests;
  }

  /** Names of the APIs the last poll emitted. */
  apis(): (keyof Apis & string)[] {
    return this.lastRequests.map((r) => r.api);
  }

  /** @returns the oldest outstanding request of `api`. @throws Error when there is none. */
  take<A extends keyof Apis & string>(api: A): MemberRequestOf<Apis, A> {
    const i = this.outstanding.findIndex((r) => r.api === api);
    if (i < 0) {
      throw new Error(
        `no outstanding ${api} request (outstanding: ${this.outstanding.map((r) => r.api).join(', ')})`,
      );
    }
    const [r] = this.outstanding.splice(i, 1);
    return r as MemberRequestOf<Apis, A>;
  }

  /** Answers the oldest outstanding `api` request, then polls. @returns the request answered. */
  respond<A extends keyof Apis & string>(
    api: A,
    response: Apis[A]['response'] | Error,
  ): MemberRequestOf<Apis, A> {
    const r = this.take(api);
    this.member.onResponse(r, response, this.now);
    this.poll();
    return r;
  }

  /**
   * Plays a consumer that handles every event at once: acknowledges each one (also those raised by an
   * acknowledgement, such as the assignment that follows a revocation), polling in between.
   */
  ackAll(): void {
    const acked = new Set<number>();
    for (let round = 0; round < 10; round++) {
      this.poll();
      const open = this.events.filter((e) => 'id' in e && !acked.has(e.id)) as { id: number }[];
      if (open.length === 0) return;
      for (const e of open) {
        acked.add(e.id);
        this.member.acknowledge(e.id, this.now);
      }
    }
    throw new Error('events kept coming for ten rounds of acknowledgements');
  }

  /** Events raised since `mark`, without the ones of type `error`. */
  eventsSince(mark: number): GroupEvent[] {
    return this.events.slice(mark).filter((e) => e.type !== 'error');
  }
}
