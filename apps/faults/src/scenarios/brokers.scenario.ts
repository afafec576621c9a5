/**
 * Broker faults: a rolling restart, the coordinator and a partition leader killed, a leader and the
 * coordinator frozen and thawed, the whole cluster down and back.
 */
import { deliveredWhileExpired, failedCommits, rebalancesBetween, resumedWithin } from '../harness/checks.js';
import { SESSION_TIMEOUT_MS } from '../harness/protocols.js';
import type { Scenario, ScenarioRun } from '../harness/scenario.js';
import { scenarioSuite } from '../harness/suite.js';
import { pause } from '../harness/wait.js';

/** The bound for resuming after a broker dies: the session timeout plus 10 s. */
const RESUME_LIMIT_MS = SESSION_TIMEOUT_MS + 10_000;
/** Past the session timeout, under the request timeout (30 s) of the heartbeats queued on the frozen coordinator. */
const COORDINATOR_FROZEN_MS = SESSION_TIMEOUT_MS + 15_000;
const ROLLING_ROUNDS = Number(process.env.FAULTS_ROLLING_ROUNDS ?? 5);

/** Kills `nodeId` with SIGKILL (marked `killed`), holds it down for `downMs`, starts it again. */
async function killAndRestart(run: ScenarioRun, nodeId: number, downMs: number): Promise<void> {
  run.mark('killed');
  await run.cluster.kafka.killNode(nodeId);
  run.log(`node ${nodeId} killed`);
  await pause(downMs);
  await run.cluster.kafka.startNode(nodeId);
  run.log(`node ${nodeId} back`);
}

/**
 * SIGKILL of the node `victim` picks (given the coordinator's id), down for longer than resuming may
 * take, so the resumption is the survivors' doing; every partition must be consumed again in time.
 */
function killOne(
  name: string,
  ci: Scenario['ci'],
  what: string,
  victim: (run: ScenarioRun, coordinator: number) => Promise<number>,
): Scenario {
  return {
    name,
    records: 9_000,
    ci,
    async fault(run) {
      await pause(5_000);
      const nodeId = await victim(run, await run.cluster.coordinatorOf(run.groupId));
      await killAndRestart(run, nodeId, RESUME_LIMIT_MS + 5_000);
    },
    verify: (run) => resumedWithin(run, run.markOf('killed'), RESUME_LIMIT_MS, what),
  };
}

scenarioSuite('broker faults', [
  {
    name: 'rolling-restart',
    // Writing all along: a minute before and after, and about 90 s a round (three node restarts).
    records: 100 * (120 + 90 * ROLLING_ROUNDS),
    throughput: 100,
    ci: [],
    async fault(run) {
      await pause(5_000);
      run.mark('restarts begin');
      // Each node in turn stops (SIGTERM: controlled shutdown) and comes back, five times over.
      for (let round = 0; round < ROLLING_ROUNDS; round++) {
        for (const nodeId of run.cluster.nodeIds) {
          await run.cluster.kafka.stopNode(nodeId);
          await run.cluster.kafka.startNode(nodeId);
          run.log(`round ${round + 1}: node ${nodeId} restarted`);
        }
      }
      run.mark('restarts end');
    },
    verify(run) {
      const rebalances = rebalancesBetween(run, run.markOf('restarts begin'), run.markOf('restarts end'));
      const failed = failedCommits(run);
      return [
        ...(rebalances.length > 0
          ? [`the rolling restart caused rebalances: ${rebalances.slice(0, 6).join('; ')}`]
          : []),
        ...(failed.length > 0 ? [`commit errors reached the user: ${failed.slice(0, 3).join('; ')}`] : []),
      ];
    },
  },
  killOne(
    'kill-coordinator',
    ['classic-cooperative'],
    'SIGKILL of the coordinator',
    async (_run, coordinator) => coordinator,
  ),
  // A leader that is not the coordinator, so this is about fetching, not the group.
  killOne('kill-leader', [], 'SIGKILL of a partition leader', async (run, coordinator) => {
    for (let p = 0; p < run.partitions; p++) {
      const leader = await run.cluster.leaderOf(run.topic, p);
      if (leader !== coordinator) return leader;
    }
    throw new Error('every partition is led by the coordinator');
  }),
  {
    name: 'sigstop-broker',
    records: 9_000,
    ci: [],
    async fault(run) {
      await pause(5_000);
      const victim = await run.cluster.leaderOf(run.topic, 0);
      run.cluster.kafka.pauseNode(victim);
      run.log(`node ${victim} frozen`);
      await pause(20_000);
      run.cluster.kafka.resumeNode(victim);
      run.mark('thawed');
    },
    verify: (run) =>
      resumedWithin(run, run.markOf('thawed'), RESUME_LIMIT_MS, 'SIGCONT of a broker frozen for 20 s'),
  },
  {
    // The coordinator freezes for longer than the session timeout, so the node its partition moves to
    // expires every member, and thaws before the request timeout (30 s), so the heartbeats queued on
    // it are still awaited: it answers them from the group it held. A member must not take that for
    // a confirmation and hand out partitions that are another's by now.
    name: 'sigstop-coordinator',
    records: 9_000,
    ci: [],
    async fault(run) {
      await pause(5_000);
      const coordinator = await run.cluster.coordinatorOf(run.groupId);
      run.cluster.kafka.pauseNode(coordinator);
      run.log(`coordinator ${coordinator} frozen`);
      await pause(COORDINATOR_FROZEN_MS);
      run.cluster.kafka.resumeNode(coordinator);
      run.mark('thawed');
    },
    verify: (run) => [
      ...deliveredWhileExpired(run, run.markOf('thawed')),
      ...resumedWithin(
        run,
        run.markOf('thawed'),
        RESUME_LIMIT_MS,
        `SIGCONT of the coordinator frozen for ${COORDINATOR_FROZEN_MS / 1000} s`,
      ),
    ],
  },
]);
