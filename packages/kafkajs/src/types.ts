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
  /** Writes `message` at level INFO, with `extra` fields added to the entry. */
  info: (message: string, extra?: object) => void;
  /** Writes `message` at level ERROR, with `extra` fields added to the entry. */
  error: (message: string, extra?: object) => void;
  /** Writes `message` at level WARN, with `extra` fields added to the entry. */
  warn: (message: string, extra?: object) => void;
  /** Writes `message` at level DEBUG, with `extra` fields added to the entry. */
  debug: (message: string, extra?: object) => void;
  /** Returns a logger whose entries carry `namespace` (and, if given, its own level). */
  namespace: (namespace: string, logLevel?: logLevel) => Logger;
  /** Changes the level below which entries are dropped. */
  setLogLevel: (logLevel: logLevel) => void;
};

/** KafkaJS's retry settings; `retries` and `initialRetryTime` drive the restart after handler errors. */
export interface RetryOptions {
  maxRetryTime?: number;
  initialRetryTime?: number;
  factor?: number;
  multiplier?: number;
  retries?: number;
  /** Asked once `eachMessage`/`eachBatch` failed more than `retries` times: true restarts (the default), false stops. */
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
  | {
      mechanism: 'oauthbearer';
      /** Returns the OAuth bearer token (`value`) that the consumer authenticates with. */
      oauthBearerProvider: () => Promise<{ value: string }>;
    };

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
  retry?: RetryOptions & {
    /** Asked once `eachMessage`/`eachBatch` failed more than `retries` times: true restarts (the default), false stops. */
    restartOnFailure?: (err: Error) => Promise<boolean>;
  };
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
  /** @returns whether the batch has no messages. */
  isEmpty(): boolean;
  /** @returns the offset of the first message, or null when the batch is empty. */
  firstOffset(): string | null;
  /** @returns the offset of the last message in the batch. */
  lastOffset(): string;
  /** @returns how far the last message is behind the partition's end: `highWatermark - 1 - lastOffset`. */
  offsetLag(): string;
  /** @returns how far the first message is behind the partition's end: `highWatermark - 1 - firstOffset`. */
  offsetLagLow(): string;
};

/** A topic and some of its partitions, as `pause`, `resume` and `paused` take and return them. */
export type TopicPartitions = { topic: string; partitions: number[] };
/** One partition of a topic. */
export type TopicPartition = { topic: string; partition: number };
/** A partition and an offset in it (a string, as KafkaJS writes 64-bit offsets), as `seek` takes it. */
export type TopicPartitionOffset = TopicPartition & { offset: string };
/** A partition's offset to commit, with the optional metadata string Kafka stores beside it. */
export type TopicPartitionOffsetAndMetadata = TopicPartitionOffset & { metadata?: string | null };
/** A partition number and an offset in it. */
export type PartitionOffset = { partition: number; offset: string };
/** One topic's partition offsets. */
export type TopicOffsets = { topic: string; partitions: PartitionOffset[] };
/** Offsets of several topics, as `commitOffsetsIfNecessary` takes them. */
export type Offsets = { topics: TopicOffsets[] };
/** Offsets grouped by topic, as `uncommittedOffsets()` returns them. */
export interface OffsetsByTopicPartition {
  topics: TopicOffsets[];
}

/** The argument of `eachMessage`. */
export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  /** KafkaJS's manual heartbeat; resolves at once here, as the group heartbeats on its own schedule. */
  heartbeat(): Promise<void>;
  /** Pauses this message's partition. @returns a function that resumes it. */
  pause(): () => void;
}

/** The argument of `eachBatch`. */
export interface EachBatchPayload {
  batch: Batch;
  /** Marks `offset` as processed: the next commit covers it, and a restart resumes after it. */
  resolveOffset(offset: string): void;
  /** KafkaJS's manual heartbeat; resolves at once here, as the group heartbeats on its own schedule. */
  heartbeat(): Promise<void>;
  /** Pauses this batch's partition. @returns a function that resumes it. */
  pause(): () => void;
  /**
   * Commits `offsets` if given; otherwise commits the resolved offsets when `autoCommitInterval` or
   * `autoCommitThreshold` says a commit is due.
   */
  commitOffsetsIfNecessary(offsets?: Offsets): Promise<void>;
  /** @returns the resolved offsets not yet committed. */
  uncommittedOffsets(): OffsetsByTopicPartition;
  /** @returns false once the consumer is stopping, so that a long batch loop can end early. */
  isRunning(): boolean;
  /** @returns true when the batch's partition was revoked or sought since the batch was fetched. */
  isStale(): boolean;
}

/** Another name KafkaJS exports for {@link EachMessagePayload}. */
export type ConsumerEachMessagePayload = EachMessagePayload;
/** Another name KafkaJS exports for {@link EachBatchPayload}. */
export type ConsumerEachBatchPayload = EachBatchPayload;
/** The `eachBatch` function of `consumer.run`: processes one partition's batch. */
export type EachBatchHandler = (payload: EachBatchPayload) => Promise<void>;
/** The `eachMessage` function of `consumer.run`: processes one message. */
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
/** `consumer.subscribe(config)`: topic names or patterns, and whether a new group starts at the log start. */
export type ConsumerSubscribeTopics = { topics: (string | RegExp)[]; fromBeginning?: boolean };

/** A member in {@link GroupDescription}. */
export type MemberDescription = {
  clientHost: string;
  clientId: string;
  memberId: string;
  memberAssignment: Buffer;
  memberMetadata: Buffer;
};

/** A consumer group's state as the group coordinator reports it in DescribeGroups. */
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
