/**
 * One member of a share group (KIP-932, queues for Kafka) as a sans-I/O state machine. The coordinator
 * assigns partitions (several members may share one); the member sends one request, ShareGroupHeartbeat,
 * to join, to stay alive, to report that it reconciled, and to leave. Records are acquired and
 * acknowledged by the consumer with ShareFetch and ShareAcknowledge, outside this member.
 *
 * It is driven as every `GroupMember` is (see `group-member.ts`): `poll(now)`, `onResponse`, events
 * acknowledged with `acknowledge`. Like the KIP-848 member, it names assigned topics by id, so the
 * driver supplies topic ids and names from metadata (`onMetadata`).
 *
 * Where its rules live: the states and the transition table in `share-states.ts`; the membership in
 * `share-membership.ts`; the heartbeat's body in `share-heartbeat.ts`; what it shares with the KIP-848
 * member (transitions, the heartbeat's timers and answers) in `consumer-protocol/abstract-membership.ts`,
 * and the reconciliation in `consumer-protocol-reconciliation.ts`; what every member shares in
 * `core/member-core.ts`.
 */
import type { ShareGroupHeartbeatResponse, TopicPartition } from '@runnel/protocol';
import { subscribedNames } from '../consumer-protocol/abstract-membership.js';
import { withoutIds } from '../consumer-protocol/consumer-protocol-assignment.js';
import { maybeReconcile } from '../consumer-protocol/consumer-protocol-reconciliation.js';
import { EpochMemberBase } from '../consumer-protocol/epoch-member-base.js';
import { NOT_AWAITED } from '../core/in-flight.js';
import { type GroupMemberConfig, readGroupMemberConfig } from '../core/member-config.js';
import { GroupConfigError, IllegalTransitionError } from '../errors.js';
import type { GroupGeneration } from '../events.js';
import type { GroupMember } from '../group-member.js';
import type { FindCoordinatorResponse } from '../messages.js';
import type { BrokerNode, ShareGroupApis, ShareGroupRequest, ShareGroupResponseFor } from '../requests.js';
import type { TopicIdAndName } from '../topic-partitions.js';
import { onShareHeartbeat } from './share-heartbeat.js';
import { ShareMembership } from './share-membership.js';
import { SHARE_IN_GROUP, ShareMemberState } from './share-states.js';

/**
 * Configuration of a share group member: the settings every member shares (`client.rack` is sent when
 * joining; `maxPollIntervalMs` and `groupInstanceId` do not apply to share groups and are ignored).
 */
export interface ShareGroupMemberConfig extends GroupMemberConfig {
  /** The member id; by default a random one, as Java's share consumer makes it at startup. */
  readonly memberId?: string;
}

/** A health snapshot of a share member. */
export interface ShareMemberHealth {
  readonly state: ShareMemberState;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly coordinator: BrokerNode | null;
  /** The partitions the member fetches from, sorted. */
  readonly assignedPartitions: readonly TopicPartition[];
  readonly unresolvedTopicIds: readonly string[];
}

