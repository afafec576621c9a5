/**
 * The consumer part of KafkaJS 2.2.4's public types, with the same names and shapes, so that a program
 * written for KafkaJS compiles against this package with only its import changed.
 */
import type { ConnectionOptions } from 'node:tls';

/** KafkaJS's log levels. */
export enum logLevel {
  NOTHING = 0,
  ERROR = 1,
  WARN = 2,
  INFO = 4,
  DEBUG = 5,
}

/** What a log line carries besides its level and namespace. */
export interface LoggerEntryContent {
  readonly timestamp: string;
  readonly message: string;
  // biome-ignore lint/suspicious/noExplicitAny: KafkaJS's entries carry any extra fields.
  [key: string]: any;
}

/** One log line as a `logCreator`'s function gets it. */
export interface LogEntry {
  namespace: string;
  level: logLevel;
  label: string;
  log: LoggerEntryContent;
}

/** Builds the function that writes log lines, given the configured level. */
export type logCreator = (logLevel: logLevel) => (entry: LogEntry) => void;

/** KafkaJS's logger. */
export type Logger = {
  info: (message: string, extra?: object) => void;
  error: (message: string, extra?: object) => void;
  warn: (message: string, extra?: object) => void;
  debug: (message: string, extra?: object) => void;
  namespace: (namespace: string, logLevel?: logLevel) => Logger;
  setLogLevel: (logLevel: logLevel) => void;
};

/** KafkaJS's retry settings; `retries` and `initialRetryTime` drive the restart after handler errors. */
export interface RetryOptions {
  maxRetryTime?: number;
  initialRetryTime?: number;
  factor?: number;
  multiplier?: number;
  retries?: number;
  restartOnFailure?: (e: Error) => Promise<boolean>;
}

/** SASL settings: PLAIN, SCRAM and OAUTHBEARER are supported (AWS IAM is not). */
export type SASLOptions =
  | { mechanism: 'plain'; username: string; password: string }
  | { mechanism: 'scram-sha-256'; username: string; password: string }
  | { mechanism: 'scram-sha-512'; username: string; password: string }
  | {
      mechanism: 'aws';
      authorizationIdentity: string;
      accessKeyId: string;
      secretAccessKey: string;
      sessionToken?: string;
    }
  | { mechanism: 'oauthbearer'; oauthBearerProvider: () => Promise<{ value: string }> };

/** A function that returns the broker list (KafkaJS calls it on each connect; here once, at `run`). */
export type BrokersFunction = () => string[] | Promise<string[]>;

/** `new Kafka(config)`. */
export interface KafkaConfig {
  brokers: string[] | BrokersFunction;
  ssl?: ConnectionOptions | boolean;
  sasl?: SASLOptions;
  clientId?: string;
  connectionTimeout?: number;
  authenticationTimeout?: number;
  reauthenticationThreshold?: number;
  requestTimeout?: number;
  enforceRequestTimeout?: boolean;
  retry?: RetryOptions;
  socketFactory?: unknown;
  logLevel?: logLevel;
  logCreator?: logCreator;
}

/** `kafka.consumer(config)`. `partitionAssigners` and `maxInFlightRequests` are accepted and ignored. */
export interface ConsumerConfig {
  groupId: string;
  partitionAssigners?: unknown[];
  metadataMaxAge?: number;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  minBytes?: number;
  maxBytes?: number;
  maxWaitTimeInMs?: number;
  retry?: RetryOptions & { restartOnFailure?: (err: Error) => Promise<boolean> };
  allowAutoTopicCreation?: boolean;
  maxInFlightRequests?: number;
  readUncommitted?: boolean;
  rackId?: string;
}

/** Record headers: one Buffer per key, or an array when a key repeats. */
export interface IHeaders {
  [key: string]: Buffer | string | (Buffer | string)[] | undefined;
}

/** A record as KafkaJS hands it out: Buffer key and value, string offset and timestamp. */
export interface KafkaMessage {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  attributes: number;
  offset: string;
  headers: IHeaders;
  size?: never;
}

/** One partition's records from one fetch, with KafkaJS's lag helpers. */
export type Batch = {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  offsetLag(): string;
  offsetLagLow(): string;
};

export type TopicPartitions = { topic: string; partitions: number[] };
export type TopicPartition = { topic: string; partition: number };
export type TopicPartitionOffset = TopicPartition & { offset: string };
export type TopicPartitionOffsetAndMetadata = TopicPartitionOffset & { metadata?: string | null };
export type PartitionOffset = { partition: number; offset: string };
export type TopicOffsets = { topic: string; partitions: PartitionOffset[] };
export type Offsets = { topics: TopicOffsets[] };
export interface OffsetsByTopicPartition {
  topics: TopicOffsets[];
}

/** The argument of `eachMessage`. */
export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  heartbeat(): Promise<void>;
  pause(): () => void;
}

/** The argument of `eachBatch`. */
export interface EachBatchPayload {
  batch: Batch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  pause(): () => void;
  commitOffsetsIfNecessary(offsets?: Offsets): Promise<void>;
  uncommittedOffsets(): OffsetsByTopicPartition;
  isRunning(): boolean;
  isStale(): boolean;
}

export type ConsumerEachMessagePayload = EachMessagePayload;
export type ConsumerEachBatchPayload = EachBatchPayload;
export type EachBatchHandler = (payload: EachBatchPayload) => Promise<void>;
export type EachMessageHandler = (payload: EachMessagePayload) => Promise<void>;

/** `consumer.run(config)`. */
export type ConsumerRunConfig = {
  autoCommit?: boolean;
  autoCommitInterval?: number | null;
  autoCommitThreshold?: number | null;
  eachBatchAutoResolve?: boolean;
  partitionsConsumedConcurrently?: number;
  eachBatch?: EachBatchHandler;
  eachMessage?: EachMessageHandler;
};

/** @deprecated KafkaJS's older form: use {@link ConsumerSubscribeTopics}. */
export type ConsumerSubscribeTopic = { topic: string | RegExp; fromBeginning?: boolean };
export type ConsumerSubscribeTopics = { topics: (string | RegExp)[]; fromBeginning?: boolean };

/** A member in {@link GroupDescription}. */
export type MemberDescription = {
  clientHost: string;
  clientId: string;
  memberId: string;
  memberAssignment: Buffer;
  memberMetadata: Buffer;
};

export type ConsumerGroupState =
  | 'Unknown'
  | 'PreparingRebalance'
  | 'CompletingRebalance'
  | 'Stable'
  | 'Dead'
  | 'Empty';

/** What `describeGroup()` returns. */
export type GroupDescription = {
  groupId: string;
  members: MemberDescription[];
  protocol: string;
  protocolType: string;
  state: ConsumerGroupState;
};

/** An instrumentation event: `consumer.on(consumer.events.X, (event) => ...)`. */
export interface InstrumentationEvent<T> {
  id: string;
  type: string;
  timestamp: number;
  payload: T;
}

/** Removes the listener it was returned for (the type parameter, the event name, is KafkaJS's). */
// biome-ignore lint/correctness/noUnusedVariables: kept for KafkaJS's signature.
export type RemoveInstrumentationEventListener<T> = () => void;
