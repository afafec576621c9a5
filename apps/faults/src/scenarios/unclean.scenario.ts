/**
 * A leader change with a truncated log. Every partition lives on nodes 1 (leader) and 2 only; node 2
 * is frozen until it leaves the ISR, node 1 takes writes alone, then node 1 is killed as node 2 thaws.
 * With unclean.leader.election.enable=true the stale node 2 becomes leader, and records only node 1
 * had are gone (node 3, holding no replica, keeps a controller quorum throughout). The members must
 * find the divergence through OffsetForLeaderEpoch, continue from it (not from the log start), and
 * report what was truncated.
 */
import { describeTopic, electLeader, getEndOffsets } from '@runnel/kafka-local';
import { deliveredWhileExpired, logsWithField } from '../harness/checks.js';
import { scenarioSuite } from '../harness/suite.js';
import { pause, until } from '../harness/wait.js';

const LEADER = 1;
const STALE = 2;

scenarioSuite(
  'unclean leader election',
  [
    {
      name: 'unclean-leader-election',
      records: 12_000,
      memberArgs: ['--log-level', 'info'],
      replicaAssignment: Array.from({ length: 6 }, () => [LEADER, STALE]),
      topicConfigs: { 'min.insync.replicas': 1, 'unclean.leader.election.enable': true },
      drainMs: 180_000,
      ci: ['consumer'],
      async fault(run) {
        await pause(5_000);
        const kafka = run.cluster.kafka;
        // No tool may run while node 2 is frozen: an admin client that picks it waits out its timeout.
        // replica.lag.time.max.ms is 5 s here, so 20 s is ample for the ISR to shrink to node 1.
        kafka.pauseNode(STALE);
        await pause(20_000);
        // Records node 1 alone has, which the members must have consumed before node 1 dies: a member
        // still behind the stale replica's log end has nothing to detect (on a loaded machine the members
        // lag, so this waits for them instead of trusting a pause).
        await pause(5_000);
        const acked = run.producer!.events.slice();
        await until(
          'the members to consume every record acknowledged before the kill',
          () => acked.every((e) => run.consumed.get(`${e.topic}-${e.partition}`)?.has(e.offset) === true),
          120_000,
        );
        await kafka.killNode(LEADER);
        kafka.resumeNode(STALE);
        run.mark('thawed');
        // The controller elects the stale replica by itself when the topic allows it; ask if it does not.
        const survivors = run.cluster.without(LEADER);
        const elected = async () =>
          (await describeTopic(survivors, run.topic)).find((p) => p.partition === 0)?.leader === STALE;
        const electionDeadline = Date.now() + 30_000;
        while (!(await elected()) && Date.now() < electionDeadline) await pause(1_000);
        if (!(await elected())) await electLeader(survivors, run.topic, 0, 'unclean');
        run.log(`partition 0 led by ${STALE}: ${await elected()}`);
        await pause(10_000);
        await kafka.startNode(LEADER);
        // Records node 1 acknowledged at offsets the final log does not hold were truncated by the
        // election, not lost by the consumer. Truncated offsets below the final log end were refilled
        // by later records, which the members must read like any other. Told apart by offset, not by
        // when the harness read an acknowledgement: node 1's last ones can reach it after the kill.
        await run.producer!.done(300_000);
        const ends = await getEndOffsets(kafka, run.topic);
        const truncated = run.producer!.events.filter((e) => {
          const end = ends.get(e.partition);
          return end !== undefined && e.offset >= Number(end);
        }).length;
        run.log(`${truncated} acknowledged records at offsets past the final log end`);
        run.excuse((key, offset) => {
          const end = ends.get(Number(key.slice(key.lastIndexOf('-') + 1)));
          return end !== undefined && offset >= Number(end);
        });
      },
      verify(run) {
        const truncations = run.lives().flatMap((l) => l.events.filter((e) => e.name === 'truncation'));
        const resets = logsWithField(run, 'reset');
        return [
          ...(truncations.length === 0 ? ['no member reported a truncation'] : []),
          ...(resets.length > 0 ? [`offsets were reset instead: ${JSON.stringify(resets[0]!.fields)}`] : []),
          // Node 2 may have coordinated the group: thawed, it answers from the group it held.
          ...deliveredWhileExpired(run, run.markOf('thawed')),
        ];
      },
    },
  ],
  // A follower that stops fetching leaves the ISR after 5 s instead of 30.
  { 'replica.lag.time.max.ms': 5_000 },
);
