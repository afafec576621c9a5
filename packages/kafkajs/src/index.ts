/** @runnel/kafkajs: KafkaJS 2.2.4's consumer API on @runnel/consumer. */
export { Consumer } from './consumer.js';
export {
  KafkaJSAggregateError,
  KafkaJSConnectionError,
  KafkaJSError,
  type KafkaJSErrorMetadata,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSNotImplemented,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSOffsetOutOfRange,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
  KafkaJSTimeout,
  toKafkaJSError,
} from './errors.js';
export {
  CONSUMER_EVENTS,
  type ConnectEvent,
  type ConsumerCommitOffsetsEvent,
  type ConsumerCrashEvent,
  type ConsumerEndBatchProcessEvent,
  type ConsumerEventName,
  type ConsumerEvents,
  type ConsumerFetchEvent,
  type ConsumerFetchStartEvent,
  type ConsumerGroupJoinEvent,
  type ConsumerHeartbeatEvent,
  type ConsumerRebalancingEvent,
  type ConsumerStartBatchProcessEvent,
  type DisconnectEvent,
  type IMemberAssignment,
  type RequestEvent,
  type RequestQueueSizeEvent,
  type RequestTimeoutEvent,
} from './events.js';
export { Kafka } from './kafka.js';
export * from './types.js';
