import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkDelivery,
  type DeliveryReport,
  formatReportLine,
  formatViolations,
} from '@runnel/delivery-checker';
import { type PropertyValue, renderProperties } from '@runnel/kafka-local';
import type { FaultCluster, Route } from './fault-cluster.js';
import { knownFailure } from './known-failing.js';
import { type Life, MemberProcess } from './member.js';
import { ProducerProcess } from './producer.js';
import { type Protocol, protocolArgs } from './protocols.js';
import { recordResult } from './results.js';
import { until } from './wait.js';

/** One fault scenario; every field but `name` and `fault` has a default that suits most. */
export interface Scenario {
  /** kebab-case; the result line's `scenario`. */
  readonly name: string;
  /** Members started before producing (default 3). */
  readonly members?: number;
  /** Partitions of the scenario's topic (default 6). */
  readonly partitions?: number;
  /** Records VerifiableProducer sends (default 6 000) ... */
  readonly records?: number;
  /** ... at this many per second (default 200). */
  readonly throughput?: number;
  /** Whether members bootstrap through the fault proxies (default 'direct'). */
  readonly route?: Route;
  /** Extra verifiable consumer options. */
  readonly memberArgs?: readonly string[];
  /** Extra options of member `index` (0-based), e.g. its `--group-instance-id`. */
  memberArgsOf?(index: number): readonly string[];
  /** Java consumer properties for every member, passed as a `--consumer.config` file. */
  readonly memberProps?: Readonly<Record<string, PropertyValue>>;
  readonly topicConfigs?: Readonly<Record<string, PropertyValue>>;
  /** Each partition's replicas (default: all three nodes). */
  readonly replicaAssignment?: readonly (readonly number[])[];
  readonly producerProps?: Readonly<Record<string, PropertyValue>>;
  /** Keyed records (`--repeating-keys N`) spread over every partition; default: no keys. */
  readonly producerKeys?: number;
  /** How long members get to consume everything after the producer is done (default 120 s). */
  readonly drainMs?: number;
  /** The protocols whose run belongs to the CI half (`FAULTS_SET=ci`). */
  readonly ci: readonly Protocol[];
  /** The fault, injected while the producer runs; it returns once the fault is over. */
  fault(run: ScenarioRun): Promise<void>;
  /** Checks of its own after the run; each string returned is a failure. */
  verify?(run: ScenarioRun, report: DeliveryReport): string[] | Promise<string[]>;
}

/** What a running scenario's fault and checks can reach. */
export class ScenarioRun {
  readonly topic: string;
  readonly groupId: string;
  readonly members: MemberProcess[] = [];
  readonly failures: string[] = [];
  /** Per partition, the offsets consumed so far (for draining and progress checks). */
  readonly consumed = new Map<string, Set<number>>();
  /** When the last records_consumed event of any member arrived (harness clock). */
  lastConsumedAt = 0;
  producer: ProducerProcess | undefined;
  /** Moments the fault notes for the checks (`mark('killed')`), as Date.now() values. */
  readonly marks = new Map<string, number>();
  private configFile: string | undefined;
  private excused: ((partition: string, offset: number) => boolean) | undefined;
  private readonly startedAt = Date.now();

  constructor(
    readonly cluster: FaultCluster,
    readonly scenario: Scenario,
    readonly protocol: Protocol,
  ) {
    const id = randomUUID().slice(0, 8);
    this.topic = `${scenario.name}-${protocol}-${id}`;
    this.groupId = `g-${this.topic}`;
    this.partitions = scenario.partitions ?? 6;
  }

  /** The topic's partition count (a scenario that adds partitions raises it). */
  partitions: number;

  /** Notes a failure of a scenario-specific expectation. */
  fail(message: string): void {
    this.failures.push(message);
  }

  /** Notes that `what` happens now. @returns the time noted. */
  mark(what: string): number {
    const now = Date.now();
    this.marks.set(what, now);
    return now;
  }

  /** @returns when `what` was marked. @throws Error when the fault never marked it. */
  markOf(what: string): number {
    const at = this.marks.get(what);
    if (at === undefined) throw new Error(`the fault never marked ${JSON.stringify(what)}`);
    return at;
  }

