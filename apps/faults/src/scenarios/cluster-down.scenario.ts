/**
 * The whole cluster down and back: for 1 s, 10 s and 60 s, and ten short outages in a row with the
 * members' memory and sockets watched.
 */
import { logsWithField, processStats, resumedWithin } from '../harness/checks.js';
import type { Scenario, ScenarioRun } from '../harness/scenario.js';
import { scenarioSuite } from '../harness/suite.js';
import { pause } from '../harness/wait.js';

/** How long members may take to consume again once every node is back. */
const RESUME_AFTER_RESTART_MS = 60_000;

/** Kills every node (a power cut), waits `downMs`, starts them all again; marks `down` and `back`. */
async function clusterOutage(run: ScenarioRun, downMs: number): Promise<void> {
  run.mark('down');
  await Promise.all(run.cluster.nodeIds.map((id) => run.cluster.kafka.killNode(id)));
  await pause(downMs);
  await Promise.all(run.cluster.nodeIds.map((id) => run.cluster.kafka.startNode(id)));
  run.mark('back');
  run.log(`cluster back after ${downMs} ms down`);
}

/** @returns failures: a reset reported while the cluster was away, or a member that never consumed again. */
function resumedWithoutReset(run: ScenarioRun): string[] {
  const resets = logsWithField(run, 'reset');
  const back = run.markOf('back');
  const silent = run
    .running()
    .filter((m) => !m.life!.events.some((e) => e.name === 'records_consumed' && e.timestamp > back))
    .map((m) => m.life!.name);
  return [
    ...resumedWithin(run, back, RESUME_AFTER_RESTART_MS, 'the cluster came back'),
    ...(resets.length > 0
      ? [
          `offsets were reset: ${resets
            .slice(0, 3)
            .map((r) => `${r.life} ${JSON.stringify(r.fields)}`)
            .join('; ')}`,
        ]
      : []),
    ...(silent.length > 0 ? [`members that never consumed again: ${silent.join(', ')}`] : []),
  ];
}

const outage = (seconds: number, ci: Scenario['ci']): Scenario => ({
  name: `cluster-down-${seconds}s`,
  memberArgs: ['--log-level', 'info'],
  records: 200 * (seconds + 60),
  drainMs: 180_000,
  ci,
  async fault(run) {
    await pause(5_000);
    await clusterOutage(run, seconds * 1_000);
  },
  verify: resumedWithoutReset,
});

/** RSS may grow this much from the first outages to the last before it counts as a leak. */
const RSS_GROWTH_LIMIT = 30 * 1024 * 1024;

scenarioSuite('whole cluster down', [
  outage(1, []),
  outage(10, ['classic-eager']),
  outage(60, []),
  {
    name: 'cluster-down-cycles',
    memberArgs: ['--log-level', 'info', '--stats-interval-ms', '2000'],
    records: 200 * 60 * 10,
    throughput: 200,
    drainMs: 180_000,
    ci: [],
    async fault(run) {
      await pause(5_000);
      for (let cycle = 0; cycle < 10; cycle++) {
        await clusterOutage(run, 1_000);
        await run
          .waitProgress(run.markOf('back'), RESUME_AFTER_RESTART_MS)
          .catch((e: Error) => run.fail(e.message));
        await pause(10_000);
        run.mark(`settled ${cycle}`);
      }
    },
    verify(run) {
      const failures = resumedWithoutReset(run);
      const stats = processStats(run);
      // Each member's RSS and sockets at the end of the first and the last cycles.
      const at = (life: string, cycle: number) =>
        stats.filter((s) => s.life === life && s.timestamp <= run.markOf(`settled ${cycle}`)).at(-1);
      for (const member of run.members) {
        const life = member.lives[0]!.name;
        const first = at(life, 1);
        const last = at(life, 9);
        if (first === undefined || last === undefined) {
          failures.push(`${life}: no process_stats around the first and last cycles`);
          continue;
        }
        run.log(`${life}: rss ${first.rss} -> ${last.rss}, sockets ${first.sockets} -> ${last.sockets}`);
        if (last.rss - first.rss > RSS_GROWTH_LIMIT) {
          failures.push(
            `${life}: RSS grew ${((last.rss - first.rss) / 1048576).toFixed(1)} MiB over 8 outages`,
          );
        }
        if (last.sockets > first.sockets + 1) {
          failures.push(`${life}: open sockets went from ${first.sockets} to ${last.sockets} over 8 outages`);
        }
      }
      return failures;
    },
  },
]);
