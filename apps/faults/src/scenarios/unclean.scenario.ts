/**
 * A leader change with a truncated log. Every partition lives on nodes 1 (leader) and 2 only; node 2
 * is frozen until it leaves the ISR, node 1 takes writes alone, then node 1 is killed as node 2 thaws.
 * With unclean.leader.election.enable=true the stale node 2 becomes leader, and records only node 1
 * had are gone (node 3, holding no replica, keeps a controller quorum throughout). The members must
 * find the divergence through OffsetForLeaderEpoch, continue from it (not from the log start), and
 * report what was truncated.
 */
import { describeTopic, electLeader, getEndOffsets } from '@runnel/kafka-local';
import { logsWithField } from '../harness/checks.js';
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
        // Marked once node 1 is dead: every acknowledgement stamped before this came from node 1.
        run.mark('killed');
        kafka.resumeNode(STALE);
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
        // Records node 1 acknowledged at offsets the new leader's log never reached were truncated by
        // the election, not lost by the consumer. The new leader's log end at the election is the first
        // offset it gave a record (later records refill the truncated offsets, so the final log end is
        // no bound); a partition it took no record for ends where the final log ends.
        await run.producer!.done(300_000);
        const ends = await getEndOffsets(kafka, run.topic);
        const killedAt = run.markOf('killed');
        const { events, ackedAt } = run.producer!;
        const electedEnd = new Map<number, number>();
        events.forEach((e, i) => {
          if (ackedAt[i]! >= killedAt)
            electedEnd.set(e.partition, Math.min(electedEnd.get(e.partition) ?? e.offset, e.offset));
        });
        const truncated = new Set<string>();
        events.forEach((e, i) => {
          const end = electedEnd.get(e.partition) ?? Number(ends.get(e.partition) ?? 0n);
          if (ackedAt[i]! < killedAt && e.offset >= end) truncated.add(`${e.partition}@${e.offset}`);
        });
        run.log(`${truncated.size} acknowledged records truncated by the election`);
        // An offset at or past the final log end does not exist any more, whenever its acknowledgement
        // was read: node 1's last acknowledgements can reach the harness after the mark (they were in
        // its pipe when the node died), and those alone would otherwise count as lost.
        run.excuse((key, offset) => {
          const partition = Number(key.slice(key.lastIndexOf('-') + 1));
          const end = ends.get(partition);
          return truncated.has(`${partition}@${offset}`) || (end !== undefined && offset >= Number(end));
        });
      },
      verify(run) {
        const truncations = run.lives().flatMap((l) => l.events.filter((e) => e.name === 'truncation'));
        const resets = logsWithField(run, 'reset');
        return [
          ...(truncations.length === 0 ? ['no member reported a truncation'] : []),
          ...(resets.length > 0 ? [`offsets were reset instead: ${JSON.stringify(resets[0]!.fields)}`] : []),
        ];
      },
    },
  ],
  // A follower that stops fetching leaves the ISR after 5 s instead of 30.
  { 'replica.lag.time.max.ms': 5_000 },
);
