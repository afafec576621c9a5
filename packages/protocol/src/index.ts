/** @runnel/protocol: every Kafka API's request and response codecs, headers, version negotiation and error table. */
export { type ApiDefinition, defineCodec, type MessageCodec, type MessageDefinition } from './api.js';
export { type BackoffOptions, backoffMs, ExponentialBackoff } from './backoff.js';
export {
  ErrorCode,
  type ErrorName,
  KAFKA_ERRORS,
  type KafkaErrorInfo,
  KafkaProtocolError,
  kafkaErrorInfo,
  throwIfKafkaError,
} from './errors.js';
export * from './generated/index.js';
export {
  type DecodedResponse,
  decodeResponse,
  encodeRequestFrame,
  type RequestFrameOptions,
  readApiVersionsBody,
  readResponseBody,
  readResponseHeaderRest,
  requestHeaderVersion,
  responseCorrelationId,
  responseHeaderVersion,
  writeRequestHeader,
} from './headers.js';
export {
  apiVersionsRetryVersion,
  brokerVersionRanges,
  clientVersionRanges,
  negotiateVersion,
  negotiateVersions,
  UnsupportedVersionError,
  type VersionRange,
} from './negotiation.js';
export { isRetriable, type RetriableError } from './retriable.js';
export { partitionKey, type TopicPartition } from './topic-partition.js';
