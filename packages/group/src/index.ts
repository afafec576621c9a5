/** @runnel/group: Sans-I/O Kafka consumer-group membership state machines (classic and KIP-848). */
export const PACKAGE_NAME = '@runnel/group';

export {
  ClassicGroupMember,
  type ClassicGroupMemberConfig,
  MemberState,
  type PollResult,
  selectRebalanceProtocol,
  VALID_PREVIOUS_STATES,
} from './classic-member.js';
export {
  assignmentFromResponse,
  NO_ASSIGNMENT,
  resolveAssignment,
  type TopicIdAndName,
  type TopicIdAssignment,
  type TopicIdPartition,
} from './consumer-protocol-assignment.js';
export {
  type ConsumerGroupDescription,
  type ConsumerGroupMemberDescription,
  consumerGroupDescribeRequest,
  readConsumerGroupDescription,
} from './consumer-protocol-describe.js';
export {
  CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES,
  type ConsumerProtocolGeneration,
  type ConsumerProtocolHealth,
  ConsumerProtocolMember,
  type ConsumerProtocolMemberConfig,
  ConsumerProtocolMemberState,
  type ConsumerProtocolPollResult,
  type ConsumerProtocolSubscription,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
} from './consumer-protocol-member.js';
export * from './errors.js';
export type {
  GroupErrorEvent,
  GroupEvent,
  GroupFatalEvent,
  GroupGeneration,
  PartitionsAssignedEvent,
  PartitionsLostEvent,
  PartitionsRevokedEvent,
} from './events.js';
export type { GroupMemberConfig } from './member-config.js';
export type * from './messages.js';
export {
  API_KEYS,
  type ApiBodies,
  type ApiMap,
  type BrokerNode,
  CONSUMER_PROTOCOL_API_KEYS,
  type ConsumerProtocolApiName,
  type ConsumerProtocolApis,
  type ConsumerProtocolRequest,
  type ConsumerProtocolRequestOf,
  type ConsumerProtocolResponseFor,
  type GroupApiName,
  type GroupApis,
  type GroupRequest,
  type GroupRequestOf,
  type GroupResponseFor,
  MEMBER_API_DEFINITIONS,
  MEMBER_API_KEYS,
  type MemberApiName,
  type MemberApis,
  type MemberRequest,
  type MemberRequestOf,
  type MemberResponseFor,
  type RequestShape,
  type RequestTarget,
} from './requests.js';