  /** Prints a progress line on stderr when FAULTS_DEBUG is set. */
  log(message: string): void {
    if (process.env.FAULTS_DEBUG) {
      process.stderr.write(
        `[${((Date.now() - this.startedAt) / 1000).toFixed(1)}s ${this.topic}] ${message}\n`,
      );
    }
  }

  /** Writes the members' properties file. */
  async prepare(): Promise<void> {
    if (this.scenario.memberProps === undefined) return;
    this.configFile = join(this.cluster.dir, `consumer-${this.topic}.properties`);
    await writeFile(this.configFile, renderProperties(this.scenario.memberProps));
  }

  /** The verifiable consumer's command line for this run, plus `extra`. */
  memberArgs(extra: readonly string[] = []): string[] {
    return [
      '--bootstrap-server',
      this.cluster.bootstrap(this.scenario.route ?? 'direct'),
      '--topic',
      this.topic,
      '--group-id',
      this.groupId,
      '--reset-policy',
      'earliest',
      ...protocolArgs(this.protocol),
      ...(this.configFile === undefined ? [] : ['--consumer.config', this.configFile]),
      ...(this.scenario.memberArgs ?? []),
      ...extra,
    ];
  }

  /** Adds a member (not started) running `memberArgs(extra)`. */
  addMember(extra: readonly string[] = [], name = `m${this.members.length + 1}`): MemberProcess {
    const member = new MemberProcess(
      name,
      () => this.memberArgs(extra),
      (_m, _life, event) => {
        if (event.name !== 'records_consumed') return;
        this.lastConsumedAt = Date.now();
        for (const p of event.partitions) {
          const key = `${p.topic}-${p.partition}`;
          let offsets = this.consumed.get(key);
          if (offsets === undefined) this.consumed.set(key, (offsets = new Set()));
          for (let o = p.minOffset; o <= p.maxOffset; o++) offsets.add(o);
        }
      },
    );
    this.members.push(member);
    return member;
  }

  /** Running members. */
  running(): MemberProcess[] {
    return this.members.filter((m) => m.running);
  }

  /** @returns whether every partition has exactly one running owner and every running member owns one. */
  stable(): boolean {
    const running = this.running();
    const owners = new Map<string, number>();
    for (const member of running) {
      const owned = member.owned();
      if (owned.size === 0 && running.length <= this.partitions) return false;
      for (const key of owned) owners.set(key, (owners.get(key) ?? 0) + 1);
    }
    if (owners.size !== this.partitions) return false;
    return [...owners.values()].every((n) => n === 1);
  }

  /** Waits until the group is stable (see `stable`). @throws Error with each member's view after `timeoutMs`. */
  async waitStable(timeoutMs = 90_000): Promise<void> {
    await until(
      'a stable group',
      () => this.stable(),
      timeoutMs,
      () => this.describe(),
    );
  }

  /** Waits until some member consumed a record after `since` (a Date.now() value). */
  async waitProgress(since: number, timeoutMs: number): Promise<void> {
    await until(
      'consumption to resume',
      () => this.lastConsumedAt > since,
      timeoutMs,
      () => this.describe(),
    );
  }

  /**
   * Names acknowledged records whose loss is the scenario's doing (deleted, truncated by an unclean
   * election): the drain does not wait for them and the checker counts them as never written.
   */
  excuse(excused: (partition: string, offset: number) => boolean): void {
    this.excused = excused;
  }

  /** @returns the acknowledged records not excused, and how many of them were consumed so far. */
  progress(): { required: number; consumed: number } {
    let required = 0;
    let consumed = 0;
    for (const event of this.producer?.events ?? []) {
      const key = `${event.topic}-${event.partition}`;
      if (this.excused?.(key, event.offset)) continue;
      required++;
      if (this.consumed.get(key)?.has(event.offset)) consumed++;
    }
    return { required, consumed };
  }

  /** Options for the checker: the excused records. */
  checkOptions(): { excusedLoss?: (partition: string, offset: number) => boolean } {
    return this.excused === undefined ? {} : { excusedLoss: this.excused };
  }

