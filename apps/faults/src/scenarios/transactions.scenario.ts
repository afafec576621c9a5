/**
 * Kafka's TransactionalMessageCopier copies an input topic to an output topic in transactions (some
 * aborted on purpose) while brokers are killed and restarted; Runnel members read the output with
 * read_committed (their default). They must read every input record exactly once, and nothing else.
 */
import { AckedRecords, checkCopy, checkDelivery, type DeliveredRecord } from '@runnel/delivery-checker';
import { spawnJava } from '@runnel/kafka-local';
import type { FaultCluster } from '../harness/fault-cluster.js';
import { ProducerProcess } from '../harness/producer.js';
import type { Protocol } from '../harness/protocols.js';
import { finishScenario, keepEvents, type ScenarioOutcome, ScenarioRun } from '../harness/scenario.js';
import { scenarioSuite } from '../harness/suite.js';
import { pause, until } from '../harness/wait.js';

const INPUT_RECORDS = 30_000;
const INPUT_PARTITIONS = 2;
const COPY_DEADLINE_MS = 8 * 60_000;

/**
 * Runs one copier per input partition until each has copied everything, starting a copier again
 * whenever it dies (its transactional id fences the dead one; it resumes from its committed offsets).
 *
 * @returns how many copier processes were started in all.
 */
async function copyAll(
  cluster: FaultCluster,
  input: string,
  output: string,
  failures: string[],
  log: (line: string) => void,
): Promise<number> {
  let starts = 0;
  const copyPartition = async (partition: number): Promise<void> => {
    const deadline = Date.now() + COPY_DEADLINE_MS;
    while (Date.now() < deadline) {
      starts++;
      const child = await spawnJava({
        version: cluster.kafka.version,
        mainClass: 'org.apache.kafka.tools.TransactionalMessageCopier',
        args: [
          '--broker-list',
          cluster.kafka.bootstrap,
          '--input-topic',
          input,
          '--input-partition',
          String(partition),
          '--output-topic',
          output,
          '--transactional-id',
          `copier-${input}-${partition}`,
          '--consumer-group',
          `copier-${input}-${partition}`,
          '--transaction-size',
          '50',
          '--enable-random-aborts',
          '--use-group-metadata',
        ],
      });
      let stderr = '';
      let lastStatus = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        lastStatus = chunk.trim().split('\n').at(-1) ?? lastStatus;
      });
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-2000);
      });
      const code = await new Promise<number | null>((done) => child.once('close', done));
      log(`copier of partition ${partition} exited ${code}: ${lastStatus}`);
      if (code === 0) return;
      await pause(2_000);
      if (Date.now() >= deadline) failures.push(`copier of partition ${partition} never finished: ${stderr}`);
    }
  };
  await Promise.all(Array.from({ length: INPUT_PARTITIONS }, (_, p) => copyPartition(p)));
  return starts;
}

/** Kills one broker and restarts it, then stops and restarts the next, while the copiers run. */
async function bounceBrokers(cluster: FaultCluster, copying: () => boolean): Promise<void> {
  await pause(3_000);
  const [first, second] = cluster.nodeIds;
  await cluster.kafka.killNode(first!);
  await pause(5_000);
  await cluster.kafka.startNode(first!);
  if (!copying()) return;
  await cluster.kafka.stopNode(second!);
  await cluster.kafka.startNode(second!);
}

async function copierScenario(cluster: FaultCluster, protocol: Protocol): Promise<ScenarioOutcome> {
  const started = Date.now();
  const run = new ScenarioRun(
    cluster,
    {
      name: 'transactional-copier',
      partitions: 3,
      memberArgs: ['--verbose', '--log-level', 'info'],
      ci: [],
      fault: async () => {},
    },
    protocol,
  );
  const input = `${run.topic}-in`;
  let producer: ProducerProcess | undefined;
  let copied: ReturnType<typeof checkCopy> | undefined;
  let structural: ReturnType<typeof checkDelivery> | undefined;
  try {
    await cluster.createTopic(input, INPUT_PARTITIONS);
    await cluster.createTopic(run.topic, run.partitions);
    producer = await ProducerProcess.start(cluster.kafka, {
      topic: input,
      maxMessages: INPUT_RECORDS,
      throughput: 5_000,
      dir: cluster.dir,
    });
    await producer.done(300_000);
    for (let i = 0; i < 3; i++) run.addMember().start();
    await run.waitStable();
    let copying = true;
    const bounces = bounceBrokers(cluster, () => copying);
    const starts = await copyAll(cluster, input, run.topic, run.failures, (line) => run.log(line));
    copying = false;
    await bounces;
    await cluster.heal();
    run.log(`copied with ${starts} copier starts`);
    const values = () =>
      new Set(
        run.lives().flatMap((l) => l.events.flatMap((e) => (e.name === 'record_data' ? [e.value] : []))),
      );
    await until('the output read in full', () => values().size >= INPUT_RECORDS, 180_000).catch((e: Error) =>
      run.fail(e.message),
    );
    await Promise.all(run.running().map((m) => m.stop()));
    const delivered: DeliveredRecord[] = run
      .lives()
      .flatMap((l) => l.events.flatMap((e) => (e.name === 'record_data' ? [e] : [])));
    copied = checkCopy(
      producer.events.map((e) => e.value ?? ''),
      delivered,
    );
    // Offsets of the output are not known in advance (markers, aborted records): only the rules
    // that need no producer truth apply (ownership, no replay in a tenure, commits, handoffs).
    structural = checkDelivery(AckedRecords.from([]), run.lives());
    if (copied.verdict === 'FAIL') {
      run.fail(
        `output != committed input: ${copied.missing} missing (${copied.samples.missing.join(',')}), ` +
          `${copied.unexpected} unexpected (${copied.samples.unexpected.join(',')}), ${copied.duplicateCopies} copied twice`,
      );
    }
  } catch (error) {
    run.fail(`the scenario broke off: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await Promise.all(run.members.map((m) => m.kill()));
    await producer?.stop();
    await cluster.heal().catch(() => {});
  }
  const report =
    structural && copied
      ? {
          ...structural,
          produced: copied.expected,
          consumedDistinct: copied.copied,
          duplicates: copied.duplicateCopies + copied.redeliveries,
          lost: copied.missing,
        }
      : undefined;
  const outcome = finishScenario(
    'transactional-copier',
    protocol,
    started,
    report,
    run.failures,
    producer?.acked ?? 0,
  );
  await keepEvents(run, outcome.passed).catch(() => {});
  return outcome;
}

scenarioSuite('transactions', [{ name: 'transactional-copier', ci: ['classic-eager'], run: copierScenario }]);
