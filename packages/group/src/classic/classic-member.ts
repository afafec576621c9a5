/**
 * One member of a consumer group under the classic protocol (JoinGroup / SyncGroup / Heartbeat /
 * LeaveGroup), as a sans-I/O state machine: it owns no socket and no timer. It is driven as every
 * `GroupMember` is (see `group-member.ts`).
 *
 * Where its rules live: the states and the transition table in `classic-states.ts`; the membership
 * and its transitions in `classic-membership.ts`; the handlers of each API's answers in
 * `classic-join.ts` and `classic-heartbeat.ts`; the requests in `classic-requests.ts`; what every
 * member shares (leaving, failing, the poll loop) in `core/member-core.ts`.
 */
import type { RebalanceProtocol } from '@runnel/assignors';
import { NOT_AWAITED } from '../core/in-flight.js';
import { GroupMemberBase } from '../core/member-base.js';
import { GroupConfigError, IllegalTransitionError } from '../errors.js';
import type { GroupGeneration } from '../events.js';
import type { GroupMember, MemberPollResult } from '../group-member.js';
import type {
  FindCoordinatorResponse,
  HeartbeatResponse,
  JoinGroupResponse,
  LeaveGroupResponse,
  MetadataResponse,
  SyncGroupResponse,
} from '../messages.js';
import type { GroupApis, GroupRequest, GroupResponseFor } from '../requests.js';
import type { TopicIdAndName } from '../topic-partitions.js';
import { type ClassicGroupMemberConfig, readClassicMemberConfig } from './classic-config.js';
import { onFindCoordinator, onHeartbeat, onOffsetCommitError } from './classic-heartbeat.js';
import { onJoinGroup, onLeaderMetadata, onSyncGroup } from './classic-join.js';
import { ClassicMembership } from './classic-membership.js';
import { onPartitionCheck } from './classic-partition-watch.js';
import { MemberState } from './classic-states.js';

/**
 * What the classic member's `poll` returns (it never needs metadata: the leader asks for its own, to
 * assign and then every `metadataMaxAgeMs` to see whether a subscribed topic's partition count changed).
 */
export type PollResult = MemberPollResult<GroupRequest>;

