/**
 * The admin-like calls behind `groups`, `lag`, `offsets` and `topics` (and the lookups `consume` makes
 * before it starts), over one ClusterClient of @runnel/network: Metadata, ListGroups, OffsetFetch,
 * ListOffsets and OffsetCommit as Kafka's AdminClient sends them, and the group description of
 * @runnel/consumer. Every call is bounded by `--timeout`.
 */
import {
  describeGroup,
  type GroupDescription,
  resolveConfig,
  resolveSecurity,
  type TopicPartition,
} from '@runnel/consumer';
import {
  type BrokerInfo,
  ClusterClient,
  ClusterMetadata,
  CoordinatorType,
  type TopicMetadata,
} from '@runnel/network';
import {
  ErrorCode,
  KafkaProtocolError,
  ListGroups,
  ListOffsets,
  Metadata,
  OffsetCommit,
  OffsetFetch,
  type OffsetFetchResponse,
  UnsupportedVersionError,
} from '@runnel/protocol';
import { GroupNotFoundError, TopicNotFoundError } from './errors.js';
import type { CliLogger } from './logger.js';
import type { Settings } from './settings.js';
import { withTimeout } from './timeout.js';

/** ListOffsets' special timestamps. */
export const EARLIEST = -2;
export const LATEST = -1;

/** A group as ListGroups reports it. */
export interface ListedGroup {
  readonly groupId: string;
  /** `classic` or `consumer`; null when the broker does not say (ListGroups before v5). */
  readonly type: string | null;
  /** e.g. `Stable`, `Empty`; null before ListGroups v4. */
  readonly state: string | null;
  /** `consumer` for consumer groups, `connect` for Connect workers... */
  readonly protocolType: string;
}

/** A committed offset of a group. */
export interface GroupOffset extends TopicPartition {
  readonly offset: number;
}

