import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeAll,
  clusterHasShareGroups,
  Deliveries,
  produce,
  type ShareSetup,
  shareConsumer,
  shareSetup,
} from '../test-support/share-scenario.js';
import { until } from '../test-support/until.js';
import { startUserProgram, type UserEvent, type UserProcess } from '../test-support/user-process.js';

// These programs run in their own `node` processes on the built packages, as a user's would: what keeps
// such a process alive, and what a SIGKILL leaves behind, only show outside the test runner.
const NO_BROKER = '127.0.0.1:1';
const programs: UserProcess[] = [];

function start(args: unknown): UserProcess {
  const program = startUserProgram('share-consume-child.mjs', args);
  programs.push(program);
  return program;
}

afterEach(async () => {
  await Promise.all(programs.splice(0).map((p) => p.stop()));
  await closeAll();
});

describe('a share consumer program with no reachable broker', () => {
  it('exits by itself, code 0, when it only constructs a share consumer', async () => {
    const program = start({ config: { brokers: NO_BROKER, groupId: 'g' }, constructOnly: true });
    const exit = await program.exited;
    expect(exit.code, program.report()).toBe(0);
    expect(program.eventsOf('constructed')).toHaveLength(1);
  });

  it.each(['iterate', 'run'])(
    'stays alive while it waits for records (%s), warns once, and says since when no broker answered',
    async (api) => {
      const program = start({
        config: { brokers: NO_BROKER, groupId: 'g', reconnectBackoffMaxMs: 200 },
        subscribe: ['t'],
        api,
        healthEveryMs: 500,
      });
      await program.waitFor((e) => e.event === 'ready', 20_000, 'ready');
      await sleep(4_000);
      expect(program.running, program.report()).toBe(true);
      const warns = program.eventsOf('log').filter((e) => e.level === 'warn');
      // Once each, however often the pool reconnects and the member looks for its coordinator.
      expect(warns.map((e) => e.msg).sort()).toEqual(['cannot connect to broker', 'group error']);
      const health = program.eventsOf('health').at(-1)!;
      expect(health.memberState).toBe('JOINING');
      expect(Date.now() - (health.allBrokersDownSince as number)).toBeGreaterThan(2_000);
      expect(health.lastConnectionError).toMatchObject({ name: 'ConnectionError' });
    },
  );

  it('closes within its close timeout after SIGTERM and exits by itself, code 0', async () => {
    const program = start({
      config: { brokers: NO_BROKER, groupId: 'g' },
      subscribe: ['t'],
      closeTimeoutMs: 2_000,
    });
    await program.waitFor((e) => e.event === 'ready', 20_000, 'ready');
    await sleep(1_000);
    const exit = await program.terminate();
    expect(exit.code, program.report()).toBe(0);
    expect(exit.afterMs).toBeLessThan(2_000 + 2_000);
    expect(program.eventsOf('closed')).toHaveLength(1);
    expect(program.eventsOf('done')).toHaveLength(1);
  });

  it('gives up after allBrokersDownTimeoutMs: the iterator fails with AllBrokersDownError and the process exits non-zero', async () => {
    const program = start({
      config: { brokers: NO_BROKER, groupId: 'g', allBrokersDownTimeoutMs: 1_500 },
      subscribe: ['t'],
    });
    const exit = await program.exited;
    expect(exit.code, program.report()).toBe(1);
    expect(program.stderr).toContain('AllBrokersDownError: no broker was reachable for 1500 ms');
    expect(program.eventsOf('done')).toHaveLength(0);
  });
});

/** Starts a worker of `setup`'s group that acquires records and never acknowledges them. */
function stuckWorker(setup: ShareSetup): UserProcess {
  return start({
    config: {
      brokers: setup.cluster.bootstrap,
      groupId: setup.groupId,
      acknowledgementMode: 'explicit',
      fetchMaxWaitMs: 200,
    },
    subscribe: [setup.topic],
    hold: true,
  });
}

