/**
 * A leader change with a truncated log: partition 0's followers are throttled to a byte a second until
 * they leave the ISR, its leader is killed, and (unclean.leader.election.enable=true) a stale
 * follower becomes leader; records only the old leader had are gone. The member reading partition 0
 * must find the divergence through OffsetForLeaderEpoch, continue from it (not from the log start),
 * and report what was truncated.
 */
import { describeTopic, electLeader } from '@runnel/kafka-local';
import { logsWithField } from '../harness/checks.js';
import { setBrokerConfig } from '../harness/records.js';
import { scenarioSuite } from '../harness/suite.js';
import { pause } from '../harness/wait.js';

scenarioSuite(
  'unclean leader election',
  [
    {
      name: 'unclean-leader-election',
      records: 12_000,
      memberArgs: ['--log-level', 'info'],
      topicConfigs: {
        'min.insync.replicas': 1,
        'unclean.leader.election.enable': true,
        'follower.replication.throttled.replicas': '*',
      },
      drainMs: 180_000,
      ci: ['consumer'],
      async fault(run) {
        await pause(5_000);
        const kafka = run.cluster.kafka;
        const leader = await run.cluster.leaderOf(run.topic, 0);
        const followers = run.cluster.nodeIds.filter((id) => id !== leader);
        const throttle = (value: string | null) =>
          Promise.all(
            followers.map((id) => setBrokerConfig(kafka, id, 'follower.replication.throttled.rate', value)),
          );
        await throttle('1');
        const isrOf0 = async () => (await describeTopic(kafka, run.topic)).find((p) => p.partition === 0)!;
        const deadline = Date.now() + 90_000;
        while ((await isrOf0()).isr.length > 1 && Date.now() < deadline) await pause(1_000);
        if ((await isrOf0()).isr.length > 1) throw new Error('the throttled followers never left the ISR');
        // Records the leader alone has, which the members consume.
        await pause(5_000);
        run.mark('killed');
        await kafka.killNode(leader);
        await throttle(null);
        // The controller elects a stale follower by itself when the topic allows it; ask if it does not.
        const elected = async () => {
          const p = await isrOf0();
          return p.leader !== -1 && p.leader !== leader;
        };
        const electionDeadline = Date.now() + 20_000;
        while (!(await elected()) && Date.now() < electionDeadline) await pause(1_000);
        if (!(await elected())) await electLeader(kafka, run.topic, 0, 'unclean');
        run.log(`partition 0 now led by ${(await isrOf0()).leader}`);
        await pause(10_000);
        await kafka.startNode(leader);
      },
      verify(run) {
        const truncations = run
          .lives()
          .flatMap((l) => l.events.filter((e) => e.name === 'truncation' && e.partition === 0));
        const resets = logsWithField(run, 'reset');
        return [
          ...(truncations.length === 0 ? ['no member reported the truncation of partition 0'] : []),
          ...(resets.length > 0 ? [`offsets were reset instead: ${JSON.stringify(resets[0]!.fields)}`] : []),
        ];
      },
    },
  ],
  // Followers that fall behind leave the ISR after 5 s instead of 30.
  { 'replica.lag.time.max.ms': 5_000 },
);
