/** `runnel offsets reset <group> --topic t --to <position> [--dry-run]`. */
import type { TopicPartition } from '@runnel/consumer';
import { EARLIEST, keyOf, LATEST } from '../admin.js';
import type { CommandContext } from '../context.js';
import { GroupNotEmptyError, GroupNotFoundError, UsageError } from '../errors.js';
import { lookupsFor, type PositionSpec, parsePartitions, resolvePosition } from '../positions.js';
import { cell, renderTable } from '../table.js';
import { printAnswer, withAdmin } from './shared.js';

/** Options of `offsets reset`. */
export interface ResetOptions {
  /** `--topic`, each `name` or `name:0,1,2`. */
  readonly topics: readonly string[];
  readonly to: PositionSpec;
  readonly dryRun: boolean;
  readonly json: boolean;
}

/** One partition of a reset. */
export interface ResetRow extends TopicPartition {
  /** The offset committed before; null when none was. */
  readonly current: number | null;
  readonly next: number;
}

/**
 * Reads `--topic` values: a topic, or a topic and its partitions (`orders:0,2`), as Kafka's tool takes them.
 * @returns the topics, each with its partitions or null for all.
 * @throws UsageError on a malformed partition list.
 */
export function parseTopicPartitions(
  values: readonly string[],
): { topic: string; partitions: number[] | null }[] {
  return values.map((value) => {
    const colon = value.lastIndexOf(':');
    if (colon < 0) return { topic: value, partitions: null };
    return { topic: value.slice(0, colon), partitions: parsePartitions(value.slice(colon + 1), '--topic') };
  });
}

/**
 * Moves a group's committed offsets, as `kafka-consumer-groups --reset-offsets` does: only while the
 * group is empty (or does not exist yet); an offset outside the log is moved to its nearest end, and a
 * time after the last record to the log end.
 * @returns once committed (or, with `dryRun`, once the plan is printed).
 * @throws GroupNotEmptyError when the group has members; TopicNotFoundError; UsageError for a partition
 *   the topic lacks; KafkaProtocolError; CliTimeoutError.
 */
export function resetOffsets(ctx: CommandContext, groupId: string, options: ResetOptions): Promise<void> {
  return withAdmin(ctx, async (admin) => {
    const state = await admin.describeGroup(groupId).catch((error: unknown) => {
      if (error instanceof GroupNotFoundError) return null;
      throw error;
    });
    if (state !== null && state.groupState !== 'Empty') {
      throw new GroupNotEmptyError(groupId, state.groupState, state.members.length);
    }
    const wanted = parseTopicPartitions(options.topics);
    const metadata = await admin.topics(wanted.map((w) => w.topic));
    const partitions: TopicPartition[] = [];
    wanted.forEach((w, i) => {
      const count = metadata[i]!.partitions.length;
      for (const partition of w.partitions ?? [...Array(count).keys()]) {
        if (partition >= count) {
          throw new UsageError(`topic ${w.topic} has ${count} partition(s); got ${partition}`, '--topic');
        }
        partitions.push({ topic: w.topic, partition });
      }
    });
    const needs = lookupsFor(options.to);
    const [committed, latest, earliest, atTime] = await Promise.all([
      admin.committedOffsets(groupId),
      admin.listOffsets(partitions, LATEST, 0),
      needs.earliest ? admin.listOffsets(partitions, EARLIEST, 0) : null,
      needs.timestamp === null ? null : admin.listOffsets(partitions, needs.timestamp, 0),
    ]);
    const current = new Map(committed.map((o) => [keyOf(o), o.offset]));
    const rows: ResetRow[] = partitions.map((tp) => {
      const key = keyOf(tp);
      const bounds = {
        earliest: earliest?.get(key) ?? 0,
        latest: latest.get(key) ?? 0,
        atTimestamp: atTime?.get(key) ?? null,
      };
      return { ...tp, current: current.get(key) ?? null, next: resolvePosition(options.to, bounds) };
    });
    if (!options.dryRun) {
      await admin.commitOffsets(
        groupId,
        rows.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.next })),
      );
    }
    await printAnswer(ctx, options.json, { groupId, dryRun: options.dryRun, partitions: rows }, (colors) => {
      const table = renderTable(
        [
          { header: 'TOPIC' },
          { header: 'PARTITION', align: 'right' },
          { header: 'CURRENT', align: 'right' },
          { header: 'NEW', align: 'right' },
        ],
        rows.map((r) => [r.topic, String(r.partition), cell(r.current), String(r.next)]),
        colors,
      );
      const done = options.dryRun
        ? colors.yellow('dry run: nothing was committed')
        : colors.green(`committed ${rows.length} offset(s) for group ${groupId}`);
      return `${table}${done}\n`;
    });
  });
}
