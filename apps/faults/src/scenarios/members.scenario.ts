/**
 * Group faults: members that stop cleanly and come back, members killed outright, and static
 * membership (KIP-345): a quick bounce that costs no rebalance, and two processes with one instance id.
 */
import { rebalancesBetween } from '../harness/checks.js';
import type { MemberProcess } from '../harness/member.js';
import { SESSION_TIMEOUT_MS } from '../harness/protocols.js';
import type { Scenario, ScenarioRun } from '../harness/scenario.js';
import { scenarioSuite } from '../harness/suite.js';
import { pause, until } from '../harness/wait.js';

/** The bound for handing a departed member's partitions to the others. */
const REOWN_LIMIT_MS = 2 * SESSION_TIMEOUT_MS + 5_000;

/** Ends `member` with `how`, then checks its partitions go to the others within REOWN_LIMIT_MS. */
async function departAndRejoin(run: ScenarioRun, member: MemberProcess, how: 'stop' | 'kill'): Promise<void> {
  const owned = member.owned();
  const since = Date.now();
  if (how === 'stop') await member.stop();
  else await member.kill();
  const others = () => run.running().filter((m) => m !== member);
  const reowned = () => [...owned].every((key) => others().some((m) => m.owned().has(key)));
  await until(`${member.name}'s partitions to be reowned`, reowned, REOWN_LIMIT_MS, () =>
    run.describe(),
  ).catch(() =>
    run.fail(`after a ${how} of ${member.name}, its partitions were not reowned within ${REOWN_LIMIT_MS} ms`),
  );
  run.log(`${member.name} ${how}: reowned after ${Date.now() - since} ms`);
  await run.waitStable();
  member.start();
  await run.waitStable();
}

/** Two members in turn leave (`how`) and come back, while records flow. */
function departures(name: string, how: 'stop' | 'kill', ci: Scenario['ci']): Scenario {
  return {
    name,
    records: 12_000,
    ci,
    async fault(run) {
      await pause(5_000);
      for (const member of run.members.slice(0, 2)) await departAndRejoin(run, member, how);
    },
  };
}

const staticId = (index: number) => ['--group-instance-id', `static-${index + 1}`];

scenarioSuite('group faults', [
  departures('member-clean-bounce', 'stop', []),
  departures('member-sigkill', 'kill', ['classic-cooperative']),
  {
    name: 'static-bounce',
    records: 9_000,
    ci: [],
    memberArgsOf: staticId,
    async fault(run) {
      await pause(5_000);
      const [first] = run.members;
      const before = [...first!.owned()].sort();
      run.mark('bounce');
      await first!.stop();
      first!.start();
      await until(
        'the bounced member to own partitions again',
        () => first!.owned().size > 0,
        SESSION_TIMEOUT_MS * 2,
      );
      await pause(5_000);
      run.mark('bounced');
      const after = [...first!.owned()].sort();
      if (after.join() !== before.join())
        run.fail(`the bounced static member got [${after}] back, not [${before}]`);
    },
    verify(run) {
      // Within the session timeout, a static member's bounce must not move anyone else's partitions.
      const others = rebalancesBetween(run, run.markOf('bounce'), run.markOf('bounced')).filter(
        (line) => !line.startsWith('m1#'),
      );
      return others.length > 0 ? [`the static bounce revoked others' partitions: ${others.join('; ')}`] : [];
    },
  },
  {
    name: 'static-duplicate',
    records: 9_000,
    ci: [],
    memberArgsOf: staticId,
    async fault(run) {
      await pause(5_000);
      const first = run.members[0]!;
      const before = [...first.owned()].sort();
      run.mark('duplicate');
      const duplicate = run.addMember(staticId(0), 'dup');
      duplicate.start();
      // One of the two holders of static-1 must end with a typed fatal error, never silently.
      const loser =
        run.protocol === 'consumer'
          ? duplicate // KIP-848: the newcomer is refused (UNRELEASED_INSTANCE_ID), the first keeps its place
          : first; // classic (KIP-345): the newcomer takes over and the first is fenced (FENCED_INSTANCE_ID)
      loser.expectEnd();
      const winner = loser === first ? duplicate : first;
      await loser.waitExit(60_000).catch(() => run.fail(`${loser.life!.name} was not fenced within 60 s`));
      const life = loser.life!;
      const code = run.protocol === 'consumer' ? 'UNRELEASED_INSTANCE_ID' : 'FENCED_INSTANCE_ID';
      const error =
        run.protocol === 'consumer' ? /GroupFatalError|UNRELEASED_INSTANCE_ID/ : /FencedInstanceIdError/;
      if (life.exit?.code !== 1 || !error.test(life.stderr)) {
        run.fail(
          `${life.name} ended with ${JSON.stringify(life.exit)} and no typed ${code} error: ${life.stderr.slice(-400)}`,
        );
      }
      await run.waitStable();
      const after = [...winner.owned()].sort();
      if (after.join() !== before.join()) {
        run.fail(`the holder of static-1 owns [${after}] after the duplicate, not [${before}]`);
      }
      run.mark('settled');
    },
    verify(run) {
      if (run.protocol !== 'consumer') return [];
      const moved = rebalancesBetween(run, run.markOf('duplicate'), run.markOf('settled'));
      return moved.length > 0 ? [`the refused duplicate moved partitions: ${moved.join('; ')}`] : [];
    },
  },
]);
