/** @runnel/group: Sans-I/O Kafka group membership state machines (classic, KIP-848 and share groups). */
export {
  type ClassicGroupMemberConfig,
  checkClassicProtocolConfig,
  selectRebalanceProtocol,
} from './classic/classic-config.js';
export { ClassicGroupMember, type PollResult } from './classic/classic-member.js';
export { MemberState, VALID_PREVIOUS_STATES } from './classic/classic-states.js';
export {
  assignmentFromResponse,
  NO_ASSIGNMENT,
  resolveAssignment,
  type TopicIdAssignment,
  type TopicIdPartition,
} from './consumer-protocol/consumer-protocol-assignment.js';
export {
  type ConsumerGroupDescription,
  type ConsumerGroupMemberDescription,
  consumerGroupDescribeRequest,
  readConsumerGroupDescription,
} from './consumer-protocol/consumer-protocol-describe.js';
export {
  type ConsumerProtocolGeneration,
  type ConsumerProtocolHealth,
  ConsumerProtocolMember,
  type ConsumerProtocolMemberConfig,
  type ConsumerProtocolPollResult,
} from './consumer-protocol/consumer-protocol-member.js';
export {
  CONSUMER_PROTOCOL_VALID_PREVIOUS_STATES,
  ConsumerProtocolMemberState,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
} from './consumer-protocol/consumer-protocol-states.js';
export type { ConsumerProtocolSubscription } from './consumer-protocol/consumer-protocol-subscription.js';
export type { GroupMemberConfig } from './core/member-config.js';
export type { MemberStates } from './core/state-machine.js';
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
export type { AnyMemberRequest, GroupMember, MemberPollResult, ResponseTo } from './group-member.js';
export type * from './messages.js';
export {
  type ApiBodies,
  type ApiMap,
  type BrokerNode,
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
  type MemberRequestTarget,
  type MemberResponseFor,
  type RequestShape,
  type ShareGroupApis,
  type ShareGroupRequest,
  type ShareGroupRequestOf,
  type ShareGroupResponseFor,
} from './requests.js';
export {
  ShareGroupMember,
  type ShareGroupMemberConfig,
  type ShareMemberHealth,
} from './share/share-member.js';
export {
  SHARE_LEAVE_GROUP_MEMBER_EPOCH,
  SHARE_VALID_PREVIOUS_STATES,
  ShareMemberState,
} from './share/share-states.js';
export type { TopicIdAndName } from './topic-partitions.js';