  /** Each member's partitions and last events, for a failure message. */
  describe(): string {
    return this.members
      .map((m) => {
        const life = m.life;
        const tail = (life?.events ?? []).slice(-4).map((e) => e.name);
        return `${life?.name ?? m.name} running=${m.running} owns=[${[...m.owned()].join(',')}] last=${tail.join(',')} stderr=${life?.stderr.slice(-300) ?? ''}`;
      })
      .join('\n');
  }

  /** Every life of every member, for the checker. */
  lives(): Life[] {
    return this.members.flatMap((m) => m.lives);
  }
}

/**
 * Writes every life's events (and stderr), the producer's acknowledgements and the marks under
 * `<root>/<topic>/`, for looking into a run afterwards. The root is `FAULTS_EVENTS_DIR` when set (every
 * run), else `$RUNNEL_REPORT_DIR/faults-events` for a run that failed (CI keeps its reports there);
 * otherwise nothing is written.
 */
export async function keepEvents(run: ScenarioRun, passed: boolean): Promise<void> {
  const reports = process.env.RUNNEL_REPORT_DIR;
  const root =
    process.env.FAULTS_EVENTS_DIR || (!passed && reports ? join(reports, 'faults-events') : undefined);
  if (!root) return;
  const dir = join(root, run.topic);
  await mkdir(dir, { recursive: true });
  for (const life of run.lives()) {
    const lines = life.events.map((e) => JSON.stringify(e)).join('\n');
    await writeFile(join(dir, `${life.name}.jsonl`), `${lines}\n`);
    await writeFile(join(dir, `${life.name}.stderr`), life.stderr);
  }
  const acks = (run.producer?.events ?? []).map((e, i) =>
    JSON.stringify({ ...e, at: run.producer!.ackedAt[i] }),
  );
  await writeFile(join(dir, 'producer.jsonl'), `${acks.join('\n')}\n`);
  await writeFile(join(dir, 'marks.json'), JSON.stringify(Object.fromEntries(run.marks)));
  if (!passed) console.log(`the events of this run are in ${dir}`);
}

/** Bytes the proxies forwarded so far, both ways, all brokers. */
function proxiedBytes(cluster: FaultCluster): number {
  return cluster.proxies
    .all()
    .reduce((n, p) => n + p.stats.forwarded.toBroker + p.stats.forwarded.toClient, 0);
}

/** What one run of a scenario under one protocol found. */
export interface ScenarioOutcome {
  readonly line: string;
  readonly passed: boolean;
  /** The failure details (violations, own checks, harness findings), empty on PASS. */
  readonly details: string;
}

/**
 * Runs `scenario` under `protocol` on `cluster`: creates its topic, starts the members and waits for a
 * stable group, starts VerifiableProducer, injects the fault, waits for the producer and for the
 * members to consume every acknowledged record, stops the members cleanly, then judges the events with
 * the delivery checker plus the scenario's own checks. Prints and records the one-line verdict.
 *
 * @returns the outcome; the cluster is healed afterwards whatever happened.
 */
