/**
 * One member of a consumer group under the consumer group protocol of KIP-848 (GA in Kafka 4.0), as a
 * sans-I/O state machine. The coordinator computes the assignment; the member sends one request,
 * ConsumerGroupHeartbeat, to join, to stay alive, to acknowledge what it reconciled, and to leave.
 *
 * It is driven as every `GroupMember` is (see `group-member.ts`). Two inputs are particular to this
 * protocol: the driver supplies topic ids and names from metadata (`onMetadata`), because the
 * coordinator names assigned topics only by id; and `poll` reports the ids it could not resolve yet.
 *
 * Where its rules live: the states and the transition table in `consumer-protocol-states.ts`; the
 * membership and its transitions in `consumer-protocol-membership.ts`; the heartbeat and its answers
 * in `consumer-protocol-heartbeat.ts`; the reconciliation in `consumer-protocol-reconciliation.ts`;
 * what every member shares in `core/member-core.ts`.
 */
import type {
  ConsumerGroupDescribeResponse,
  ConsumerGroupHeartbeatResponse,
  TopicPartition,
} from '@runnel/protocol';
import { NOT_AWAITED } from '../core/in-flight.js';
import { type GroupMemberConfig, readGroupMemberConfig } from '../core/member-config.js';
import { GroupConfigError, IllegalTransitionError } from '../errors.js';
import type { GroupGeneration } from '../events.js';
import type { GroupMember, MemberPollResult } from '../group-member.js';
import type { FindCoordinatorResponse } from '../messages.js';
import type {
  BrokerNode,
  ConsumerProtocolApis,
  ConsumerProtocolRequest,
  ConsumerProtocolResponseFor,
} from '../requests.js';
import type { TopicIdAndName } from '../topic-partitions.js';
import { subscribedNames } from './abstract-membership.js';
import { withoutIds } from './consumer-protocol-assignment.js';
import type {
  ConsumerGroupDescription,
  ConsumerGroupMemberDescription,
} from './consumer-protocol-describe.js';
import { onHeartbeat } from './consumer-protocol-heartbeat.js';
import { ConsumerProtocolMembership } from './consumer-protocol-membership.js';
import { maybeReconcile } from './consumer-protocol-reconciliation.js';
import { ConsumerProtocolMemberState, IN_GROUP } from './consumer-protocol-states.js';
import { type ConsumerProtocolSubscription, compileClientRegex } from './consumer-protocol-subscription.js';
import { EpochMemberBase } from './epoch-member-base.js';

/**
 * Configuration of a consumer-protocol member: the settings every member shares (`client.rack` is sent
 * when joining, `max.poll.interval.ms` is also the rebalance timeout, as in Java) and those of KIP-848;
 * names follow the Java consumer's settings.
 */
export interface ConsumerProtocolMemberConfig extends GroupMemberConfig {
  /** `group.remote.assignor`: the server-side assignor to ask for (e.g. `uniform`, `range`), or the broker's default. */
  readonly serverAssignor?: string | null;
  /** The member id; by default a random one, as the Java consumer makes it at startup (KIP-1082). */
  readonly memberId?: string;
}

/** What `poll` returns: the requests, events and next poll time, plus what the member needs from metadata. */
export type ConsumerProtocolPollResult = MemberPollResult<ConsumerProtocolRequest>;

/** The membership the consumer needs for OffsetCommit: `generationId` carries the member epoch. */
export type ConsumerProtocolGeneration = GroupGeneration;

/** A health snapshot: the member's own view, plus what the coordinator recorded at the last describe. */
export interface ConsumerProtocolHealth {
  readonly state: ConsumerProtocolMemberState;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly coordinator: BrokerNode | null;
  /** What the member owns as the coordinator knows it (acknowledged), sorted. */
  readonly ownedPartitions: readonly TopicPartition[];
  readonly unresolvedTopicIds: readonly string[];
  /** The last ConsumerGroupDescribe answer, or null. */
  readonly group: ConsumerGroupDescription | null;
  /** This member's entry in `group`, or null when the coordinator does not list it. */
  readonly self: ConsumerGroupMemberDescription | null;
  /** When `group` or `describeError` was received. */
  readonly describedAt: number | null;
  /** The error of the last describe, or null. */
  readonly describeError: Error | null;
}

