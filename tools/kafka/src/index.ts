export type { KafkaBroker, KafkaCluster, KafkaClusterInfo, StartKafkaOptions } from './cluster.js';
export { DEFAULT_BROKER_JVM_OPTIONS, startKafka } from './cluster.js';
export { KafkaToolError } from './errors.js';
export type { ProcessResult } from './exec.js';
export { EXTERNAL_LISTENER, type ExternalListenerOptions } from './external-listener.js';
export { ensureKafkaJars, renderJarsPom } from './jars.js';
export type { CompileJavaOptions, RunJavaOptions } from './java.js';
export {
  compileJava,
  DEFAULT_TOOL_JVM_OPTIONS,
  JVM_MARKER,
  requireJdkProgram,
  runJava,
  spawnJava,
} from './java.js';
export { type JavaAssignorOptions, type JavaAssignorResult, runJavaAssignors } from './java-assignors.js';
export { type JavaProducerResult, javaProducer } from './java-producer.js';
export { kafkaCacheDir } from './paths.js';
export { trackChild } from './processes.js';
export type { BrokerProperties, PropertyValue } from './properties.js';
export { brokerProperties, renderProperties } from './properties.js';
export type {
  KafkaSecurityInfo,
  KafkaSecurityOptions,
  SecuredListener,
  SecuredPorts,
  TestCertificates,
} from './security.js';
export {
  generateTestCertificates,
  SASL_MECHANISMS,
  SECURED_LISTENERS,
  scramFormatArguments,
  securityProperties,
} from './security.js';
export type { DetachedClusterState } from './state.js';
export { readState, stateFile, stopDetachedCluster } from './state.js';
export type {
  CreateTopicOptions,
  GroupPartitionRow,
  ProducePerfOptions,
  ProducePerfSummary,
} from './tools.js';
export {
  alterGroupConfig,
  createTopic,
  describeGroup,
  getEndOffsets,
  parseDescribedConfigs,
  parseDescribeGroup,
  parseOffsets,
  parseProducePerfSummary,
  producePerf,
} from './tools.js';
export {
  addPartitions,
  describeTopic,
  electLeader,
  groupCoordinator,
  parseDescribeTopic,
  parseGroupCoordinator,
  type TopicPartitionState,
} from './topic-tools.js';
export type { KafkaLogging, KafkaVersionProfile } from './versions.js';
export {
  DEFAULT_KAFKA_VERSION,
  kafkaVersionProfile,
  resolveKafkaVersion,
  SUPPORTED_KAFKA_VERSIONS,
} from './versions.js';
export { parseBootstrap, parseNodeCount } from './vitest-global-setup.js';
