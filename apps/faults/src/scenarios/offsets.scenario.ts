/**
 * Offsets and fetch sizes: a committed offset that fell out of the log under each reset policy, a
 * fetch limit smaller than every batch (KIP-74), and pause/resume/seek while records stream in.
 */
import { describeGroup, getEndOffsets } from '@runnel/kafka-local';
import { logsWithField } from '../harness/checks.js';
import type { MemberProcess } from '../harness/member.js';
import { deleteRecordsBefore } from '../harness/records.js';
import type { Scenario, ScenarioRun } from '../harness/scenario.js';
import { scenarioSuite } from '../harness/suite.js';
import { pause, until } from '../harness/wait.js';

/**
 * Stops the group partway, lets the producer finish, then deletes the records between the group's
 * commits and the middle of what is left, so every committed offset is below the log start.
 *
 * @returns per partition: the committed offset, the new log start and the log end.
 */
async function commitFallsOutOfLog(
  run: ScenarioRun,
): Promise<Map<number, { committed: number; start: number; end: number }>> {
  // Every partition must have a commit, or `none` meets "no committed offset" instead of out of range.
  const everyPartitionConsumed = () =>
    Array.from({ length: run.partitions }, (_, p) => run.consumed.get(`${run.topic}-${p}`)?.size ?? 0).every(
      (n) => n >= 20,
    );
  await until('every partition consumed a little', everyPartitionConsumed, 90_000, () => run.describe());
  await Promise.all(run.running().map((m) => m.stop()));
  await run.producer!.done(120_000);
  const committed = new Map(
    (await describeGroup(run.cluster.kafka, run.groupId)).map((row) => [
      row.partition,
      Number(row.currentOffset ?? 0),
    ]),
  );
  const ends = await getEndOffsets(run.cluster.kafka, run.topic);
  const layout = new Map<number, { committed: number; start: number; end: number }>();
  for (const [partition, endBig] of ends) {
    const end = Number(endBig);
    const c = committed.get(partition) ?? 0;
    // Keyed records reach every partition, but never ask DeleteRecords to go past a log's end.
    if (end - c < 2) throw new Error(`partition ${partition} has no records past its commit (${c}..${end})`);
    layout.set(partition, { committed: c, start: c + Math.floor((end - c) / 2), end });
  }
  await deleteRecordsBefore(
    run.cluster.kafka,
    run.cluster.dir,
    run.topic,
    new Map([...layout].map(([p, l]) => [p, l.start])),
  );
  const deleted = (key: string, offset: number) => {
    const l = layout.get(Number(key.slice(key.lastIndexOf('-') + 1)));
    return l !== undefined && offset >= l.committed && offset < l.start;
  };
  run.excuse(deleted);
  run.log(`log starts moved past the commits: ${JSON.stringify([...layout])}`);
  return layout;
}

/** The members started after the commits fell out of the log, per run. */
const lateMembers = new WeakMap<ScenarioRun, MemberProcess[]>();

/** Starts three members with `--reset-policy policy`, logging at info so resets are reported. */
function startMembers(run: ScenarioRun, policy: string): void {
  const members = [0, 1, 2].map(() => run.addMember(['--reset-policy', policy, '--log-level', 'info']));
  for (const member of members) member.start();
  lateMembers.set(run, members);
}

/** @returns failures unless every partition's reset was reported with `reset: policy`. */
function resetsReported(run: ScenarioRun, policy: string): string[] {
  const reported = new Set(
    logsWithField(run, 'reset')
      .filter((l) => l.fields.reset === policy && l.fields.topic === run.topic)
      .map((l) => l.fields.partition),
  );
  return reported.size === run.partitions
    ? []
    : [`a reset to ${policy} was reported for ${reported.size} of ${run.partitions} partitions`];
}

const outOfRange: Scenario[] = [
  {
    name: 'offset-out-of-range-none',
    producerKeys: 60,
    ci: [],
    async fault(run) {
      await commitFallsOutOfLog(run);
      // With no reset policy, the members must stop with a typed error that names the partition.
      const refused = [0, 1, 2].map(() => run.addMember(['--reset-policy', 'none']));
      for (const member of refused) {
        member.start();
        member.expectEnd();
      }
      for (const member of refused) {
        await member
          .waitExit(90_000)
          .catch(() => run.fail(`${member.name} kept running with an offset out of range`));
        const life = member.life!;
        if (life.exit?.code !== 1 || !/OffsetOutOfRangeError/.test(life.stderr)) {
          run.fail(
            `${life.name} ended ${JSON.stringify(life.exit)} without OffsetOutOfRangeError: ${life.stderr.slice(-300)}`,
          );
        }
      }
      // Then the group carries on from the log start.
      startMembers(run, 'earliest');
      await run.waitStable();
    },
  },
  {
    name: 'offset-out-of-range-earliest',
    producerKeys: 60,
    ci: ['consumer'],
    async fault(run) {
      await commitFallsOutOfLog(run);
      startMembers(run, 'earliest');
      await run.waitStable();
    },
    verify: (run) => resetsReported(run, 'earliest'),
  },
  {
    name: 'offset-out-of-range-latest',
    producerKeys: 60,
    ci: [],
    async fault(run) {
      const layout = await commitFallsOutOfLog(run);
      // Under latest, everything the producer wrote before the reset is passed over on purpose.
      run.excuse((key, offset) => {
        const l = layout.get(Number(key.slice(key.lastIndexOf('-') + 1)));
        return l !== undefined && offset >= l.committed && offset < l.end;
      });
      startMembers(run, 'latest');
      await run.waitStable();
      await pause(5_000);
    },
    verify(run) {
      const late = (lateMembers.get(run) ?? []).flatMap((m) => m.lives);
      const consumed = late.flatMap((life) => life.events.filter((e) => e.name === 'records_consumed'));
      return [
        ...resetsReported(run, 'latest'),
        ...(consumed.length > 0
          ? [`after a reset to latest, ${consumed.length} batches of old records were consumed`]
          : []),
      ];
    },
  },
];

scenarioSuite('offsets and fetch sizes', [
  ...outOfRange,
  {
    name: 'oversize-batch',
    ci: [],
    // Every batch is larger than both fetch limits: KIP-74 says the first one is returned anyway.
    memberProps: { 'max.partition.fetch.bytes': 1, 'fetch.max.bytes': 1 },
    producerProps: { 'linger.ms': 50, 'batch.size': 65_536 },
    async fault() {},
    verify(run) {
      const multi = run
        .lives()
        .flatMap((l) => l.events.filter((e) => e.name === 'records_consumed' && e.count > 1));
      return multi.length > 0
        ? []
        : ['no batch of several records was delivered: the producer did not batch'];
    },
  },
  {
    name: 'pause-resume-seek',
    ci: [],
    memberArgs: ['--seek-back-every', '4', '--pause-every', '3', '--pause-ms', '300'],
    async fault() {},
    verify(run) {
      const count = (name: string) =>
        run
          .lives()
          .reduce(
            (n, l) => n + l.events.filter((e) => (e.name === 'other' ? e.raw.name : e.name) === name).length,
            0,
          );
      const seeks = count('seek');
      const pauses = count('partition_paused');
      const resumes = count('partition_resumed');
      return seeks >= 10 && pauses >= 10 && resumes >= 10
        ? []
        : [`too little exercise: ${seeks} seeks, ${pauses} pauses, ${resumes} resumes`];
    },
  },
]);
