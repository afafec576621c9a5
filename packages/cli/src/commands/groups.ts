/** `runnel groups list` and `runnel groups describe <group>`. */
import type { GroupDescription, GroupMemberDescription } from '@runnel/consumer';
import type { Admin } from '../admin.js';
import type { CommandContext } from '../context.js';
import { groupLag, type PartitionLagRow, totalLag } from '../group-lag.js';
import type { Colors } from '../io.js';
import { cell, renderFields, renderTable } from '../table.js';
import { printAnswer, withAdmin } from './shared.js';

/** Output options of the group commands. */
export interface GroupOutputOptions {
  readonly json: boolean;
}

/**
 * Prints every group of the cluster: id, type (classic or consumer), state.
 * @returns once printed.
 * @throws KafkaProtocolError; CliTimeoutError.
 */
export function listGroups(ctx: CommandContext, options: GroupOutputOptions): Promise<void> {
  return withAdmin(ctx, async (admin) => {
    const groups = await admin.listGroups();
    await printAnswer(ctx, options.json, groups, (colors) =>
      renderTable(
        [{ header: 'GROUP' }, { header: 'TYPE' }, { header: 'STATE' }, { header: 'PROTOCOL-TYPE' }],
        groups.map((g) => [g.groupId, g.type ?? '-', g.state ?? '-', g.protocolType || '-']),
        colors,
      ),
    );
  });
}

/** A described group with its partitions, as `groups describe --json` prints it. */
export interface DescribedGroup {
  readonly group: GroupDescription;
  readonly partitions: readonly PartitionLagRow[];
  readonly totalLag: number;
}

/**
 * Reads a group's description, committed offsets and the end offsets of its partitions.
 * @returns the description and a row per partition.
 * @throws GroupNotFoundError; KafkaProtocolError; CliTimeoutError.
 */
export async function readGroup(admin: Admin, groupId: string): Promise<DescribedGroup> {
  const [group, committed] = await Promise.all([
    admin.describeGroup(groupId),
    admin.committedOffsets(groupId),
  ]);
  const partitions = await groupLag(admin, group, committed);
  return { group, partitions, totalLag: totalLag(partitions) };
}

/**
 * Prints a group: state, protocol, assignor, epochs, members with their assignments, and per
 * partition the committed offset, end offset, lag and owner.
 * @returns once printed.
 * @throws GroupNotFoundError; KafkaProtocolError; CliTimeoutError.
 */
export function describeGroupCommand(
  ctx: CommandContext,
  groupId: string,
  options: GroupOutputOptions,
): Promise<void> {
  return withAdmin(ctx, async (admin) => {
    const described = await readGroup(admin, groupId);
    await printAnswer(ctx, options.json, described, (colors) => describedText(described, colors));
  });
}

function describedText(described: DescribedGroup, colors: Colors): string {
  const { group } = described;
  const fields: [string, string][] = [
    ['group', group.groupId],
    ['protocol', group.groupProtocol],
    ['state', group.groupState],
    ['assignor', group.assignorName || '-'],
  ];
  if (group.groupEpoch !== null) {
    fields.push(['epoch', `${group.groupEpoch} (assignment epoch ${group.assignmentEpoch ?? '-'})`]);
  }
  fields.push(['members', String(group.members.length)], ['total lag', String(described.totalLag)]);
  let text = renderFields(fields, colors);
  if (group.members.length > 0) {
    text += `\n${renderTable(
      [
        { header: 'MEMBER' },
        { header: 'CLIENT-ID' },
        { header: 'HOST' },
        { header: 'INSTANCE' },
        { header: 'EPOCH', align: 'right' },
        { header: 'ASSIGNMENT' },
      ],
      group.members.map((m) => [
        m.memberId,
        m.clientId,
        m.clientHost,
        m.groupInstanceId ?? '-',
        cell(m.memberEpoch),
        assignmentText(m),
      ]),
      colors,
    )}`;
  }
  if (described.partitions.length > 0) text += `\n${lagTable(described.partitions, colors, true)}`;
  return text;
}

/** @returns a member's partitions as `topic-0,topic-1`, with the target assignment when it differs. */
function assignmentText(m: GroupMemberDescription): string {
  const list = (tps: GroupMemberDescription['assignment']) =>
    tps.length === 0 ? '-' : tps.map((tp) => `${tp.topic}-${tp.partition}`).join(',');
  const current = list(m.assignment);
  if (m.targetAssignment === null) return current;
  const target = list(m.targetAssignment);
  return target === current ? current : `${current} (target ${target})`;
}

/**
 * @param withMember add the owning member's id.
 * @returns the partition table of `groups describe` and `lag`.
 */
export function lagTable(rows: readonly PartitionLagRow[], colors: Colors, withMember: boolean): string {
  const columns = [
    { header: 'TOPIC' },
    { header: 'PARTITION', align: 'right' as const },
    { header: 'COMMITTED', align: 'right' as const },
    { header: 'END', align: 'right' as const },
    { header: 'LAG', align: 'right' as const },
    ...(withMember ? [{ header: 'MEMBER' }] : []),
  ];
  return renderTable(
    columns,
    rows.map((r) => [
      r.topic,
      String(r.partition),
      cell(r.committed),
      cell(r.end),
      cell(r.lag),
      ...(withMember ? [r.memberId ?? '-'] : []),
    ]),
    colors,
  );
}
