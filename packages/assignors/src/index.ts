/** @runnel/assignors: Kafka partition assignors (range, roundrobin, sticky, cooperative-sticky), compatible with Java group members. */
export {
  CONSUMER_PROTOCOL_TYPE,
  CONSUMER_PROTOCOL_VERSION,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type SubscriptionMetadata,
} from './consumer-protocol.js';
export { CooperativeStickyAssignor } from './cooperative-sticky-assignor.js';
export { AssignorError } from './errors.js';
export { RangeAssignor } from './range-assignor.js';
export { RoundRobinAssignor } from './round-robin-assignor.js';
export { StickyAssignor } from './sticky-assignor.js';
export {
  decodeCooperativeStickyUserData,
  decodeStickyUserData,
  encodeCooperativeStickyUserData,
  encodeStickyUserData,
} from './sticky-user-data.js';
export type {
  AssignmentMetadata,
  GroupAssignment,
  GroupSubscription,
  MemberAssignment,
  MemberSubscription,
  PartitionAssignor,
  RebalanceProtocol,
  SubscribedPartition,
  SubscribedTopic,
  TopicPartition,
} from './types.js';
