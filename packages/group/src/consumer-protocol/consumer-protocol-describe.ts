/**
 * ConsumerGroupDescribe (KIP-848): what the coordinator records about a consumer group, read into plain
 * values for the consumer's health snapshot.
 */
import type {
  ConsumerGroupDescribeResponse,
  ConsumerGroupDescribeResponseAssignment,
  TopicPartition,
} from '@runnel/protocol';
import { ErrorCode } from '@runnel/protocol';
import { isCoordinatorMoved } from '../core/coordinator-lookup.js';
import { GroupBrokerError } from '../errors.js';
import { type ConsumerProtocolRequestOf, type MemberRequestTarget, memberRequest } from '../requests.js';
import { sortPartitions } from '../topic-partitions.js';

/** One member as the coordinator records it. */
export interface ConsumerGroupMemberDescription {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly memberEpoch: number;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  /** The regular expression the broker resolves for the member; null when it has none. */
  readonly subscribedTopicRegex: string | null;
  /** The partitions the member owns (acknowledged), sorted. */
  readonly assignment: readonly TopicPartition[];
  /** The partitions the assignor wants it to own, sorted. */
  readonly targetAssignment: readonly TopicPartition[];
}

/** A consumer group as the coordinator records it. */
export interface ConsumerGroupDescription {
  readonly groupId: string;
  /** `Empty`, `Assigning`, `Reconciling`, `Stable` or `Dead`, as Kafka names them. */
  readonly groupState: string;
  readonly groupEpoch: number;
  /** The epoch of the target assignment; equal to `groupEpoch` once the assignor caught up. */
  readonly assignmentEpoch: number;
  readonly assignorName: string;
  /** Sorted by member id. */
  readonly members: readonly ConsumerGroupMemberDescription[];
}

/**
 * Builds a ConsumerGroupDescribe request for one group. It must go to the group's coordinator.
 * @param id the request id (unique among the caller's requests)
 * @returns the request, versions 0-1. Never throws.
 */
export function consumerGroupDescribeRequest(
  id: number,
  groupId: string,
  target: MemberRequestTarget,
  timeoutMs: number,
): ConsumerProtocolRequestOf<'ConsumerGroupDescribe'> {
  const body = { groupIds: [groupId], includeAuthorizedOperations: false };
  return memberRequest({ id, api: 'ConsumerGroupDescribe', versions: [0, 1], target, timeoutMs, body });
}

/**
 * Reads the description of `groupId` out of a ConsumerGroupDescribe response.
 * @returns the group, its members sorted by id, each assignment sorted by topic and partition.
 * @throws GroupBrokerError when the response does not hold the group or holds it with an error code
 *   (GROUP_ID_NOT_FOUND for a group that does not exist or is not a consumer-protocol group,
 *   NOT_COORDINATOR, GROUP_AUTHORIZATION_FAILED, ...).
 */
export function readConsumerGroupDescription(
  response: ConsumerGroupDescribeResponse,
  groupId: string,
): ConsumerGroupDescription {
  const group = response.groups.find((g) => g.groupId === groupId);
  if (group === undefined) {
    throw new GroupBrokerError(
      'ConsumerGroupDescribe',
      ErrorCode.GROUP_ID_NOT_FOUND,
      `no entry for ${groupId}`,
    );
  }
  if (group.errorCode !== ErrorCode.NONE) {
    throw new GroupBrokerError('ConsumerGroupDescribe', group.errorCode, group.errorMessage);
  }
  const members = group.members
    .map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: [...m.subscribedTopicNames].sort(),
      // Brokers answer '' for a member without one, as the heartbeat uses '' to drop it.
      subscribedTopicRegex: m.subscribedTopicRegex || null,
      assignment: toPartitions(m.assignment),
      targetAssignment: toPartitions(m.targetAssignment),
    }))
    .sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  return {
    groupId: group.groupId,
    groupState: group.groupState,
    groupEpoch: group.groupEpoch,
    assignmentEpoch: group.assignmentEpoch,
    assignorName: group.assignorName,
    members,
  };
}

function toPartitions(assignment: ConsumerGroupDescribeResponseAssignment): TopicPartition[] {
  return sortPartitions(
    assignment.topicPartitions.flatMap((t) =>
      t.partitions.map((partition) => ({ topic: t.topicName, partition })),
    ),
  );
}

/**
 * The describe a member runs beside its membership: one explicit sub-state (`idle`, `wanted` until a
 * coordinator is known, `in-flight`) and the last answer, for the health snapshot.
 */
export class DescribeState {
  private step: { readonly kind: 'idle' | 'wanted' } | { readonly kind: 'in-flight'; readonly id: number } = {
    kind: 'idle',
  };
  /** The last ConsumerGroupDescribe answer, or null. */
  description: ConsumerGroupDescription | null = null;
  /** The error of the last describe, or null. */
  error: Error | null = null;
  /** When `description` or `error` was received. */
  describedAt: number | null = null;

  /** Asks for a describe at the next poll that knows the coordinator (not while one is in flight). */
  request(): void {
    if (this.step.kind !== 'in-flight') this.step = { kind: 'wanted' };
  }

  /** @returns whether a describe waits for the coordinator to be sent. */
  get wanted(): boolean {
    return this.step.kind === 'wanted';
  }

  /** Records that the describe `id` went out. */
  sent(id: number): void {
    this.step = { kind: 'in-flight', id };
  }

  /** The coordinator lookup was refused: the describe is dropped, and its caller learns why. */
  denied(error: Error): void {
    this.step = { kind: 'idle' };
    this.error = error;
  }

  /**
   * Takes the answer to describe `id` of `groupId`.
   * @returns null when `id` is not the describe in flight (the answer is ignored); otherwise whether
   *   the answer says the coordinator moved.
   */
  onAnswer(
    id: number,
    result: ConsumerGroupDescribeResponse | Error,
    groupId: string,
    now: number,
  ): { readonly coordinatorMoved: boolean } | null {
    if (this.step.kind !== 'in-flight' || this.step.id !== id) return null;
    this.step = { kind: 'idle' };
    this.describedAt = now;
    if (result instanceof Error) {
      this.error = result;
      return { coordinatorMoved: false };
    }
    try {
      this.description = readConsumerGroupDescription(result, groupId);
      this.error = null;
      return { coordinatorMoved: false };
    } catch (error) {
      this.error = error as Error;
      return { coordinatorMoved: error instanceof GroupBrokerError && isCoordinatorMoved(error.errorCode) };
    }
  }
}
