/** `runnel topics list` and `runnel topics describe <topic>`. */
import { EARLIEST, keyOf, LATEST } from '../admin.js';
import type { CommandContext } from '../context.js';
import { cell, renderFields, renderTable } from '../table.js';
import { printAnswer, withAdmin } from './shared.js';

/** Options of `topics list`. */
export interface TopicListOptions {
  readonly json: boolean;
  /** Include internal topics (`__consumer_offsets`...). */
  readonly all: boolean;
}

/**
 * Prints the cluster's topics with their partition count and replication factor, sorted by name.
 * @returns once printed.
 * @throws KafkaProtocolError; CliTimeoutError.
 */
export function listTopics(ctx: CommandContext, options: TopicListOptions): Promise<void> {
  return withAdmin(ctx, async (admin) => {
    const metadata = await admin.cluster();
    const topics = [...metadata.topics.values()]
      .filter((t) => t.errorCode === 0 && (options.all || !t.isInternal))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((t) => ({
        name: t.name,
        partitions: t.partitions.length,
        replicationFactor: t.partitions[0]?.replicaNodes.length ?? 0,
        internal: t.isInternal,
      }));
    await printAnswer(ctx, options.json, topics, (colors) =>
      renderTable(
        [
          { header: 'TOPIC' },
          { header: 'PARTITIONS', align: 'right' },
          { header: 'REPLICATION', align: 'right' },
        ],
        topics.map((t) => [t.name, String(t.partitions), String(t.replicationFactor)]),
        colors,
      ),
    );
  });
}

/**
 * Prints a topic: its id and, per partition, leader, replicas, in-sync replicas, and the earliest and
 * latest offsets (the high watermark).
 * @returns once printed.
 * @throws TopicNotFoundError; KafkaProtocolError; CliTimeoutError.
 */
export function describeTopic(ctx: CommandContext, topic: string, options: { json: boolean }): Promise<void> {
  return withAdmin(ctx, async (admin) => {
    const [metadata] = await admin.topics([topic]);
    const partitions = metadata!.partitions.flatMap((p) => (p === undefined ? [] : [p]));
    const [earliest, latest] = await Promise.all([
      admin.listOffsets(partitions, EARLIEST, 0),
      admin.listOffsets(partitions, LATEST, 0),
    ]);
    const rows = partitions.map((p) => ({
      partition: p.partition,
      leader: p.leaderId,
      leaderEpoch: p.leaderEpoch,
      replicas: p.replicaNodes,
      isr: p.isrNodes,
      offline: p.offlineReplicas,
      earliest: earliest.get(keyOf(p)) ?? null,
      latest: latest.get(keyOf(p)) ?? null,
    }));
    const described = {
      name: topic,
      topicId: metadata!.topicId,
      internal: metadata!.isInternal,
      partitions: rows,
    };
    await printAnswer(ctx, options.json, described, (colors) => {
      const records = rows.reduce((sum, r) => sum + ((r.latest ?? 0) - (r.earliest ?? 0)), 0);
      const fields = renderFields(
        [
          ['topic', topic],
          ['id', described.topicId ?? '-'],
          ['partitions', String(rows.length)],
          ['replication', String(rows[0]?.replicas.length ?? 0)],
          ['records', `${records} (latest - earliest, all partitions)`],
        ],
        colors,
      );
      const table = renderTable(
        [
          { header: 'PARTITION', align: 'right' },
          { header: 'LEADER', align: 'right' },
          { header: 'REPLICAS' },
          { header: 'ISR' },
          { header: 'EARLIEST', align: 'right' },
          { header: 'LATEST', align: 'right' },
        ],
        rows.map((r) => [
          String(r.partition),
          String(r.leader),
          r.replicas.join(','),
          r.isr.join(','),
          cell(r.earliest),
          cell(r.latest),
        ]),
        colors,
      );
      return `${fields}\n${table}`;
    });
  });
}
