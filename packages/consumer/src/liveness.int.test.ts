import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startUserProgram, type UserProcess } from './test-support/user-process.js';

// These programs run in their own `node` processes on the built packages, with no broker at all: the
// port refuses every connection. What is tested is what keeps such a process alive, which only shows
// outside the test runner (whose own event loop would keep any process alive).
const NO_BROKER = '127.0.0.1:1';
const programs: UserProcess[] = [];

function start(args: unknown): UserProcess {
  const program = startUserProgram('consume-child.mjs', args);
  programs.push(program);
  return program;
}

afterEach(async () => {
  await Promise.all(programs.splice(0).map((p) => p.stop()));
});

describe('a consumer program with no reachable broker', () => {
  it('exits by itself, code 0, when it only constructs a consumer and never consumes', async () => {
    const program = start({ config: { brokers: NO_BROKER, groupId: 'g' }, constructOnly: true });
    const exit = await program.exited;
    expect(exit.code, program.report()).toBe(0);
    expect(program.eventsOf('constructed')).toHaveLength(1);
  });

  it.each(['iterate', 'run'])(
    'stays alive while it waits for records (%s), warns once with the cause, and says since when no broker answered',
    async (api) => {
      const program = start({
        config: { brokers: NO_BROKER, reconnectBackoffMaxMs: 200 },
        assign: [{ topic: 't', partition: 0 }],
        api,
        healthEveryMs: 500,
      });
      await program.waitFor((e) => e.event === 'ready', 20_000, 'ready');
      // Many reconnect attempts (200 ms apart at most) fit in 4 s.
      await sleep(4_000);
      expect(program.running, program.report()).toBe(true);
      const warns = program.eventsOf('log').filter((e) => e.level === 'warn');
      expect(warns.map((e) => e.msg)).toEqual(['cannot connect to broker']);
      expect(warns[0]!.err).toMatchObject({ name: 'ConnectionError', cause: { code: 'ECONNREFUSED' } });
      const health = program.eventsOf('health').at(-1)!;
      expect(health.allBrokersDownSince).toEqual(expect.any(Number));
      expect(Date.now() - (health.allBrokersDownSince as number)).toBeGreaterThan(2_000);
      expect(health.lastConnectionError).toMatchObject({ name: 'ConnectionError' });
    },
  );

  it('closes within its close timeout after SIGTERM with everything down, and exits by itself, code 0', async () => {
    const program = start({
      config: { brokers: NO_BROKER, groupId: 'g', autoCommit: { intervalMs: 100 } },
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
      config: { brokers: NO_BROKER, allBrokersDownTimeoutMs: 1_500 },
      assign: [{ topic: 't', partition: 0 }],
    });
    await program.waitFor((e) => e.event === 'ready', 20_000, 'ready');
    const exit = await program.exited;
    expect(exit.code, program.report()).toBe(1);
    expect(program.stderr).toContain('AllBrokersDownError: no broker was reachable for 1500 ms');
    expect(program.stderr).toContain("code: 'ERR_ALL_BROKERS_DOWN'");
    expect(program.stderr).toContain('ECONNREFUSED');
    expect(program.eventsOf('done')).toHaveLength(0);
  });
});