/** The share group member. See the file comment for where its rules live. */
export class ShareGroupMember
  extends EpochMemberBase<ShareMemberState, ShareGroupApis, ShareMembership>
  implements GroupMember<ShareGroupRequest>
{
  /** @throws GroupConfigError on an empty group id or member id, or timeouts that are not positive 32-bit integers. */
  constructor(config: ShareGroupMemberConfig) {
    const settings = readGroupMemberConfig({ ...config, groupInstanceId: null });
    if (config.memberId === '') throw new GroupConfigError('must not be empty', 'memberId');
    super(
      new ShareMembership({
        ...settings,
        ...(config.memberId === undefined ? {} : { memberId: config.memberId }),
      }),
    );
  }

  /**
   * @returns the membership, for logs: share groups commit no offsets, so nothing sends it with a
   *   request. `generationId` is the member epoch while in the group, else -1.
   */
  generation(): GroupGeneration {
    const m = this.core;
    const active = SHARE_IN_GROUP.includes(m.state) && m.memberEpoch > 0;
    return {
      groupId: m.settings.groupId,
      generationId: active ? m.memberEpoch : -1,
      memberId: active ? m.memberId : '',
      groupInstanceId: null,
      protocolName: null,
    };
  }

  /** @returns a health snapshot. Never throws. */
  health(): ShareMemberHealth {
    const m = this.core;
    return {
      state: m.state,
      memberId: m.memberId,
      memberEpoch: m.memberEpoch,
      coordinator: m.coordinatorLookup.node,
      assignedPartitions: withoutIds(m.current),
      unresolvedTopicIds: m.unresolved,
    };
  }

  /**
   * Subscribes to topic names. From UNSUBSCRIBED this starts joining; in the group the next heartbeat
   * carries the new subscription.
   * @throws GroupConfigError when `topics` is empty or holds an empty name (call `leaveGroup` to leave).
   * @throws IllegalTransitionError while leaving, or fatal.
   */
  subscribe(topics: readonly string[], now: number): void {
    const names = subscribedNames(topics);
    const m = this.core;
    const { FATAL, PREPARE_LEAVING, LEAVING, UNSUBSCRIBED, JOINING } = ShareMemberState;
    if (m.isIn(FATAL, PREPARE_LEAVING, LEAVING)) {
      throw new IllegalTransitionError(m.state, JOINING, `cannot subscribe while ${m.state}`);
    }
    m.subscription = names;
    if (m.state === UNSUBSCRIBED) m.startJoining(now);
  }

  /**
   * Share groups subscribe to topic names only: ShareGroupHeartbeat carries no regular expression.
   * @throws GroupConfigError always.
   */
  subscribePattern(regex: string, now: number): void {
    void now;
    throw new GroupConfigError(
      `share groups subscribe to topic names only, not to a regular expression (${JSON.stringify(regex)})`,
    );
  }

  /** Supplies topic ids and names from metadata; they name the topics of assignments (ids stay known once seen). */
  onMetadata(topics: readonly TopicIdAndName[]): void {
    for (const t of topics) this.core.topicNames.set(t.topicId, t.name);
    maybeReconcile(this.core);
  }

  /**
   * Leaves the group: revokes what the consumer fetches (an event to acknowledge), then sends the leave
   * heartbeat (epoch -1). Ends in UNSUBSCRIBED; `subscribe` may join again. A FENCED member is already
   * out and goes straight to UNSUBSCRIBED. Does nothing when unsubscribed, already leaving, or fatal.
   */
  leaveGroup(now: number): void {
    this.core.leaveGroup(now);
  }

  /** Share groups commit no offsets: nothing to do. */
  onOffsetCommitError(errorCode: number, generationId: number, now: number): void {
    void errorCode;
    void generationId;
    void now;
  }

  /**
   * Hands the member the answer to one of its requests: the decoded response, or an Error when the
   * request failed (connection error, timeout, `UnsupportedVersionError`). A response to a request the
   * member no longer waits for is ignored.
   * @throws IllegalTransitionError only on a bug in the state machine.
   */
  onResponse<R extends ShareGroupRequest>(
    request: R,
    result: ShareGroupResponseFor<R> | Error,
    now: number,
  ): void {
    const m = this.core;
    if (request.api === 'FindCoordinator') {
      const outcome = m.onFindCoordinator(request, result as FindCoordinatorResponse | Error, now);
      if (outcome.kind === 'denied') m.fail(outcome.fatal);
      return;
    }
    const answer = result as ShareGroupHeartbeatResponse | Error;
    if (m.onLeaveAnswer(request.id, 'ShareGroupHeartbeat', answer)) return;
    const sent = m.inFlight.take('heartbeat', request.id);
    if (sent === NOT_AWAITED) return;
    onShareHeartbeat(m, answer, sent.sentAt, now);
  }
}
