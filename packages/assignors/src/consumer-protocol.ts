/**
 * The consumer protocol's member metadata: what a member puts into JoinGroup (its subscription) and
 * what the leader puts into SyncGroup (each member's assignment). Both are an INT16 version followed
 * by the `ConsumerProtocolSubscription` / `ConsumerProtocolAssignment` data message (v0-v3).
 */
import { DecodeError, Reader, Writer } from '@runnel/codec';
import { ConsumerProtocolAssignment, ConsumerProtocolSubscription } from '@runnel/protocol';
import { compareTopicPartitions } from './common.js';
import type { MemberAssignment, MemberSubscription, TopicPartition } from './types.js';

/** The newest consumer protocol version Runnel knows (v3 adds the rack). */
export const CONSUMER_PROTOCOL_VERSION = 3;

/** The `protocolType` of groups whose members speak this protocol, sent in JoinGroup and SyncGroup. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** What a member sends in its subscription (MemberSubscription without the ids the coordinator adds). */
export type SubscriptionMetadata = Omit<MemberSubscription, 'memberId' | 'groupInstanceId'>;

function byTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const grouped = new Map<string, number[]>();
  for (const tp of partitions) {
    let list = grouped.get(tp.topic);
    if (list === undefined) grouped.set(tp.topic, (list = []));
    list.push(tp.partition);
  }
  return [...grouped].map(([topic, ps]) => ({ topic, partitions: ps }));
}

function flatten(topics: readonly { topic: string; partitions: readonly number[] }[]): TopicPartition[] {
  const out: TopicPartition[] = [];
  for (const t of topics) for (const partition of t.partitions) out.push({ topic: t.topic, partition });
  return out;
}

function readVersion(reader: Reader, what: string): number {
  const version = reader.readInt16();
  if (version < 0) throw new DecodeError(`unsupported ${what} version ${version}`, 0);
  // Newer versions only append fields, so they are read as the newest known one (as Java does).
  return Math.min(version, CONSUMER_PROTOCOL_VERSION);
}

/**
 * Encodes a subscription as JoinGroup member metadata.
 * @returns the version-prefixed bytes.
 * @throws EncodeError when a value does not fit its wire type or `version` is not 0-3.
 */
export function encodeSubscription(
  subscription: SubscriptionMetadata,
  version = CONSUMER_PROTOCOL_VERSION,
): Uint8Array {
  const w = new Writer(64);
  w.writeInt16(version);
  ConsumerProtocolSubscription.write(
    w,
    {
      // Java sorts both, and the same bytes make Runnel's and Java's metadata comparable.
      topics: [...subscription.topics].sort(),
      userData: subscription.userData ?? null,
      ownedPartitions: byTopic([...(subscription.ownedPartitions ?? [])].sort(compareTopicPartitions)),
      generationId: subscription.generationId ?? -1,
      rackId: subscription.rackId ?? null,
    },
    version,
  );
  return w.finish();
}

/**
 * Decodes JoinGroup member metadata into the member's subscription, as the leader sees it.
 * @returns the subscription; fields the version lacks hold their defaults (no owned partitions,
 *   generation -1, no rack).
 * @throws DecodeError on truncated or malformed bytes or a negative version.
 */
export function decodeSubscription(
  memberId: string,
  groupInstanceId: string | null,
  metadata: Uint8Array,
): MemberSubscription {
  const r = new Reader(metadata);
  const version = readVersion(r, 'subscription');
  const s = ConsumerProtocolSubscription.decode(r, version);
  return {
    memberId,
    groupInstanceId,
    topics: s.topics,
    userData: s.userData,
    ownedPartitions: flatten(s.ownedPartitions ?? []),
    generationId: s.generationId ?? -1,
    rackId: s.rackId ?? null,
  };
}

/**
 * Encodes one member's assignment as SyncGroup assignment bytes.
 * @returns the version-prefixed bytes.
 * @throws EncodeError when a value does not fit its wire type or `version` is not 0-3.
 */
export function encodeAssignment(
  assignment: MemberAssignment,
  version = CONSUMER_PROTOCOL_VERSION,
): Uint8Array {
  const w = new Writer(64);
  w.writeInt16(version);
  ConsumerProtocolAssignment.write(
    w,
    { assignedPartitions: byTopic(assignment.partitions), userData: assignment.userData ?? null },
    version,
  );
  return w.finish();
}

/**
 * Decodes the assignment a member receives in SyncGroup. Empty bytes (a member the leader gave
 * nothing, as some clients send) decode as an empty assignment.
 * @returns the member's partitions and user data.
 * @throws DecodeError on truncated or malformed bytes or a negative version.
 */
export function decodeAssignment(bytes: Uint8Array): MemberAssignment {
  if (bytes.length === 0) return { partitions: [], userData: null };
  const r = new Reader(bytes);
  const version = readVersion(r, 'assignment');
  const a = ConsumerProtocolAssignment.decode(r, version);
  return { partitions: flatten(a.assignedPartitions), userData: a.userData };
}