/** @returns `topic-partition`, the key every map here uses. */
export function keyOf(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

/** A client for the admin-like requests of the commands, closed with {@link close}. */
export class Admin {
  readonly client: ClusterClient;
  private readonly timeoutMs: number;

  /** @throws ConfigError or TlsError (from @runnel/consumer and @runnel/network) for a bad configuration. */
  constructor(
    settings: Settings,
    private readonly logger: CliLogger,
  ) {
    const resolved = resolveConfig(settings.config);
    const { tls, sasl } = resolveSecurity(settings.config);
    this.timeoutMs = settings.timeoutMs;
    this.client = new ClusterClient({
      ...(tls === undefined ? {} : { tls }),
      ...(sasl === undefined ? {} : { sasl }),
      bootstrapServers: resolved.brokers,
      connection: {
        clientId: resolved.clientId,
        requestTimeoutMs: settings.timeoutMs,
        connectTimeoutMs: settings.timeoutMs,
      },
      retryBackoffMs: resolved.retryBackoffMs,
      defaultDeadlineMs: settings.timeoutMs,
      logger,
      clientSoftware: { name: 'runnel-cli', version: '0.0.0' },
    });
  }

  /**
   * Runs `work` with the command's time limit around it, so that nothing (a broker that accepts the
   * connection and never answers included) makes the command wait longer than `--timeout`.
   * @returns what `work` returns.
   * @throws CliTimeoutError naming `what` (with the last connection error as cause) when time runs out;
   *   otherwise what `work` throws.
   */
  bounded<T>(what: string, work: Promise<T>): Promise<T> {
    return withTimeout(what, work, this.timeoutMs, () => this.logger.lastError);
  }

  /**
   * Reads the cluster's metadata for these topics.
   * @returns each topic's metadata, in the order asked.
   * @throws TopicNotFoundError for a topic the cluster does not know; KafkaProtocolError for another
   *   topic error (e.g. TOPIC_AUTHORIZATION_FAILED); CliTimeoutError.
   */
  async topics(names: readonly string[]): Promise<TopicMetadata[]> {
    const metadata = await this.bounded(
      `reading metadata from ${this.bootstrap()}`,
      this.client.topicMetadata(names),
    );
    return names.map((name) => {
      const topic = metadata.topic(name);
      if (!topic || topic.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        throw new TopicNotFoundError(name);
      if (topic.errorCode !== 0) throw new KafkaProtocolError(topic.errorCode, `topic ${name}`);
      return topic;
    });
  }

  /** @returns the metadata of every topic and broker of the cluster. @throws CliTimeoutError; KafkaProtocolError. */
  async cluster(): Promise<ClusterMetadata> {
    const response = await this.bounded(
      `listing topics from ${this.bootstrap()}`,
      this.client.send({
        target: { kind: 'any' },
        api: Metadata,
        message: { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false },
        errorCode: (r) => r.errorCode ?? 0,
      }),
    );
    return ClusterMetadata.empty().update(response, Date.now(), true);
  }

  /**
   * Looks up one offset per partition at its leader: the log start (EARLIEST), the end (LATEST: the
   * last stable offset under read_committed) or the first at or after a time. Partitions whose leader
   * moved are asked again after a metadata refresh until `--timeout`.
   * @returns per partition key the offset, or null when no record is at or after the time asked.
   * @throws KafkaProtocolError for a non-retriable partition error; CliTimeoutError.
   */
  listOffsets(
    partitions: readonly TopicPartition[],
    timestamp: number,
    isolationLevel: 0 | 1,
  ): Promise<Map<string, number | null>> {
    return this.bounded('ListOffsets', this.listOffsetsUnbounded(partitions, timestamp, isolationLevel));
  }

  private async listOffsetsUnbounded(
    partitions: readonly TopicPartition[],
    timestamp: number,
    isolationLevel: 0 | 1,
  ): Promise<Map<string, number | null>> {
    const found = new Map<string, number | null>();
    let pending = [...partitions];
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) {
        this.client.requestMetadataUpdate();
        await sleep(Math.min(50 * 2 ** attempt, 1000));
      }
      const metadata = await this.client.topicMetadata(new Set(pending.map((p) => p.topic)));
      const byLeader = new Map<number, TopicPartition[]>();
      const retry: TopicPartition[] = [];
      for (const p of pending) {
        const leader = metadata.leaderFor(p.topic, p.partition);
        if (leader) byLeader.set(leader.nodeId, [...(byLeader.get(leader.nodeId) ?? []), p]);
        else retry.push(p);
      }
      await Promise.all(
        [...byLeader].map(async ([nodeId, list]) => {
          const response = await this.client.send({
            target: { kind: 'broker', nodeId },
            api: ListOffsets,
            message: {
              replicaId: -1,
              isolationLevel,
              topics: [...groupByTopic(list)].map(([name, ps]) => ({
                name,
                partitions: ps.map((partitionIndex) => ({
                  partitionIndex,
                  currentLeaderEpoch: -1,
                  timestamp: BigInt(timestamp),
                })),
              })),
            },
          });
          for (const t of response.topics) {
            for (const p of t.partitions) {
              const tp = { topic: t.name, partition: p.partitionIndex };
              if (p.errorCode === 0) found.set(keyOf(tp), p.offset < 0n ? null : Number(p.offset));
              else if (new KafkaProtocolError(p.errorCode).retriable) retry.push(tp);
              else throw new KafkaProtocolError(p.errorCode, `ListOffsets of ${keyOf(tp)}`);
            }
          }
        }),
      );
      pending = retry;
    }
    return found;
  }

  /**
   * Lists the groups of every broker (each coordinates its own share), sorted by id.
   * @returns the groups.
   * @throws KafkaProtocolError (e.g. CLUSTER_AUTHORIZATION_FAILED); CliTimeoutError.
   */
  async listGroups(): Promise<ListedGroup[]> {
    const work = async () => {
      const metadata = await this.client.refreshMetadata();
      const brokers: BrokerInfo[] = [...metadata.brokers.values()];
      const answers = await Promise.all(
        brokers.map((b) =>
          this.client.send({
            target: { kind: 'broker', nodeId: b.nodeId },
            api: ListGroups,
            message: { statesFilter: [], typesFilter: [] },
            errorCode: (r) => r.errorCode,
          }),
        ),
      );
      return answers
        .flatMap((r) => r.groups)
        .map((g) => ({
          groupId: g.groupId,
          type: g.groupType || null,
          state: g.groupState || null,
          protocolType: g.protocolType,
        }))
        .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
    };
    return this.bounded(`listing groups from ${this.bootstrap()}`, work());
  }

  /**
   * Describes a group of either protocol: ConsumerGroupDescribe first (KIP-848 groups), then
   * DescribeGroups, as Kafka's AdminClient does.
   * @returns the description.
   * @throws GroupNotFoundError when neither knows the group; KafkaProtocolError; CliTimeoutError.
   */
  async describeGroup(groupId: string): Promise<GroupDescription> {
    const work = async () => {
      try {
        return await describeGroup(this.client, groupId, 'consumer', '', this.timeoutMs);
      } catch (error) {
        const otherProtocol =
          (error instanceof KafkaProtocolError && error.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) ||
          error instanceof UnsupportedVersionError;
        if (!otherProtocol) throw error;
      }
      try {
        const classic = await describeGroup(this.client, groupId, 'classic', '', this.timeoutMs);
        // Brokers before Kafka 4 describe an unknown group as Dead; newer ones answer GROUP_ID_NOT_FOUND.
        if (classic.groupState === 'Dead') throw new GroupNotFoundError(groupId);
        return classic;
      } catch (error) {
        if (error instanceof KafkaProtocolError && error.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) {
          throw new GroupNotFoundError(groupId);
        }
        throw error;
      }
    };
    return this.bounded(`describing group ${groupId}`, work());
  }

  /**
   * Reads every offset the group committed (OffsetFetch for all topics).
   * @returns the offsets, sorted by topic and partition.
   * @throws KafkaProtocolError (e.g. GROUP_AUTHORIZATION_FAILED); CliTimeoutError.
   */
  committedOffsets(groupId: string): Promise<GroupOffset[]> {
    const work = async () => {
      const response: OffsetFetchResponse = await this.client.send({
        target: { kind: 'coordinator', keyType: CoordinatorType.group, key: groupId },
        api: OffsetFetch,
        maxVersion: 9,
        message: (version) =>
          version >= 8
            ? { groups: [{ groupId, topics: null }], requireStable: true }
            : { groupId, topics: null, requireStable: version >= 7 ? true : undefined },
        errorCode: (r) => r.groups?.[0]?.errorCode ?? r.errorCode ?? 0,
      });
      const rows = response.groups
        ? response.groups[0]!.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name ?? '', ...p })))
        : (response.topics ?? []).flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p })));
      const offsets: GroupOffset[] = [];
      for (const row of rows) {
        if (row.errorCode !== 0) {
          throw new KafkaProtocolError(row.errorCode, `OffsetFetch of ${row.topic}-${row.partitionIndex}`);
        }
        if (row.committedOffset >= 0n) {
          offsets.push({
            topic: row.topic,
            partition: row.partitionIndex,
            offset: Number(row.committedOffset),
          });
        }
      }
      return sortPartitions(offsets);
    };
    return this.bounded(`reading the offsets of group ${groupId}`, work());
  }

  /**
   * Commits offsets for a group from outside it (generation -1, no member id), as AdminClient's
   * alterConsumerGroupOffsets does; the coordinator takes it only while the group is empty.
   * @returns once every offset is stored.
   * @throws KafkaProtocolError for the first partition refused (e.g. UNKNOWN_MEMBER_ID when the group
   *   has members); CliTimeoutError.
   */
  commitOffsets(groupId: string, offsets: readonly GroupOffset[]): Promise<void> {
    const work = async () => {
      const response = await this.client.send({
        target: { kind: 'coordinator', keyType: CoordinatorType.group, key: groupId },
        api: OffsetCommit,
        maxVersion: 9,
        message: {
          groupId,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [...groupByTopic(offsets)].map(([name]) => ({
            name,
            partitions: offsets
              .filter((o) => o.topic === name)
              .map((o) => ({
                partitionIndex: o.partition,
                committedOffset: BigInt(o.offset),
                committedLeaderEpoch: -1,
                committedMetadata: '',
              })),
          })),
        },
      });
      for (const t of response.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) {
            throw new KafkaProtocolError(p.errorCode, `OffsetCommit of ${t.name}-${p.partitionIndex}`);
          }
        }
      }
    };
    return this.bounded(`committing the offsets of group ${groupId}`, work());
  }

  /** Closes every connection. @returns once closed; never rejects. */
  async close(): Promise<void> {
    await this.client.close().catch(() => undefined);
  }

  private bootstrap(): string {
    return this.client.pool.bootstrapBrokers.map((b) => `${b.host}:${b.port}`).join(',');
  }
}

function groupByTopic(partitions: readonly TopicPartition[]): Map<string, number[]> {
  const topics = new Map<string, number[]>();
  for (const p of partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
  return topics;
}

/** @returns the partitions sorted by topic, then partition number. */
export function sortPartitions<T extends TopicPartition>(partitions: readonly T[]): T[] {
  return [...partitions].sort((a, b) =>
    a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
  );
}

/** An unreferenced wait: the command's own timer (see {@link withTimeout}) keeps the process alive. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
