/** @runnel/network: connections, framing, broker pool, cluster metadata and request routing for Kafka. */
export { type ApiRequestOptions, apiRequest, type KafkaApi, type RequestOf, type ResponseOf } from './api.js';
export {
  BrokerConnection,
  type BrokerRequestOptions,
  type ClientSoftware,
  type ConnectionLike,
  negotiateApiVersions,
  type VersionRange,
} from './broker-connection.js';
export {
  BrokerPool,
  type BrokerPoolOptions,
  type ConnectionPurpose,
  type PoolConnectionOptions,
  parseBootstrapServers,
} from './broker-pool.js';
export { type BrokerReachability, BrokerReachabilityLog } from './broker-reachability.js';
export { type Clock, Sleeps, sleep, systemClock, type TimerHandle } from './clock.js';
export {
  ClusterClient,
  type ClusterClientOptions,
  type ClusterRequest,
  CoordinatorType,
  type RequestTarget,
} from './cluster-client.js';
export {
  type BrokerInfo,
  ClusterMetadata,
  type MetadataResponseLike,
  type PartitionMetadata,
  type TopicMetadata,
} from './cluster-metadata.js';
export {
  Connection,
  type ConnectionOptions,
  type ConnectionState,
  MAX_CORRELATION_ID,
  type RequestSpec,
  type SocketFactory,
} from './connection.js';
export {
  isTraced,
  type RequestMessage,
  type RequestProgress,
  type RequestSizes,
  requestChannel,
} from './diagnostics.js';
export {
  ClientClosedError,
  ConnectionError,
  type ConnectionErrorReason,
  CorrelationMismatchError,
  DeadlineExceededError,
  FrameTooLargeError,
  RequestTimeoutError,
} from './errors.js';
export { FrameDecoder } from './frame-decoder.js';
export { COORDINATOR_MOVED_CODES, kafkaError, STALE_METADATA_CODES } from './kafka-errors.js';
export {
  codeOf,
  DEFAULT_WARN_INTERVAL_MS,
  failure,
  type LogFn,
  type Logger,
  RateLimitedLog,
  silentLogger,
} from './logger.js';
export {
  AuthenticationError,
  SaslAuthenticationError,
  type SaslFailureReason,
  SaslRequiredError,
  TlsError,
  type TlsFailureReason,
} from './security/errors.js';
export {
  type OAuthBearerToken,
  type OAuthBearerTokenProvider,
  oauthBearerInitialResponse,
  oauthBearerMechanism,
  unsecuredJwt,
} from './security/oauthbearer.js';
export { type PlainCredentials, plainMechanism } from './security/plain.js';
export {
  authenticateSasl,
  type SaslOptions,
  type SaslSend,
  type SaslSession,
  saslMechanismOf,
} from './security/sasl-authenticator.js';
export type { SaslContext, SaslExchange, SaslMechanism } from './security/sasl-mechanism.js';
export {
  escapeScramUsername,
  type ScramCredentials,
  type ScramMechanismName,
  scramMechanism,
} from './security/scram.js';
export { Secret } from './security/secret.js';
export { looksLikeTlsRecord, type TlsOptions, tlsErrorOf, tlsSocketFactory } from './security/tls.js';
