/**
 * ConsumerGroupDescribe (KIP-848): what the coordinator records about a consumer group, read into plain
 * values for the consumer's health snapshot.
 */
import type { TopicPartition } from '@runnel/assignors';
import type {
  ConsumerGroupDescribeResponse,
  ConsumerGroupDescribeResponseAssignment,
} from '@runnel/protocol';
import { ErrorCode } from '@runnel/protocol';
import { GroupBrokerError } from './errors.js';
import { type ConsumerProtocolRequestOf, memberRequest, type RequestTarget } from './requests.js';
import { sortPartitions } from './topic-partitions.js';

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
  target: RequestTarget,
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
