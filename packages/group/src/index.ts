/** @runnel/group: Sans-I/O Kafka consumer-group membership state machines (classic and KIP-848). */
export const PACKAGE_NAME = '@runnel/group';

export {
  ClassicGroupMember,
  type ClassicGroupMemberConfig,
  type GroupGeneration,
  MemberState,
  type PollResult,
  selectRebalanceProtocol,
  VALID_PREVIOUS_STATES,
} from './classic-member.js';
export {
  FencedInstanceIdError,
  GroupBrokerError,
  GroupConfigError,
  GroupFatalError,
  GroupMaxSizeReachedError,
  IllegalTransitionError,
} from './errors.js';
export type {
  GroupErrorEvent,
  GroupEvent,
  GroupFatalEvent,
  PartitionsAssignedEvent,
  PartitionsLostEvent,
  PartitionsRevokedEvent,
} from './events.js';
export type * from './messages.js';
export {
  API_KEYS,
  type BrokerNode,
  type GroupApiName,
  type GroupApis,
  type GroupRequest,
  type GroupRequestOf,
  type GroupResponseFor,
  type RequestTarget,
} from './requests.js';
