/**
 * The soak: three members on a 3-node cluster for N minutes, VerifiableProducer producing all along,
 * a rebalance every minute (a fourth member joins, then leaves), a broker bounce every 5 minutes.
 * Every minute it prints the checker's verdict so far, each member's RSS and RSS slope, open sockets
 * and event-loop delay p99; at the end a summary, and exit code 0 only if the verdict is PASS, every
 * RSS slope (fitted after two minutes of warm-up) is under 20 MB per 30 minutes, sockets stayed
 * within 2 of where they settled and the event-loop delay p99 stayed under 100 ms.
 *
 *   pnpm soak --minutes 30 [--protocol classic-eager|classic-cooperative|consumer]
 */
import { checkDelivery, formatReportLine } from '@runnel/delivery-checker';
import { processStats, rssSlopeMbPer30Min } from './harness/checks.js';
import { FaultCluster } from './harness/fault-cluster.js';
import { ProducerProcess } from './harness/producer.js';
import { PROTOCOLS, type Protocol } from './harness/protocols.js';
import { ScenarioRun } from './harness/scenario.js';
import { pause, until } from './harness/wait.js';

const RSS_SLOPE_LIMIT_MB = 20;
const EVENT_LOOP_P99_LIMIT_MS = 100;
const SOCKET_DRIFT_LIMIT = 2;
/** Records acknowledged this recently may still be in flight: the minute's verdict does not count them lost. */
const IN_FLIGHT_MS = 30_000;

function parseArgs(argv: readonly string[]): { minutes: number; protocol: Protocol } {
  let minutes = 30;
  let protocol: Protocol = 'classic-cooperative';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--minutes') minutes = Number(argv[++i]);
    else if (arg === '--protocol') protocol = argv[++i] as Protocol;
    else throw new Error(`soak: unknown option ${arg} (use --minutes N --protocol P)`);
  }
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error('soak: --minutes must be a positive number');
  if (!PROTOCOLS.includes(protocol))
    throw new Error(`soak: --protocol must be one of ${PROTOCOLS.join(', ')}`);
  return { minutes, protocol };
}

/** One member's numbers so far. */
interface MemberFigures {
  readonly name: string;
  readonly rssMb: number;
  readonly slope: number;
  readonly sockets: number;
  readonly socketsMin: number;
  readonly socketsMax: number;
  readonly firstSockets: number;
  readonly p99LastMinute: number;
  readonly p99Max: number;
}

function figures(run: ScenarioRun, lifeNames: readonly string[]): MemberFigures[] {
  const stats = processStats(run);
  return lifeNames.map((name) => {
    const mine = stats.filter((s) => s.life === name);
    // The first two minutes are warm-up (JIT, buffers filling): the slope is read from what follows.
    const steady = mine.filter((s) => s.timestamp > (mine[0]?.timestamp ?? 0) + 120_000);
    const last = mine.at(-1);
    const recent = mine.filter((s) => s.timestamp > Date.now() - 60_000);
    // The first minute is warm-up (JIT, first fetches): sockets are judged against where they settle.
    const settled = mine.filter((s) => s.timestamp > (mine[0]?.timestamp ?? 0) + 60_000);
    const sockets = (settled.length > 0 ? settled : mine).map((s) => s.sockets);
    return {
      name,
      rssMb: (last?.rss ?? 0) / 1048576,
      slope: rssSlopeMbPer30Min(steady),
      sockets: last?.sockets ?? 0,
      socketsMin: Math.min(...sockets),
      socketsMax: Math.max(...sockets),
      firstSockets: sockets[0] ?? 0,
      p99LastMinute: Math.max(0, ...recent.map((s) => s.eventLoopDelayP99Ms)),
      p99Max: Math.max(0, ...mine.map((s) => s.eventLoopDelayP99Ms)),
    };
  });
}

function verdict(run: ScenarioRun, producer: ProducerProcess, final: boolean): string {
  const recent = new Set<string>();
  if (!final) {
    const since = Date.now() - IN_FLIGHT_MS;
    producer.events.forEach((e, i) => {
      if (producer.ackedAt[i]! > since) recent.add(`${e.topic}-${e.partition}@${e.offset}`);
    });
  }
  const report = checkDelivery(producer.ackedRecords(), run.lives(), {
    excusedLoss: (key, offset) => recent.has(`${key}@${offset}`),
  });
  return formatReportLine('soak', run.protocol, report);
}

