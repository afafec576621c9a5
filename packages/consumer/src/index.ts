/** @runnel/consumer: A fast, complete Apache Kafka consumer for Node.js. */
export {
  CooperativeStickyAssignor,
  type PartitionAssignor,
  RangeAssignor,
  RoundRobinAssignor,
  StickyAssignor,
} from '@runnel/assignors';
// Every error a consumer's calls can reject with, so that users import them from one place.
export {
  CodecUnavailableError,
  CorruptRecordError,
  DecodeError,
  DecompressedSizeError,
  EncodeError,
  RecordReleasedError,
  RunnelError,
} from '@runnel/codec';
export {
  FencedInstanceIdError,
  GroupBrokerError,
  GroupConfigError,
  GroupFatalError,
  GroupMaxSizeReachedError,
  IllegalTransitionError,
} from '@runnel/group';
export {
  AuthenticationError,
  ClientClosedError,
  ConnectionError,
  type ConnectionErrorReason,
  CorrelationMismatchError,
  DeadlineExceededError,
  FrameTooLargeError,
  RequestTimeoutError,
  SaslAuthenticationError,
  type SaslOptions,
  SaslRequiredError,
  Secret,
  TlsError,
  type TlsOptions,
} from '@runnel/network';
export { KafkaProtocolError, UnsupportedVersionError } from '@runnel/protocol';
export type { ConsumerBatch, ConsumerRecord, OffsetAndEpoch, TopicPartition } from './batch.js';
export {
  type AutoOffsetReset,
  type ConsumerConfig,
  DEFAULTS,
  type GroupProtocol,
  type IsolationLevel,
  type LogFn,
  type Logger,
  type ResolvedConfig,
  resolveConfig,
  resolveSecurity,
  type SecurityConfig,
  type SecurityProtocol,
  silentLogger,
} from './config.js';
export { Consumer } from './consumer.js';
export {
  consumerConfigFromProperties,
  type ReadTextFile,
  SUPPORTED_PROPERTY_KEYS,
} from './consumer-properties.js';
export type {
  BatchesOptions,
  CloseOptions,
  ConsumerHealth,
  GroupHealth,
  PartitionLag,
  RebalanceListener,
  RunOptions,
  SubscriptionPattern,
} from './consumer-types.js';
export type {
  Deserialized,
  Deserializer,
  DeserializerContext,
  DeserializerFunction,
} from './deserializers.js';
export type {
  AcknowledgementMessage,
  CommitMessage,
  ConsumerIdentity,
  ConsumerMessage,
  ProcessMessage,
  RebalanceMessage,
} from './diagnostics.js';
export {
  AllBrokersDownError,
  CommitFailedError,
  ConfigError,
  ConsumerClosedError,
  ConsumerTimeoutError,
  IllegalStateError,
  InvalidTopicError,
  NoOffsetForPartitionError,
  NotAssignedError,
  OffsetOutOfRangeError,
  RecordTooLargeError,
} from './errors.js';
export type {
  AssignmentEvent,
  BrokerDownEvent,
  BrokerUpEvent,
  ClientEventMap,
  CommitEvent,
  ConsumerEventListener,
  ConsumerEventMap,
  ConsumerEventName,
  FatalEvent,
  FetchErrorEvent,
  FetchEvent,
  FetchStartEvent,
  HeartbeatEvent,
  JoinedEvent,
  OffsetResetEvent,
  OffsetResetReason,
  RebalanceEvent,
  RebalanceKind,
  RequestEvent,
} from './events.js';
export { describeGroup, type GroupDescription, type GroupMemberDescription } from './group-description.js';
export { parseProperties } from './java-properties.js';
export type { CommittedOffset, ListedOffset, OffsetToCommit } from './offset-requests.js';
export { TopicPartitionMap } from './partition-map.js';
export type { AcknowledgementResult } from './share/acknowledgement-ledger.js';
export type { AcknowledgementMode, ResolvedShareConfig, ShareConsumerConfig } from './share/share-config.js';
export { ShareConsumer } from './share/share-consumer.js';
export {
  type AcknowledgeType,
  AcquisitionLockTimeoutError,
  InvalidAcknowledgeTypeError,
  RecordAcknowledgementError,
  RecordAlreadyAcknowledgedError,
  RecordNotAcquiredError,
} from './share/share-errors.js';
export type {
  AcknowledgementEvent,
  ShareConsumerEventListener,
  ShareConsumerEventMap,
  ShareConsumerEventName,
} from './share/share-events.js';
export type { ShareBatch, ShareRecord } from './share/share-records.js';
export type { ShareConsumerHealth, ShareRunOptions } from './share/share-types.js';
export type { MeterProviderLike, TelemetryOptions, TracerProviderLike } from './telemetry-config.js';
export type { PartitionInfo } from './topic-listing.js';