export async function runScenario(
  cluster: FaultCluster,
  scenario: Scenario,
  protocol: Protocol,
): Promise<ScenarioOutcome> {
  const started = Date.now();
  const run = new ScenarioRun(cluster, scenario, protocol);
  let crash: unknown;
  let report: DeliveryReport | undefined;
  const forwardedBefore = proxiedBytes(cluster);
  try {
    await cluster.createTopic(run.topic, run.partitions, scenario.topicConfigs, scenario.replicaAssignment);
    await run.prepare();
    for (let i = 0; i < (scenario.members ?? 3); i++) run.addMember(scenario.memberArgsOf?.(i) ?? []).start();
    await run.waitStable();
    run.log('group stable; producing');
    run.producer = await ProducerProcess.start(cluster.kafka, {
      topic: run.topic,
      maxMessages: scenario.records ?? 6_000,
      throughput: scenario.throughput ?? 200,
      dir: cluster.dir,
      ...(scenario.producerProps ? { props: scenario.producerProps } : {}),
      ...(scenario.producerKeys ? { repeatingKeys: scenario.producerKeys } : {}),
    });
    await scenario.fault(run);
    run.log('fault over');
    await cluster.heal();
    // The producer writes at its throughput however long the fault took: wait for what is left of it.
    const producing = ((scenario.records ?? 6_000) / (scenario.throughput ?? 200)) * 1_000;
    await run.producer.done(Math.max(300_000, producing + 120_000));
    run.log(`producer done: ${run.producer.acked} acked, ${run.producer.failed} failed`);
    await until(
      'every acknowledged record consumed',
      () => {
        const { required, consumed } = run.progress();
        // With no member left there is nobody to wait for (the harness reports why they left).
        return consumed >= required || run.running().length === 0;
      },
      scenario.drainMs ?? 120_000,
      () => `${JSON.stringify(run.progress())}\n${run.describe()}`,
    ).catch((error: Error) => run.fail(error.message));
    for (const member of run.members) {
      const life = member.life;
      if (life?.exit !== undefined && life.endedBy === undefined) {
        run.fail(
          `${life.name} exited by itself (code ${life.exit.code}, signal ${life.exit.signal}): ${life.stderr.slice(-500)}`,
        );
      }
    }
    await Promise.all(
      run.running().map(async (member) => {
        const code = await member.stop();
        const life = member.life!;
        if (code !== 0)
          run.fail(`${life.name} exited with ${code} after SIGTERM: ${life.stderr.slice(-500)}`);
        if (!life.events.some((e) => e.name === 'shutdown_complete'))
          run.fail(`${life.name}: no shutdown_complete`);
      }),
    );
    for (const life of run.lives()) {
      for (const line of life.malformed) run.fail(`${life.name} printed a malformed event: ${line}`);
    }
    if (scenario.route === 'proxy' && proxiedBytes(cluster) === forwardedBefore) {
      run.fail('no byte went through the fault proxies: the members bypassed them');
    }
    report = checkDelivery(run.producer.ackedRecords(), run.lives(), run.checkOptions());
    for (const failure of (await scenario.verify?.(run, report)) ?? []) run.fail(failure);
  } catch (error) {
    crash = error;
  } finally {
    await Promise.all(run.members.map((m) => m.kill()));
    await run.producer?.stop();
    await cluster.heal().catch((error: unknown) => {
      crash ??= error;
    });
  }
  if (crash !== undefined) run.fail(`the scenario broke off: ${(crash as Error).stack ?? String(crash)}`);
  const outcome = finishScenario(
    scenario.name,
    protocol,
    started,
    report,
    run.failures,
    run.producer?.acked ?? 0,
  );
  await keepEvents(run, outcome.passed).catch(() => {});
  return outcome;
}

/**
 * Turns a run's delivery report and own failures into its verdict: PASS only when the report passes
 * and nothing else failed. Prints the one-line verdict (and the details on FAIL) and records the run.
 *
 * @returns the outcome.
 */
export function finishScenario(
  name: string,
  protocol: Protocol,
  started: number,
  report: DeliveryReport | undefined,
  failures: readonly string[],
  produced: number,
): ScenarioOutcome {
  const passed = report?.verdict === 'PASS' && failures.length === 0;
  const empty: DeliveryReport = {
    produced,
    consumedDistinct: 0,
    duplicates: 0,
    lost: 0,
    counts: {},
    violations: [],
    verdict: 'FAIL',
  };
  let line = formatReportLine(name, protocol, { ...(report ?? empty), verdict: passed ? 'PASS' : 'FAIL' });
  if (failures.length > 0) line += ` own_checks_failed=${failures.length}`;
  const known = knownFailure(name, protocol);
  const details = [report ? formatViolations(report) : '', ...failures].filter(Boolean).join('\n');
  recordResult({
    scenario: name,
    protocol,
    durationMs: Date.now() - started,
    passed,
    line,
    ...(known ? { knownFailing: known } : {}),
  });
  console.log(line);
  if (!passed && details) console.log(details);
  return { line, passed, details };
}
