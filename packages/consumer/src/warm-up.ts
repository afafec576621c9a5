/**
 * Connections opened ahead of need on the start-up path. A connection costs a TCP connect and an
 * ApiVersions round trip (plus TLS and SASL where configured) before its first request; opened only
 * when ListOffsets, OffsetFetch and the first Fetch need them, those handshakes come one after another
 * between the join and the first record. Opened as soon as the brokers are known (while the group is
 * still joining, or while the start positions are looked up) they overlap with round trips the
 * consumer waits for anyway.
 */
import type { ClusterClient, ClusterMetadata } from '@runnel/network';
import type { TopicPartition } from './batch.js';

/**
 * Opens, in the background, the connections to the leaders of `partitions` (or of every partition of
 * `topics`) that the consumer's first requests to them use: `default` (ListOffsets, metadata) and
 * `fetch`. Brokers that `metadata` does not name are left alone; failures are only logged by the pool.
 */
export function warmLeaderConnections(
  client: ClusterClient,
  metadata: ClusterMetadata,
  partitions: { readonly topics: Iterable<string> } | { readonly partitions: readonly TopicPartition[] },
): void {
  const leaders = new Set<number>();
  const list =
    'partitions' in partitions
      ? partitions.partitions
      : [...partitions.topics].flatMap((topic) =>
          (metadata.topic(topic)?.partitions ?? []).map((_, partition) => ({ topic, partition })),
        );
  for (const { topic, partition } of list) {
    const leader = metadata.leaderFor(topic, partition);
    if (leader) leaders.add(leader.nodeId);
  }
  for (const nodeId of leaders) {
    const broker = metadata.broker(nodeId);
    if (!broker) continue;
    client.warmConnection(broker, 'default');
    client.warmConnection(broker, 'fetch');
  }
}