/** The classic-protocol group member. See the file comment for where its rules live. */
export class ClassicGroupMember
  extends GroupMemberBase<MemberState, GroupApis, ClassicMembership>
  implements GroupMember<GroupRequest>
{
  /** The classic coordinator names assigned topics by name. */
  readonly assignsByTopicId = false;

  /**
   * @throws GroupConfigError on an empty group id, no assignors, assignors without a common rebalance
   * protocol, duplicate assignor names, or timeouts that are not positive or a heartbeat interval not
   * below the session timeout.
   */
  constructor(config: ClassicGroupMemberConfig) {
    super(new ClassicMembership(readClassicMemberConfig(config)));
  }

  // ---------------------------------------------------------------------------------------------
  // What the consumer reads

  /** @returns the rebalance protocol the configured assignors agree on. */
  get rebalanceProtocol(): RebalanceProtocol {
    return this.core.config.rebalanceProtocol;
  }

  /** @returns whether the coordinator elected this member leader in the current generation. */
  get isLeader(): boolean {
    return this.core.memberId !== '' && this.core.leaderId === this.core.memberId;
  }

  /** @returns the member id the coordinator gave, or '' while it has none. */
  get memberId(): string {
    return this.core.memberId;
  }

  /** @returns the generation id (what the classic protocol has for an epoch); -1 outside a generation. */
  get memberEpoch(): number {
    return this.core.generationId;
  }

  /** @returns the current generation, member id and protocol, for OffsetCommit and for logs. */
  generation(): GroupGeneration {
    const m = this.core;
    return {
      groupId: m.config.groupId,
      generationId: m.generationId,
      memberId: m.memberId,
      groupInstanceId: m.config.groupInstanceId,
      protocolName: m.protocolName,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs from the consumer

  /**
   * Subscribes to `topics`. From UNJOINED this starts joining; in the group a changed subscription
   * triggers a rebalance (under cooperative rebalancing, partitions of dropped topics are revoked first).
   * Also counts as a poll of the user code.
   * @throws IllegalTransitionError while leaving, left for good, or fatal.
   */
  subscribe(topics: readonly string[], now: number): void {
    const m = this.core;
    const next = [...new Set(topics)].sort();
    if (m.isIn(MemberState.FATAL, MemberState.PREPARE_LEAVING, MemberState.LEAVING)) {
      throw new IllegalTransitionError(m.state, MemberState.JOINING, `cannot subscribe while ${m.state}`);
    }
    const changed = next.join('\u0000') !== m.subscription.join('\u0000');
    m.subscription = next;
    m.pollInterval.restart(now);
    if (m.state === MemberState.UNJOINED) {
      m.rejoinReason = '';
      m.transitionTo(MemberState.JOINING);
      return;
    }
    if (changed) m.requestRejoin('subscription changed', now);
  }

  /**
   * The classic protocol has no broker-side regular expressions (match a pattern on the client and
   * `subscribe` to the names).
   * @throws GroupConfigError always.
   */
  subscribePattern(regex: string, now: number): void {
    void now;
    throw new GroupConfigError(
      `the classic protocol cannot subscribe to ${JSON.stringify(regex)}: a broker-side regular expression needs the consumer group protocol`,
    );
  }

  /** Ignored: the classic coordinator names topics itself, and the leader fetches its own metadata. */
  onMetadata(topics: readonly TopicIdAndName[]): void {
    void topics;
  }

  /**
   * Asks for a rebalance (e.g. the leader saw the partition count of a subscribed topic change). Ignored
   * when the member is not in the group; while a join is under way, the member rejoins once it completes.
   */
  requestRejoin(reason: string, now: number): void {
    this.core.requestRejoin(reason, now);
  }

  /**
   * Leaves the group: revokes the owned partitions (an event to acknowledge), then sends LeaveGroup,
   * except for a static member (its partitions stay reserved for the session timeout, as in Java) or
   * when no coordinator is known. Ends in UNJOINED; `subscribe` may join again. Does nothing when not in
   * the group, already leaving, or fatal.
   */
  leaveGroup(now: number): void {
    const m = this.core;
    const { UNJOINED, PREPARE_LEAVING, LEAVING, FATAL, STALE, LOSING } = MemberState;
    if (m.isIn(UNJOINED, PREPARE_LEAVING, LEAVING, FATAL)) return;
    const orderly = m.hasGeneration() && !m.isIn(STALE, LOSING);
    m.beginLeaving(orderly ? 'partitionsRevoked' : 'partitionsLost');
    m.settle(now);
  }

  /**
   * Reports an error code from an OffsetCommit sent with `generationId`, so that membership errors take
   * effect: UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION reset the membership (partitions lost),
   * REBALANCE_IN_PROGRESS triggers a rejoin, FENCED_INSTANCE_ID is fatal, coordinator errors start a new
   * coordinator lookup. Errors from an older generation are ignored.
   */
  onOffsetCommitError(errorCode: number, generationId: number, now: number): void {
    onOffsetCommitError(this.core, errorCode, generationId, now);
  }

  /**
   * Hands the member the answer to one of its requests: the decoded response, or an Error when the
   * request failed (connection error, timeout, unsupported version). A response to a request the member
   * no longer waits for is ignored.
   * @throws IllegalTransitionError only on a bug in the state machine.
   */
  onResponse<R extends GroupRequest>(request: R, result: GroupResponseFor<R> | Error, now: number): void {
    const m = this.core;
    switch (request.api) {
      case 'FindCoordinator':
        onFindCoordinator(m, request, result as FindCoordinatorResponse | Error, now);
        return;
      case 'JoinGroup':
        if (m.inFlight.take('join', request.id) === NOT_AWAITED) return;
        onJoinGroup(m, result as JoinGroupResponse | Error, now);
        return;
      case 'Metadata':
        if (m.inFlight.take('metadata', request.id) === NOT_AWAITED) return;
        if (m.state === MemberState.ASSIGNING) onLeaderMetadata(m, result as MetadataResponse | Error, now);
        else onPartitionCheck(m, result as MetadataResponse | Error, now);
        return;
      case 'SyncGroup':
        if (m.inFlight.take('sync', request.id) === NOT_AWAITED) return;
        onSyncGroup(m, result as SyncGroupResponse | Error, now);
        return;
      case 'Heartbeat': {
        const sent = m.inFlight.take('heartbeat', request.id);
        if (sent === NOT_AWAITED) return;
        onHeartbeat(m, result as HeartbeatResponse | Error, sent, now);
        return;
      }
      case 'LeaveGroup':
        m.onLeaveAnswer(request.id, 'LeaveGroup', result as LeaveGroupResponse | Error);
        return;
    }
  }
}
