/**
 * The consumer group as its coordinator records it, read with ConsumerGroupDescribe (groups of the
 * consumer protocol, KIP-848) or DescribeGroups (classic groups), into one shape for both.
 */
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment, decodeSubscription } from '@runnel/assignors';
import {
  type ConsumerGroupDescription,
  consumerGroupDescribeRequest,
  readConsumerGroupDescription,
} from '@runnel/group';
import { type Clock, type ClusterClient, CoordinatorType, systemClock } from '@runnel/network';
import {
  ConsumerGroupDescribe,
  type ConsumerGroupDescribeResponse,
  DescribeGroups,
  type DescribeGroupsResponse,
  type DescribeGroupsResponseDescribedGroup,
  ErrorCode,
} from '@runnel/protocol';
import type { TopicPartition } from './batch.js';
import type { GroupProtocol } from './config.js';

/** One member of the group, as the coordinator records it. */
export interface GroupMemberDescription {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** The rack the member reported (consumer protocol); null when none or under the classic protocol. */
  readonly rackId: string | null;
  /** The member's epoch (consumer protocol); null under the classic protocol, whose describe has none. */
  readonly memberEpoch: number | null;
  /** The topics the member subscribes to by name, sorted (classic: from its subscription metadata). */
  readonly subscribedTopicNames: readonly string[];
  /** The regular expression the member subscribes with on the broker, or null. */
  readonly subscribedTopicRegex: string | null;
  /** The partitions the member owns (consumer protocol: acknowledged), sorted. */
  readonly assignment: readonly TopicPartition[];
  /** The partitions the broker's assignor wants the member to own, sorted; null under the classic protocol. */
  readonly targetAssignment: readonly TopicPartition[] | null;
}

/** A snapshot of the group as its coordinator described it. */
export interface GroupDescription {
  /** Which describe produced it: ConsumerGroupDescribe (`consumer`) or DescribeGroups (`classic`). */
  readonly groupProtocol: GroupProtocol;
  readonly groupId: string;
  /**
   * As Kafka names it: `Empty`, `Assigning`, `Reconciling`, `Stable`, `Dead` (consumer protocol) or
   * `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Stable`, `Dead` (classic).
   */
  readonly groupState: string;
  /** The group epoch (consumer protocol); null under the classic protocol. */
  readonly groupEpoch: number | null;
  /** The epoch of the target assignment, equal to `groupEpoch` once the assignor caught up; null for classic. */
  readonly assignmentEpoch: number | null;
  /** The broker's assignor (consumer protocol) or the one the group leader ran (classic; '' while none). */
  readonly assignorName: string;
  /** Sorted by member id. */
  readonly members: readonly GroupMemberDescription[];
  /** This consumer's own entry in `members`, or null when the coordinator does not list it. */
  readonly self: GroupMemberDescription | null;
  /** When the answer arrived (ms since the epoch). */
  readonly describedAt: number;
}

/**
 * Describes `groupId` at its coordinator, with the API of `groupProtocol`. Retriable errors (the
 * coordinator moved or is loading) are retried until `deadlineMs`.
 * @param memberId this consumer's member id, to pick its own entry (`self`); '' when it has none.
 * @param clock the wall clock of `describedAt` (default: the system clock).
 * @returns the group, its members sorted by id and every assignment sorted.
 * @throws KafkaProtocolError for the group's error code, e.g. GROUP_ID_NOT_FOUND (no such group, or
 *   a group of the other protocol) or GROUP_AUTHORIZATION_FAILED; UnsupportedVersionError when the
 *   broker does not offer the describe API (e.g. ConsumerGroupDescribe before Kafka 3.7, or with the
 *   consumer protocol disabled); DecodeError when a classic member's subscription or assignment bytes
 *   are malformed; DeadlineExceededError; ClientClosedError.
 */
export async function describeGroup(
  client: ClusterClient,
  groupId: string,
  groupProtocol: GroupProtocol,
  memberId: string,
  deadlineMs: number,
  clock: Clock = systemClock,
): Promise<GroupDescription> {
  const target = { kind: 'coordinator', keyType: CoordinatorType.group, key: groupId } as const;
  let description: Omit<GroupDescription, 'self' | 'describedAt'>;
  if (groupProtocol === 'consumer') {
    const request = consumerGroupDescribeRequest(0, groupId, { kind: 'any' }, deadlineMs);
    const response: ConsumerGroupDescribeResponse = await client.send({
      target,
      api: ConsumerGroupDescribe,
      purpose: 'group',
      minVersion: request.minVersion,
      maxVersion: request.maxVersion,
      deadlineMs,
      message: (version) => request.bodyAt(version),
      errorCode: (r) => r.groups.find((g) => g.groupId === groupId)?.errorCode ?? GROUP_ID_NOT_FOUND,
    });
    description = fromConsumerProtocol(readConsumerGroupDescription(response, groupId));
  } else {
    const response: DescribeGroupsResponse = await client.send({
      target,
      api: DescribeGroups,
      purpose: 'group',
      deadlineMs,
      message: { groups: [groupId], includeAuthorizedOperations: false },
      errorCode: (r) => r.groups.find((g) => g.groupId === groupId)?.errorCode ?? GROUP_ID_NOT_FOUND,
    });
    description = fromClassic(response.groups.find((g) => g.groupId === groupId)!);
  }
  return {
    ...description,
    self: description.members.find((m) => m.memberId === memberId && memberId !== '') ?? null,
    describedAt: clock.wallClockMs(),
  };
}

const { GROUP_ID_NOT_FOUND } = ErrorCode;

function fromConsumerProtocol(
  group: ConsumerGroupDescription,
): Omit<GroupDescription, 'self' | 'describedAt'> {
  return {
    groupProtocol: 'consumer',
    groupId: group.groupId,
    groupState: group.groupState,
    groupEpoch: group.groupEpoch,
    assignmentEpoch: group.assignmentEpoch,
    assignorName: group.assignorName,
    members: group.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.instanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      subscribedTopicNames: m.subscribedTopicNames,
      subscribedTopicRegex: m.subscribedTopicRegex,
      assignment: m.assignment,
      targetAssignment: m.targetAssignment,
    })),
  };
}

/** @throws DecodeError when a member's subscription or assignment bytes are malformed. */
function fromClassic(
  group: DescribeGroupsResponseDescribedGroup,
): Omit<GroupDescription, 'self' | 'describedAt'> {
  // Only groups of consumers carry Kafka's consumer protocol in their member bytes (Connect does not).
  const consumers = group.protocolType === CONSUMER_PROTOCOL_TYPE;
  const members = group.members
    .map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId ?? null,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rackId: null,
      memberEpoch: null,
      subscribedTopicNames:
        consumers && m.memberMetadata.length > 0
          ? [...decodeSubscription(m.memberId, m.groupInstanceId ?? null, m.memberMetadata).topics].sort()
          : [],
      subscribedTopicRegex: null,
      // The assignment is empty until the leader's SyncGroup completes the rebalance.
      assignment:
        consumers && m.memberAssignment.length > 0
          ? sortPartitions(decodeAssignment(m.memberAssignment).partitions)
          : [],
      targetAssignment: null,
    }))
    .sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  return {
    groupProtocol: 'classic',
    groupId: group.groupId,
    groupState: group.groupState,
    groupEpoch: null,
    assignmentEpoch: null,
    assignorName: group.protocolData,
    members,
  };
}

function sortPartitions(partitions: readonly TopicPartition[]): TopicPartition[] {
  return partitions
    .map((p) => ({ topic: p.topic, partition: p.partition }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}
