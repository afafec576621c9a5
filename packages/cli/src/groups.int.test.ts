import { createTopic, producePerf } from '@runnel/kafka-local';
import { type TestKafkaCluster, testCluster } from '@runnel/kafka-local/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RunningCli, requireFreshBuild, runCli, startCli } from './test-support/run-cli.js';

const run = `${Date.now()}`;
const TOPIC = `cli-groups-${run}`;
const RECORDS = 40;

let kafka: TestKafkaCluster;
let b: string[];

interface DescribedJson {
  group: {
    groupProtocol: string;
    groupState: string;
    groupEpoch: number | null;
    assignorName: string;
    members: {
      memberId: string;
      memberEpoch: number | null;
      assignment: { topic: string; partition: number }[];
    }[];
  };
  partitions: {
    topic: string;
    partition: number;
    committed: number | null;
    end: number | null;
    lag: number | null;
    memberId: string | null;
  }[];
  totalLag: number;
}

async function describeJson(group: string): Promise<DescribedJson> {
  const r = await runCli(['groups', 'describe', group, ...b, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as DescribedJson;
}

/** Describes the group until `done` holds (a member joining takes a moment). @returns the last description. */
async function describeUntil(group: string, done: (d: DescribedJson) => boolean): Promise<DescribedJson> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await runCli(['groups', 'describe', group, ...b, '--json']);
    if (r.code === 0) {
      const d = JSON.parse(r.stdout) as DescribedJson;
      if (done(d)) return d;
    }
    if (Date.now() > deadline)
      throw new Error(`group ${group} never got there; last: ${r.stdout}${r.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

beforeAll(async () => {
  requireFreshBuild();
  kafka = testCluster();
  b = ['-b', kafka.bootstrap];
  await createTopic(kafka, { topic: TOPIC, partitions: 2 });
  expect((await producePerf(kafka, { topic: TOPIC, numRecords: RECORDS, recordSize: 10 })).records).toBe(
    RECORDS,
  );
}, 120_000);

describe.each([
  ['classic', ['-g']],
  ['consumer', ['--group-protocol', 'consumer', '-g']],
])('a %s group', (protocol, groupFlags) => {
  const group = `cli-${protocol}-${run}`;

  it('is described with its live member, listed, and its offsets are not reset while it has one', async () => {
    const member: RunningCli = startCli(['tail', TOPIC, ...b, ...groupFlags, group]);
    try {
      const d = await describeUntil(
        group,
        (x) => x.group.groupState === 'Stable' && x.group.members[0]?.assignment.length === 2,
      );
      expect(d.group.groupProtocol).toBe(protocol);
      expect(d.group.members).toHaveLength(1);
      const memberId = d.group.members[0]!.memberId;
      if (protocol === 'consumer') {
        expect(d.group.groupEpoch).toBeGreaterThan(0);
        expect(d.group.members[0]!.memberEpoch).toBeGreaterThan(0);
      } else {
        expect(d.group.groupEpoch).toBeNull();
        expect(d.group.assignorName).not.toBe('');
      }
      expect(d.partitions.map((p) => [p.partition, p.memberId])).toEqual([
        [0, memberId],
        [1, memberId],
      ]);
      const listed = JSON.parse((await runCli(['groups', 'list', ...b, '--json'])).stdout) as {
        groupId: string;
      }[];
      expect(listed.find((g) => g.groupId === group)).toEqual({
        groupId: group,
        type: protocol,
        state: 'Stable',
        protocolType: 'consumer',
      });
      const table = await runCli(['groups', 'describe', group, ...b]);
      expect(table.stdout).toMatch(new RegExp(`^protocol +${protocol}$`, 'm'));
      expect(table.stdout).toMatch(/^MEMBER +CLIENT-ID +HOST +INSTANCE +EPOCH +ASSIGNMENT$/m);
      expect(table.stdout).toContain(`${TOPIC}-0,${TOPIC}-1`);
      const refused = await runCli(['offsets', 'reset', group, '--topic', TOPIC, '--to', 'earliest', ...b]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(
        `runnel: group "${group}" is Stable with 1 member(s): offsets can only be reset while it is empty (stop its consumers first)\n`,
      );
    } finally {
      member.child.kill('SIGTERM');
    }
    expect((await member.done).code).toBe(143);
  });

  it('shows its committed offsets and lag once empty, and resets them', async () => {
    // The member tailed from the end and committed it on close: no lag.
    const empty = await describeUntil(group, (x) => x.group.groupState === 'Empty');
    expect(empty.partitions.map((p) => p.committed)).toEqual(empty.partitions.map((p) => p.end));
    expect(empty.totalLag).toBe(0);

    // An offset past a partition's end is moved to the end, as Kafka's tool does.
    const dry = await runCli([
      'offsets',
      'reset',
      group,
      '--topic',
      TOPIC,
      '--to',
      '3',
      '--dry-run',
      ...b,
      '--json',
    ]);
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as {
      dryRun: boolean;
      partitions: { partition: number; next: number }[];
    };
    expect(plan.dryRun).toBe(true);
    expect(plan.partitions).toEqual(
      empty.partitions.map((p) => ({
        topic: TOPIC,
        partition: p.partition,
        current: p.committed,
        next: Math.min(3, p.end!),
      })),
    );
    expect((await describeJson(group)).totalLag).toBe(0);

    const reset = await runCli(['offsets', 'reset', group, '--topic', TOPIC, '--to', 'earliest', ...b]);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/^TOPIC +PARTITION +CURRENT +NEW$/m);
    expect(reset.stdout).toContain(`committed 2 offset(s) for group ${group}`);
    const lag = await runCli(['lag', group, ...b, '--json']);
    expect(JSON.parse(lag.stdout)).toMatchObject({ groupId: group, totalLag: RECORDS });
    const text = await runCli(['lag', group, ...b]);
    expect(text.stdout).toMatch(/^TOPIC +PARTITION +COMMITTED +END +LAG$/m);
    expect(text.stdout).toMatch(new RegExp(`total lag ${RECORDS}\\n$`));
  });
});

describe('groups that do not exist', () => {
  it('are reported with exit 1 by describe and lag', async () => {
    for (const args of [['groups', 'describe'], ['lag']]) {
      const r = await runCli([...args, `no-group-${run}`, ...b]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`runnel: group "no-group-${run}" does not exist\n`);
    }
  });

  it('can be given offsets, as Kafka tool allows', async () => {
    const fresh = `cli-fresh-${run}`;
    const r = await runCli(['offsets', 'reset', fresh, '--topic', TOPIC, '--to', 'latest', ...b]);
    expect(r.code).toBe(0);
    const d = await describeJson(fresh);
    expect(d.group.groupState).toBe('Empty');
    expect(d.totalLag).toBe(0);
    expect(d.partitions.map((p) => p.committed)).toEqual(d.partitions.map((p) => p.end));
  });
});

describe('runnel lag --watch', () => {
  it('prints the table again every second until interrupted', async () => {
    const group = `cli-watch-${run}`;
    expect((await runCli(['offsets', 'reset', group, '--topic', TOPIC, '--to', 'earliest', ...b])).code).toBe(
      0,
    );
    const watch = startCli(['lag', group, '--watch', ...b]);
    await watch.waitForOutput(/(total lag 40\n[\s\S]*){2}/);
    watch.child.kill('SIGINT');
    const r = await watch.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(new RegExp(`^runnel lag ${group}, every 1 s, `, 'm'));
    expect(r.stdout).not.toContain('\x1b[2J');
  });
});

describe('runnel topics', () => {
  it('lists topics with partitions and replication, internal ones only with --all', async () => {
    const listed = JSON.parse((await runCli(['topics', 'list', ...b, '--json'])).stdout) as {
      name: string;
      partitions: number;
      internal: boolean;
    }[];
    expect(listed.find((t) => t.name === TOPIC)).toEqual({
      name: TOPIC,
      partitions: 2,
      replicationFactor: 1,
      internal: false,
    });
    expect(listed.some((t) => t.internal)).toBe(false);
    const all = JSON.parse((await runCli(['topics', 'list', '--all', ...b, '--json'])).stdout) as {
      name: string;
    }[];
    expect(all.some((t) => t.name === '__consumer_offsets')).toBe(true);
    const text = await runCli(['topics', 'list', ...b]);
    expect(text.stdout).toMatch(new RegExp(`^${TOPIC} +2 +1$`, 'm'));
  });

  it('describes a topic: leaders, replicas and offsets per partition', async () => {
    const r = await runCli(['topics', 'describe', TOPIC, ...b, '--json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as {
      topicId: string;
      partitions: {
        partition: number;
        leader: number;
        replicas: number[];
        earliest: number;
        latest: number;
      }[];
    };
    expect(d.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(d.partitions.map((p) => p.partition)).toEqual([0, 1]);
    expect(
      d.partitions.every((p) => p.leader >= 0 && p.replicas.includes(p.leader) && p.earliest === 0),
    ).toBe(true);
    expect(d.partitions.reduce((sum, p) => sum + p.latest, 0)).toBe(RECORDS);
    const text = await runCli(['topics', 'describe', TOPIC, ...b]);
    expect(text.stdout).toMatch(/^PARTITION +LEADER +REPLICAS +ISR +EARLIEST +LATEST$/m);
    expect(text.stdout).toMatch(new RegExp(`^records +${RECORDS} `, 'm'));
    const missing = await runCli(['topics', 'describe', `no-topic-${run}`, ...b]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`runnel: topic "no-topic-${run}" does not exist\n`);
  });
});
