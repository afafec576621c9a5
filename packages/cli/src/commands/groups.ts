/** `runnel groups list` and `runnel groups describe <group>`. */
import type { GroupDescription, GroupMemberDescription } from '@runnel/consumer';
import { Admin } from '../admin.js';
import type { CommandContext } from '../context.js';
import { groupLag, type PartitionLagRow, totalLag } from '../group-lag.js';
import { colorsFor, Output } from '../io.js';
import { cell, renderFields, renderTable } from '../table.js';

/** Output options of the group commands. */
export interface GroupOutputOptions {
  readonly json: boolean;
}

/**
 * Prints every group of the cluster: id, type (classic or consumer), state.
 * @returns once printed.
 * @throws KafkaProtocolError; CliTimeoutError.
 */
export async function listGroups(ctx: CommandContext, options: GroupOutputOptions): Promise<void> {
  const admin = new Admin(ctx.settings, ctx.logger);
  try {
    const groups = await admin.listGroups();
    const out = new Output(ctx.io.stdout);
    if (options.json) {
      await out.write(`${JSON.stringify(groups)}\n`);
      return;
    }
    const rows = groups.map((g) => [g.groupId, g.type ?? '-', g.state ?? '-', g.protocolType || '-']);
    await out.write(
      renderTable(
        [{ header: 'GROUP' }, { header: 'TYPE' }, { header: 'STATE' }, { header: 'PROTOCOL-TYPE' }],
        rows,
        colorsFor(ctx.io.stdout, ctx.io.env),
      ),
    );
  } finally {
    await admin.close();
  }
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
export async function describeGroupCommand(
  ctx: CommandContext,
  groupId: string,
  options: GroupOutputOptions,
): Promise<void> {
  const admin = new Admin(ctx.settings, ctx.logger);
  try {
    const described = await readGroup(admin, groupId);
    const out = new Output(ctx.io.stdout);
    if (options.json) {
      await out.write(`${JSON.stringify(described)}\n`);
      return;
    }
    const colors = colorsFor(ctx.io.stdout, ctx.io.env);
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
    await out.write(text);
  } finally {
    await admin.close();
  }
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
export function lagTable(
  rows: readonly PartitionLagRow[],
  colors: ReturnType<typeof colorsFor>,
  withMember: boolean,
): string {
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
