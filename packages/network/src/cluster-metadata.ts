/**
 * The cluster as the last Metadata responses described it: brokers, topics, partitions, leaders and
 * leader epochs. Snapshots are immutable; an update builds a new one, so a reader never sees a
 * half-applied response.
 */

/** A broker of the cluster. Bootstrap addresses, whose node id is not known yet, use negative ids. */
export interface BrokerInfo {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

/** One partition of a topic. `leaderId` is -1 while the partition has no leader. */
export interface PartitionMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly leaderId: number;
  /** -1 when the broker is too old to report it. */
  readonly leaderEpoch: number;
  readonly replicaNodes: readonly number[];
  readonly isrNodes: readonly number[];
  readonly offlineReplicas: readonly number[];
}

/** One topic. A topic whose `errorCode` is not 0 (e.g. UNKNOWN_TOPIC_OR_PARTITION) has no partitions. */
export interface TopicMetadata {
  readonly name: string;
  /** Kafka's base64url text form; null when the broker does not report topic ids. */
  readonly topicId: string | null;
  readonly errorCode: number;
  readonly isInternal: boolean;
  /** Indexed by partition number; a partition missing from the response is a hole (undefined). */
  readonly partitions: readonly (PartitionMetadata | undefined)[];
}

/** The fields of a Metadata response (any version) that the cache reads. */
export interface MetadataResponseLike {
  brokers: ReadonlyArray<{ nodeId: number; host: string; port: number; rack?: string | null }>;
  clusterId?: string | null;
  controllerId?: number;
  topics: ReadonlyArray<{
    errorCode: number;
    name?: string | null;
    topicId?: string;
    isInternal?: boolean;
    partitions: ReadonlyArray<{
      errorCode: number;
      partitionIndex: number;
      leaderId: number;
      leaderEpoch?: number;
      replicaNodes: readonly number[];
      isrNodes: readonly number[];
      offlineReplicas?: readonly number[];
    }>;
  }>;
}

/** The all-zero topic id Kafka sends when a topic has none. */
const ZERO_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAA';
/** The largest partition count accepted from a response; bounds the per-topic array. */
const MAX_PARTITIONS = 1_000_000;

/** An immutable view of the cluster. */
export class ClusterMetadata {
  private constructor(
    readonly clusterId: string | null,
    readonly controllerId: number,
    readonly brokers: ReadonlyMap<number, BrokerInfo>,
    readonly topics: ReadonlyMap<string, TopicMetadata>,
    private readonly topicNamesById: ReadonlyMap<string, string>,
    /** Clock time of the response this snapshot came from (-Infinity for the empty one). */
    readonly updatedAt: number,
  ) {}

  /** A snapshot that knows nothing yet. */
  static empty(): ClusterMetadata {
    return new ClusterMetadata(null, -1, new Map(), new Map(), new Map(), Number.NEGATIVE_INFINITY);
  }

  /**
   * Applies a Metadata response on top of this snapshot and returns the new snapshot.
   *
   * Brokers are replaced by the response's list. Topics in the response replace their cached entry,
   * except partitions whose leader epoch went backwards (the answering broker's view is older than
   * what we already know, as Java's client also guards against); topics not in the response are kept
   * unless `replaceAllTopics` is set (the request asked for every topic). Entries that cannot be used
   * (a topic without name, a negative or absurd partition index) are skipped rather than failing the
   * whole response.
   * @returns the new snapshot; it never throws.
   */
  update(response: MetadataResponseLike, now: number, replaceAllTopics = false): ClusterMetadata {
    const brokers = new Map<number, BrokerInfo>();
    for (const b of response.brokers) {
      brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null });
    }
    const topics = new Map<string, TopicMetadata>(replaceAllTopics ? [] : this.topics);
    for (const t of response.topics) {
      if (!t.name) continue; // by-id requests for unknown ids answer without a name
      const topicId = t.topicId && t.topicId !== ZERO_TOPIC_ID ? t.topicId : null;
      const previous = this.topics.get(t.name);
      const partitions: (PartitionMetadata | undefined)[] = [];
      if (t.errorCode === 0) {
        for (const p of t.partitions) {
          const index = p.partitionIndex;
          if (!Number.isInteger(index) || index < 0 || index >= MAX_PARTITIONS) continue;
          const fresh: PartitionMetadata = {
            topic: t.name,
            partition: index,
            errorCode: p.errorCode,
            leaderId: p.leaderId,
            leaderEpoch: p.leaderEpoch ?? -1,
            replicaNodes: p.replicaNodes,
            isrNodes: p.isrNodes,
            offlineReplicas: p.offlineReplicas ?? [],
          };
          const old = previous?.topicId === topicId ? previous?.partitions[index] : undefined;
          partitions[index] =
            old && fresh.leaderEpoch >= 0 && old.leaderEpoch > fresh.leaderEpoch ? old : fresh;
        }
      }
      topics.set(t.name, {
        name: t.name,
        topicId,
        errorCode: t.errorCode,
        isInternal: t.isInternal ?? false,
        partitions,
      });
    }
    const topicNamesById = new Map<string, string>();
    for (const t of topics.values()) if (t.topicId) topicNamesById.set(t.topicId, t.name);
    return new ClusterMetadata(
      response.clusterId ?? this.clusterId,
      response.controllerId ?? -1,
      brokers,
      topics,
      topicNamesById,
      now,
    );
  }

  /** Returns the broker with this node id, or undefined when the snapshot does not list it. */
  broker(nodeId: number): BrokerInfo | undefined {
    return this.brokers.get(nodeId);
  }

  /** Returns the cached topic, or undefined when it was never part of a response. */
  topic(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  /** Returns the name of the topic with this id, or undefined when unknown. */
  topicName(topicId: string): string | undefined {
    return this.topicNamesById.get(topicId);
  }

  /** Returns one partition's metadata, or undefined when the topic or partition is unknown. */
  partition(topic: string, partition: number): PartitionMetadata | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  /**
   * Returns the leader of a partition, or undefined when it cannot be used now: the topic or partition
   * is unknown, the partition has no leader (-1), or the leader is not among the known brokers. Each of
   * these means the metadata is stale and should be refreshed.
   */
  leaderFor(topic: string, partition: number): BrokerInfo | undefined {
    const p = this.partition(topic, partition);
    if (!p || p.leaderId < 0) return undefined;
    return this.brokers.get(p.leaderId);
  }
}
