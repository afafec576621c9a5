/**
 * The embedded "consumer" protocol: the bytes a member puts in JoinGroup's protocol metadata
 * (ConsumerProtocolSubscription) and the bytes the leader puts in SyncGroup (ConsumerProtocolAssignment).
 * Both are an int16 version followed by a non-flexible struct. Java writes version 3; a newer version is
 * read as version 3, because later versions only append fields.
 */
import type { TopicPartition } from '@runnel/assignors';
import { DecodeError, Reader, Writer } from '@runnel/codec';
import { ConsumerProtocolAssignment, ConsumerProtocolSubscription } from '@runnel/protocol';

/** The highest ConsumerProtocolSubscription / ConsumerProtocolAssignment version this code writes and reads. */
export const CONSUMER_PROTOCOL_VERSION = 3;

/** The `protocolType` of consumer groups in JoinGroup and SyncGroup. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** A member's subscription as carried in JoinGroup metadata. */
export interface ConsumerSubscription {
  topics: string[];
  userData: Uint8Array | null;
  ownedPartitions: TopicPartition[];
  /** The generation in which `ownedPartitions` were owned, -1 when unknown. */
  generationId: number;
  rackId: string | null;
}

/** A member's assignment as carried in SyncGroup. */
export interface ConsumerAssignment {
  partitions: TopicPartition[];
  userData: Uint8Array | null;
}

function groupByTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const list = byTopic.get(topic);
    if (list) list.push(partition);
    else byTopic.set(topic, [partition]);
  }
  return [...byTopic].map(([topic, ids]) => ({ topic, partitions: ids }));
}

function flatten(byTopic: readonly { topic: string; partitions: number[] }[] | undefined): TopicPartition[] {
  return (byTopic ?? []).flatMap(({ topic, partitions }) =>
    partitions.map((partition) => ({ topic, partition })),
  );
}

function readVersion(r: Reader, what: string): number {
  const version = r.readInt16();
  if (version < 0) throw new DecodeError(`${what} has negative version ${version}`, 0);
  return Math.min(version, CONSUMER_PROTOCOL_VERSION);
}

/**
 * @returns the subscription encoded at version 3, ready for JoinGroup's protocol metadata.
 * @throws EncodeError when a partition id or string does not fit the wire format.
 */
export function encodeSubscription(s: ConsumerSubscription): Uint8Array {
  const w = new Writer(64);
  w.writeInt16(CONSUMER_PROTOCOL_VERSION);
  ConsumerProtocolSubscription.write(
    w,
    {
      topics: s.topics,
      userData: s.userData,
      ownedPartitions: groupByTopic(s.ownedPartitions),
      generationId: s.generationId,
      rackId: s.rackId,
    },
    CONSUMER_PROTOCOL_VERSION,
  );
  return w.finish();
}

/**
 * @returns the subscription a member sent, with defaults for fields its version lacks.
 * @throws DecodeError when the bytes are truncated, have a negative version, or carry impossible lengths.
 */
export function decodeSubscription(bytes: Uint8Array): ConsumerSubscription {
  const r = new Reader(bytes);
  const version = readVersion(r, 'ConsumerProtocolSubscription');
  const m = ConsumerProtocolSubscription.decode(r, version);
  return {
    topics: m.topics,
    userData: m.userData,
    ownedPartitions: flatten(m.ownedPartitions),
    generationId: m.generationId ?? -1,
    rackId: m.rackId ?? null,
  };
}

/**
 * @returns the assignment encoded at version 3, ready for SyncGroup.
 * @throws EncodeError when a partition id or string does not fit the wire format.
 */
export function encodeAssignment(a: ConsumerAssignment): Uint8Array {
  const w = new Writer(64);
  w.writeInt16(CONSUMER_PROTOCOL_VERSION);
  ConsumerProtocolAssignment.write(
    w,
    { assignedPartitions: groupByTopic(a.partitions), userData: a.userData },
    CONSUMER_PROTOCOL_VERSION,
  );
  return w.finish();
}

/**
 * @returns the assignment the leader sent; empty bytes (what the coordinator returns when the leader
 * assigned this member nothing) read as an empty assignment.
 * @throws DecodeError when the bytes are truncated, have a negative version, or carry impossible lengths.
 */
export function decodeAssignment(bytes: Uint8Array): ConsumerAssignment {
  if (bytes.length === 0) return { partitions: [], userData: null };
  const r = new Reader(bytes);
  const m = ConsumerProtocolAssignment.decode(r, readVersion(r, 'ConsumerProtocolAssignment'));
  return { partitions: flatten(m.assignedPartitions), userData: m.userData };
}