async function main(): Promise<number> {
  const { minutes, protocol } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  process.stdout.write(`soak: ${minutes} min under ${protocol}; starting a 3-node cluster\n`);
  const cluster = await FaultCluster.start();
  let producer: ProducerProcess | undefined;
  const run = new ScenarioRun(
    cluster,
    { name: 'soak', memberArgs: ['--stats-interval-ms', '5000'], ci: [], fault: async () => {} },
    protocol,
  );
  try {
    await cluster.createTopic(run.topic, run.partitions);
    const members = [0, 1, 2].map(() => run.addMember());
    for (const m of members) m.start();
    await run.waitStable();
    const longLived = members.map((m) => m.life!.name);
    const extra = run.addMember([], 'rebalancer');
    producer = await ProducerProcess.start(cluster.kafka, {
      topic: run.topic,
      maxMessages: -1,
      throughput: 200,
      dir: cluster.dir,
    });
    run.producer = producer;
    // The minutes count from here: starting the cluster and the group is not soaking.
    const end = Date.now() + minutes * 60_000;
    let minute = 0;
    let bounced = 0;
    while (Date.now() < end) {
      await pause(Math.min(60_000, Math.max(0, end - Date.now())));
      minute++;
      // A rebalance every minute: the fourth member joins one minute and leaves the next.
      if (extra.running) await extra.stop();
      else extra.start();
      if (minute % 5 === 0) {
        const nodeId = cluster.nodeIds[bounced++ % cluster.nodeIds.length]!;
        await cluster.kafka.stopNode(nodeId);
        await cluster.kafka.startNode(nodeId);
      }
      const f = figures(run, longLived);
      process.stdout.write(
        `minute=${minute} ${verdict(run, producer, false)} ` +
          `rss_mb=${f.map((m) => m.rssMb.toFixed(0)).join('/')} ` +
          `rss_slope_mb_per_30min=${f.map((m) => m.slope.toFixed(1)).join('/')} ` +
          `sockets=${f.map((m) => m.sockets).join('/')} ` +
          `event_loop_p99_ms=${f.map((m) => m.p99LastMinute.toFixed(1)).join('/')}\n`,
      );
    }
    await producer.stop();
    if (extra.running) await extra.stop();
    await until(
      'the members to consume everything',
      () => run.progress().consumed >= run.progress().required,
      180_000,
    ).catch((e: Error) => process.stdout.write(`soak: ${e.message}\n`));
    await Promise.all(run.running().map((m) => m.stop()));
    const line = verdict(run, producer, true);
    const f = figures(run, longLived);
    const problems: string[] = [];
    if (!line.includes('verdict=PASS')) problems.push('the checker failed');
    for (const m of f) {
      if (m.slope >= RSS_SLOPE_LIMIT_MB)
        problems.push(`${m.name}: RSS slope ${m.slope.toFixed(1)} MB/30 min`);
      if (m.socketsMax - m.firstSockets > SOCKET_DRIFT_LIMIT) {
        problems.push(`${m.name}: sockets from ${m.firstSockets} up to ${m.socketsMax}`);
      }
      if (m.p99Max >= EVENT_LOOP_P99_LIMIT_MS)
        problems.push(`${m.name}: event-loop delay p99 ${m.p99Max.toFixed(1)} ms`);
    }
    process.stdout.write(
      `\nsoak summary after ${((Date.now() - started) / 60_000).toFixed(1)} min (${protocol}):\n${line}\n` +
        f
          .map(
            (m) =>
              `${m.name}: rss ${m.rssMb.toFixed(0)} MB, slope ${m.slope.toFixed(1)} MB/30 min, ` +
              `sockets ${m.socketsMin}-${m.socketsMax}, event-loop p99 max ${m.p99Max.toFixed(1)} ms`,
          )
          .join('\n') +
        `\n${problems.length === 0 ? 'PASS' : `FAIL: ${problems.join('; ')}`}\n`,
    );
    return problems.length === 0 ? 0 : 1;
  } finally {
    await Promise.all(run.members.map((m) => m.kill()));
    await producer?.stop();
    await cluster.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`soak: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