/** The consumer-protocol group member. See the file comment for where its rules live. */
export class ConsumerProtocolMember
  extends EpochMemberBase<ConsumerProtocolMemberState, ConsumerProtocolApis, ConsumerProtocolMembership>
  implements GroupMember<ConsumerProtocolRequest>
{
  /**
   * @throws GroupConfigError on an empty group id or member id, or timeouts that are not positive
   *   32-bit integers.
   */
  constructor(config: ConsumerProtocolMemberConfig) {
    const settings = readGroupMemberConfig(config);
    if (config.memberId === '') throw new GroupConfigError('must not be empty', 'memberId');
    super(
      new ConsumerProtocolMembership({
        ...settings,
        serverAssignor: config.serverAssignor || null,
        ...(config.memberId === undefined ? {} : { memberId: config.memberId }),
      }),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // What the consumer reads

  /** @returns the server-side assignor asked for, or null for the broker's default. */
  get serverAssignor(): string | null {
    return this.core.serverAssignor;
  }

  /** @returns the membership to send with OffsetCommit (member epoch as generation), for logs too. */
  generation(): ConsumerProtocolGeneration {
    const m = this.core;
    const inGroup = IN_GROUP.includes(m.state) || m.state === ConsumerProtocolMemberState.PREPARE_LEAVING;
    const active = inGroup && m.memberEpoch > 0;
    return {
      groupId: m.settings.groupId,
      generationId: active ? m.memberEpoch : -1,
      memberId: active ? m.memberId : '',
      groupInstanceId: m.settings.groupInstanceId,
      protocolName: m.serverAssignor,
    };
  }

  /** @returns a health snapshot; `requestDescription` refreshes its `group` part. Never throws. */
  health(): ConsumerProtocolHealth {
    const m = this.core;
    const { description } = m.describe;
    return {
      state: m.state,
      memberId: m.memberId,
      memberEpoch: m.memberEpoch,
      coordinator: m.coordinatorLookup.node,
      ownedPartitions: withoutIds(m.current),
      unresolvedTopicIds: m.unresolved,
      group: description,
      self: description?.members.find((member) => member.memberId === m.memberId) ?? null,
      describedAt: m.describe.describedAt,
      describeError: m.describe.error,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs from the consumer

  /**
   * Subscribes to topic names. From UNSUBSCRIBED this starts joining; in the group the next heartbeat
   * carries the new subscription and the coordinator computes a new target assignment. Counts as a poll.
   * @throws GroupConfigError when `topics` is empty (call `leaveGroup` to unsubscribe).
   * @throws IllegalTransitionError while leaving, or fatal.
   */
  subscribe(topics: readonly string[], now: number): void {
    this.setSubscription({ kind: 'topics', topics: subscribedNames(topics) }, now);
  }

  /**
   * Subscribes to the topics whose whole name matches `regex` (RE2/J syntax). Brokers with
   * ConsumerGroupHeartbeat v1+ resolve it themselves; against a v0-only broker the member falls back
   * to matching the topic list `onMetadata` supplies (internal topics excluded). Counts as a poll.
   * @throws GroupConfigError when `regex` is empty, or when this member already matches on the client
   *   and `regex` is not a valid JavaScript regular expression.
   * @throws IllegalTransitionError while leaving, or fatal.
   */
  subscribePattern(regex: string, now: number): void {
    if (regex === '') throw new GroupConfigError('the subscription regular expression must not be empty');
    if (this.core.subscription.regexResolution === 'client') compileClientRegex(regex);
    this.setSubscription({ kind: 'pattern', regex }, now);
  }

  /**
   * Supplies topic ids and names from metadata: they name the topics of assignments (ids stay known once
   * seen), and are the topic list a client-side regular expression matches against (each call replaces
   * that list).
   */
  onMetadata(topics: readonly TopicIdAndName[]): void {
    for (const t of topics) this.core.topicNames.set(t.topicId, t.name);
    this.core.subscription.clusterTopics = topics;
    maybeReconcile(this.core);
  }

  /**
   * Leaves the group: revokes what the consumer holds (an event to acknowledge), then sends the leave
   * heartbeat (epoch -1; -2 for a static member, whose partitions stay reserved for its instance id).
   * Ends in UNSUBSCRIBED; `subscribe` may join again. A FENCED or STALE member is already out of the
   * group and goes straight to UNSUBSCRIBED. Does nothing when unsubscribed, already leaving, or fatal.
   */
  leaveGroup(now: number): void {
    this.core.leaveGroup(now);
  }

  /**
   * Reports an error code from an OffsetCommit sent with `memberEpoch`. Coordinator errors start a new
   * coordinator lookup. Membership errors (STALE_MEMBER_EPOCH, FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID)
   * change nothing here: under this protocol the heartbeat is what fences a member, and the consumer
   * retries a STALE_MEMBER_EPOCH commit with `generation()`, as Java does.
   */
  onOffsetCommitError(errorCode: number, memberEpoch: number, now: number): void {
    void memberEpoch;
    this.core.handleCoordinatorError(errorCode, now);
  }

  /**
   * Asks for a ConsumerGroupDescribe of this group; it is sent by the next `poll` once the coordinator
   * is known, and its answer lands in `health()`.
   */
  requestDescription(): void {
    this.core.describe.request();
  }

  /**
   * Hands the member the answer to one of its requests: the decoded response, or an Error when the
   * request failed (connection error, timeout, `UnsupportedVersionError`). A response to a request the
   * member no longer waits for is ignored.
   * @throws IllegalTransitionError only on a bug in the state machine.
   */
  onResponse<R extends ConsumerProtocolRequest>(
    request: R,
    result: ConsumerProtocolResponseFor<R> | Error,
    now: number,
  ): void {
    const m = this.core;
    switch (request.api) {
      case 'FindCoordinator': {
        const outcome = m.onFindCoordinator(request, result as FindCoordinatorResponse | Error, now);
        if (outcome.kind !== 'denied') return;
        // Only a describe wanted the coordinator: its caller learns of the refusal from `health()`.
        if (m.state === ConsumerProtocolMemberState.UNSUBSCRIBED) m.describe.denied(outcome.error);
        else m.fail(outcome.fatal);
        return;
      }
      case 'ConsumerGroupHeartbeat': {
        const answer = result as ConsumerGroupHeartbeatResponse | Error;
        if (m.onLeaveAnswer(request.id, 'ConsumerGroupHeartbeat', answer)) return;
        const sent = m.inFlight.take('heartbeat', request.id);
        if (sent === NOT_AWAITED) return;
        onHeartbeat(m, request, answer, sent.sentAt, now);
        return;
      }
      case 'ConsumerGroupDescribe': {
        const answer = m.describe.onAnswer(
          request.id,
          result as ConsumerGroupDescribeResponse | Error,
          m.settings.groupId,
          now,
        );
        if (answer?.coordinatorMoved) m.markCoordinatorUnknown(now);
        return;
      }
    }
  }

  private setSubscription(subscription: ConsumerProtocolSubscription, now: number): void {
    const m = this.core;
    const { FATAL, PREPARE_LEAVING, LEAVING, UNSUBSCRIBED, JOINING } = ConsumerProtocolMemberState;
    if (m.isIn(FATAL, PREPARE_LEAVING, LEAVING)) {
      throw new IllegalTransitionError(m.state, JOINING, `cannot subscribe while ${m.state}`);
    }
    m.subscription.subscription = subscription;
    m.pollInterval.restart(now);
    if (m.state === UNSUBSCRIBED) m.startJoining(now);
  }
}