/** @returns the `partition:offset` of the records a worker printed, all of them first deliveries. */
function heldBy(event: UserEvent): string[] {
  return (event.records as [number, number, number][]).map(([p, o, n]) => {
    expect(n).toBe(1);
    return `${p}:${o}`;
  });
}

/** A member of `setup`'s group that records what it gets. */
function survivor(setup: ShareSetup): { deliveries: Deliveries; loop: Promise<void> } {
  const deliveries = new Deliveries();
  const consumer = shareConsumer(setup);
  const loop = (async () => {
    for await (const batch of consumer) for (const r of batch.records) deliveries.add(r);
  })();
  return { deliveries, loop };
}

describe.skipIf(!clusterHasShareGroups())(
  'a share group member that stops (skipped on Kafka 3.9: no share groups)',
  () => {
    it('killed with SIGKILL while holding records: another member gets them again, deliveryCount 2', async () => {
      const LOCK_MS = 3_000;
      const setup = await shareSetup('share-kill', 1, { 'share.record.lock.duration.ms': LOCK_MS });
      await produce(setup, 20);
      const worker = stuckWorker(setup);
      const held = heldBy(await worker.waitFor((e) => e.event === 'records', 60_000, 'records'));
      expect(held.length).toBeGreaterThan(0);
      const { deliveries, loop } = survivor(setup);
      // While the worker lives its records stay locked: the survivor gets none of them.
      await sleep(2_000);
      expect(held.filter((k) => deliveries.counts.has(k))).toEqual([]);
      const killedAt = Date.now();
      expect((await worker.stop()).signal).toBe('SIGKILL');
      await until(
        "the killed worker's records again",
        () => held.every((k) => deliveries.counts.has(k)),
        LOCK_MS + 30_000,
      );
      const tookMs = Math.max(...held.map((k) => deliveries.at.get(k)![0]!)) - killedAt;
      await closeAll();
      await loop;
      for (const k of held) expect([k, deliveries.counts.get(k)]).toEqual([k, [2]]);
      // The broker releases a member's records when its connection drops, at the latest when their lock
      // runs out.
      expect(tookMs).toBeLessThan(LOCK_MS + 10_000);
      process.stderr.write(
        `[share] ${held.length} records of the killed member came again ${tookMs} ms after SIGKILL (lock ${LOCK_MS} ms)\n`,
      );
    });

    it('frozen (SIGSTOP) while holding records, its connection open: they come again once their lock runs out, not before', async () => {
      const LOCK_MS = 4_000;
      const setup = await shareSetup('share-stop', 1, {
        'share.record.lock.duration.ms': LOCK_MS,
        // Longer than the test, so that it is the lock, not the member's expiry, that frees the records.
        'share.session.timeout.ms': 60_000,
      });
      await produce(setup, 20);
      const worker = stuckWorker(setup);
      const held = heldBy(await worker.waitFor((e) => e.event === 'records', 60_000, 'records'));
      const acquiredBy = Date.now();
      worker.child.kill('SIGSTOP');
      const { deliveries, loop } = survivor(setup);
      await until(
        "the frozen worker's records again",
        () => held.every((k) => deliveries.counts.has(k)),
        LOCK_MS + 30_000,
      );
      const firstAgain = Math.min(...held.map((k) => deliveries.at.get(k)![0]!)) - acquiredBy;
      await closeAll();
      await loop;
      for (const k of held) expect([k, deliveries.counts.get(k)]).toEqual([k, [2]]);
      // The lock started before the worker printed its records, so that moment bounds it from above.
      expect(firstAgain).toBeGreaterThanOrEqual(LOCK_MS - 1_000);
      expect(firstAgain).toBeLessThan(LOCK_MS + 15_000);
      process.stderr.write(
        `[share] ${held.length} records of the frozen member came again ${firstAgain} ms after it acquired them (lock ${LOCK_MS} ms)\n`,
      );
    });
  },
);
