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

/**
 * How long a cycle waits for any consumption after the cluster is back before the next outage. Longer
 * than the resume limit: the producer may need a while to write again, and nothing can be consumed
 * before it does. How fast each outage was recovered from is judged by `resumedWithin` (from when
 * records were there to read), not by this pacing.
 */
const CYCLE_PACE_LIMIT_MS = 180_000;

const CYCLES = 10;

scenarioSuite('whole cluster down', [
  outage(1, []),
  outage(10, ['classic-eager']),
  outage(60, []),
  {
    name: 'cluster-down-cycles',
    memberArgs: ['--log-level', 'info', '--stats-interval-ms', '2000'],
    records: 200 * 60 * CYCLES,
    throughput: 200,
    drainMs: 180_000,
    ci: [],
    async fault(run) {
      await pause(5_000);
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        await clusterOutage(run, 1_000);
        const back = run.mark(`back ${cycle}`);
        await run
          .waitProgress(back, CYCLE_PACE_LIMIT_MS)
          .catch((e: Error) => run.fail(`outage ${cycle + 1}: ${e.message}`));
        await pause(10_000);
        run.mark(`settled ${cycle}`);
      }
    },
    verify(run) {
      const failures = resumedWithoutReset(run);
      for (let cycle = 0; cycle < CYCLES - 1; cycle++) {
        const back = run.markOf(`back ${cycle}`);
        failures.push(...resumedWithin(run, back, RESUME_AFTER_RESTART_MS, `outage ${cycle + 1}`));
      }
      const stats = processStats(run);
      // A member's samples from the cluster's return to the end of a cycle's settling: its sockets
      // are the most it held then (right after a restart some connections are still being made), its
      // RSS the last sample.
      const during = (life: string, cycle: number) =>
        stats.filter(
          (s) =>
            s.life === life &&
            s.timestamp >= run.markOf(`back ${cycle}`) &&
            s.timestamp <= run.markOf(`settled ${cycle}`),
        );
      for (const member of run.members) {
        const life = member.lives[0]!.name;
        const first = during(life, 1);
        const last = during(life, CYCLES - 1);
        if (first.length === 0 || last.length === 0) {
          failures.push(`${life}: no process_stats in the second and last cycles`);
          continue;
        }
        const rss = [first.at(-1)!.rss, last.at(-1)!.rss];
        const sockets = [first, last].map((samples) => Math.max(...samples.map((s) => s.sockets)));
        run.log(`${life}: rss ${rss[0]} -> ${rss[1]}, most sockets ${sockets[0]} -> ${sockets[1]}`);
        if (rss[1]! - rss[0]! > RSS_GROWTH_LIMIT) {
          failures.push(
            `${life}: RSS grew ${((rss[1]! - rss[0]!) / 1048576).toFixed(1)} MiB from the second outage to the last`,
          );
        }
        if (sockets[1]! > sockets[0]! + 1) {
          failures.push(
            `${life}: the most open sockets went from ${sockets[0]} to ${sockets[1]} from the second outage to the last`,
          );
        }
      }
      return failures;
    },
  },
]);
